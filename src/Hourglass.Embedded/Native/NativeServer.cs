using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Hourglass.Embedded.Native;

/// <summary>
/// A native PostgreSQL with TimescaleDB preloaded, started from a <see cref="NativeInstallation"/>: initdb when the
/// data directory is new (as the unprivileged <c>postgres</c> user when this process is root, since initdb refuses
/// root), pg_ctl start on 127.0.0.1, <c>CREATE EXTENSION timescaledb</c> in the <c>postgres</c> database.
/// A watchdog process holds a pipe from this process; when the pipe closes (this process exited, even by SIGKILL)
/// it stops the server with <c>pg_ctl stop -m immediate</c> and deletes a temporary data directory, so no
/// <c>postgres</c> outlives its owner.
/// </summary>
internal sealed class NativeServer
{
    private const string ServerUser = "postgres";

    // The defaults a local server needs for TimescaleDB; EmbeddedTimescaleOptions.NativeSettings goes over them.
    private static readonly string[] SetsidPaths = ["/usr/bin/setsid", "/bin/setsid"];

    private static readonly KeyValuePair<string, string>[] TimescaleDefaults =
    [
        new("shared_preload_libraries", "timescaledb"),
        new("max_worker_processes", "16"),
        new("timescaledb.max_background_workers", "8"),
    ];

    private readonly NativeInstallation _installation;
    private readonly string? _temporaryRoot;
    private readonly bool _asServerUser;
    private readonly ILogger? _logger;
    private Process? _watchdog;

    private NativeServer(NativeInstallation installation, string dataDirectory, string? temporaryRoot, bool asServerUser, int port, ILogger? logger)
    {
        _installation = installation;
        DataDirectory = dataDirectory;
        _temporaryRoot = temporaryRoot;
        _asServerUser = asServerUser;
        Port = port;
        _logger = logger;
    }

    public string DataDirectory { get; }

    public bool IsTemporary => _temporaryRoot is not null;

    public int Port { get; }

    public string BinDirectory => _installation.BinDirectory;

    public string LogFile => Path.Combine(DataDirectory, "hourglass-server.log");

    public string ServerVersion { get; private set; } = "";

    public string TimescaleDbVersion { get; private set; } = "";

    public int PostmasterId { get; private set; }

    public static async Task<NativeServer> StartAsync(EmbeddedTimescaleOptions options, CancellationToken cancellationToken)
    {
        var installation = await NativeInstallation.LocateAsync(options.NativeHome, !options.WithoutTimescale, cancellationToken).ConfigureAwait(false);
        var asServerUser = Environment.UserName == "root";
        string dataDirectory;
        string? temporaryRoot = null;
        if (options.DataDirectory is { } configured)
        {
            dataDirectory = Path.GetFullPath(configured);
            PrepareDataDirectory(dataDirectory);
        }
        else
        {
            temporaryRoot = Path.Combine(Path.GetTempPath(), $"hourglass-native-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
            Directory.CreateDirectory(temporaryRoot);
            dataDirectory = Path.Combine(temporaryRoot, "data");
        }

        var server = new NativeServer(installation, dataDirectory, temporaryRoot, asServerUser, options.Port == 0 ? FreePort() : options.Port, options.Logger);
        try
        {
            if (asServerUser)
            {
                await GiveToServerUserAsync(temporaryRoot ?? dataDirectory, cancellationToken).ConfigureAwait(false);
            }

            if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            {
                await server.RunAsync("initdb", ["-D", dataDirectory, "-U", ServerUser, "--auth=trust", "-E", "UTF8", OperatingSystem.IsLinux() ? "--locale=C.UTF-8" : "--locale=C", .. temporaryRoot is null ? Array.Empty<string>() : ["--no-sync"]], cancellationToken).ConfigureAwait(false);
            }

            // The watchdog first: from here on, whatever happens to this process, the server does not outlive it.
            server.StartWatchdog();
            await server.StartServerAsync(options, cancellationToken).ConfigureAwait(false);
            await server.ReadVersionsAsync(createExtension: !options.WithoutTimescale, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void PrepareDataDirectory(string dataDirectory)
    {
        if (File.Exists(dataDirectory))
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.DataDirectoryUnusable, $"The data directory '{dataDirectory}' is a file. Point EmbeddedTimescaleOptions.DataDirectory at a folder.");
        }

        if (Directory.Exists(dataDirectory))
        {
            if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
            {
                throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.DataDirectoryUnusable,
                    $"The data directory '{dataDirectory}' is not empty and holds no PostgreSQL data directory (no PG_VERSION). Point EmbeddedTimescaleOptions.DataDirectory at an empty or missing folder, or at one a native server created before.");
            }
        }

        try
        {
            Directory.CreateDirectory(dataDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.DataDirectoryUnusable, $"The data directory '{dataDirectory}' cannot be created: {ex.Message}", ex);
        }
    }

    private static async Task GiveToServerUserAsync(string folder, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await ProcessRunner.RunAsync("chown", ["-R", $"{ServerUser}:", folder], null, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed,
                $"Running as root, the native server runs as the unprivileged user '{ServerUser}' (initdb refuses root), but giving it '{folder}' failed: {output.Trim()}. Create the user (useradd --system {ServerUser}) or run as a normal user.");
        }
    }

    private async Task StartServerAsync(EmbeddedTimescaleOptions options, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listen_addresses"] = "127.0.0.1",
            ["unix_socket_directories"] = "",
        };
        if (!options.WithoutTimescale)
        {
            foreach (var (name, value) in TimescaleDefaults)
            {
                settings[name] = value;
            }
        }

        foreach (var (name, value) in options.NativeSettings ?? new Dictionary<string, string>())
        {
            settings[name] = value;
        }

        // pg_ctl hands -o to a shell: each setting is one single-quoted word.
        var serverOptions = string.Join(' ', settings.Select(s => $"-c {ShellQuote($"{s.Key}={s.Value}")}").Prepend($"-p {Port.ToString(CultureInfo.InvariantCulture)}"));
        var timeout = ((int)Math.Ceiling(options.StartTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        try
        {
            await RunAsync("pg_ctl", ["-D", DataDirectory, "-o", serverOptions, "-l", LogFile, "-w", "-t", timeout, "start"], cancellationToken).ConfigureAwait(false);
        }
        catch (EmbeddedTimescaleException ex) when (File.Exists(LogFile))
        {
            var log = string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(20));
            var failure = log.Contains("could not bind", StringComparison.Ordinal) || log.Contains("Address already in use", StringComparison.Ordinal)
                ? EmbeddedTimescaleFailure.PortInUse
                : EmbeddedTimescaleFailure.StartFailed;
            throw new EmbeddedTimescaleException(failure, $"{ex.Message}{Environment.NewLine}Server log ({LogFile}):{Environment.NewLine}{log}", ex);
        }

        var pidFile = await File.ReadAllLinesAsync(Path.Combine(DataDirectory, "postmaster.pid"), cancellationToken).ConfigureAwait(false);
        PostmasterId = int.Parse(pidFile[0], CultureInfo.InvariantCulture);
        _logger?.LogInformation("Native PostgreSQL started from {Bin} on port {Port}, data {Data}", BinDirectory, Port, DataDirectory);
    }

    private async Task ReadVersionsAsync(bool createExtension, CancellationToken cancellationToken)
    {
        var sql = (createExtension ? "CREATE EXTENSION IF NOT EXISTS timescaledb; " : "") +
                  "SELECT current_setting('server_version') || '|' || coalesce((SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'), '')";
        var (exitCode, output) = await ProcessRunner.RunAsync(Path.Combine(BinDirectory, "psql"),
            ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", ServerUser, "-d", "postgres", "-c", sql],
            null, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed, $"The native server started, but {(createExtension ? "CREATE EXTENSION timescaledb" : "reading its version")} failed: {output.Trim()}");
        }

        var parts = output.Trim().Split('|');
        ServerVersion = parts[0];
        TimescaleDbVersion = parts.Length > 1 ? parts[1] : "";
    }

    private void StartWatchdog()
    {
        var stop = $"{(_asServerUser ? $"runuser -u {ServerUser} -- " : "")}{ShellQuote(Path.Combine(BinDirectory, "pg_ctl"))} -D {ShellQuote(DataDirectory)} -m immediate -w stop >/dev/null 2>&1";
        var delete = _temporaryRoot is null ? "" : $"; rm -rf {ShellQuote(_temporaryRoot)} >/dev/null 2>&1";
        // Reads until the pipe from this process closes: at StopAsync, or when this process is gone however it ended. Its
        // standard output stays the pipe to this process, so StopAsync knows it has finished when that pipe closes.
        var watchdog = $"exec 2>/dev/null; while read -r line; do :; done; {stop}{delete}";
        // The watchdog is started by a shell that exits at once, so it is nobody's descendant: whoever ends this process
        // together with its whole process tree (a test runner's hang timeout, an IDE's stop button) does not end the
        // watchdog before it has stopped the server. A background job's standard input is /dev/null unless redirected,
        // hence the pipe is handed over on descriptor 3. In a session of its own (setsid), so a Ctrl+C on the terminal
        // (SIGINT to the foreground group) does not end it first.
        var setsid = SetsidPaths.FirstOrDefault(File.Exists);
        var launcher = $"exec 3<&0; {(setsid is null ? "" : ShellQuote(setsid) + " ")}/bin/sh -c \"$1\" hourglass-watchdog <&3 3<&- &";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", launcher, "hourglass-watchdog-launcher", watchdog })
        {
            start.ArgumentList.Add(argument);
        }

        _watchdog = Process.Start(start) ?? throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed, "Could not start the watchdog shell (/bin/sh).");
    }

    /// <summary>Stops the server (fast shutdown), ends the watchdog and deletes a temporary data directory.</summary>
    public async Task StopAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], CancellationToken.None).ConfigureAwait(false);
            }
            catch (EmbeddedTimescaleException ex)
            {
                _logger?.LogWarning("Stopping the native server failed; the watchdog stops it immediately: {Message}", ex.Message);
            }
        }

        if (_watchdog is { } watchdog)
        {
            _watchdog = null;
            try
            {
                watchdog.StandardInput.Close();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                // The detached watchdog holds the output pipe until it has stopped the server and deleted its folder.
                await watchdog.StandardOutput.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
                await watchdog.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                _logger?.LogWarning("The native server's watchdog did not end in time: {Message}", ex.Message);
            }
            finally
            {
                watchdog.Dispose();
            }
        }
        else if (_temporaryRoot is not null && Directory.Exists(_temporaryRoot))
        {
            try
            {
                Directory.Delete(_temporaryRoot, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger?.LogWarning("Could not delete {Folder}: {Message}", _temporaryRoot, ex.Message);
            }
        }
    }

    private async Task RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(BinDirectory, program);
        var list = arguments.ToList();
        var (exitCode, output) = _asServerUser
            ? await ProcessRunner.RunAsync("runuser", ["-u", ServerUser, "--", path, .. list], null, cancellationToken).ConfigureAwait(false)
            : await ProcessRunner.RunAsync(path, list, null, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.StartFailed,
                $"{program} {string.Join(' ', list)} failed (exit code {exitCode}){(_asServerUser ? $" as user '{ServerUser}'" : "")}: {output.Trim()}");
        }
    }

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
