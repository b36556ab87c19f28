using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hourglass.Testing;

/// <summary>
/// A native PostgreSQL 15 without TimescaleDB, started for this test process: initdb into a temporary
/// folder, listening on 127.0.0.1 and a free port. initdb refuses root, so as root it runs as the
/// <c>postgres</c> user.
/// </summary>
public sealed class NativePostgresServer : TestServer
{
    private readonly string _dataDirectory;
    private readonly string _binDirectory;
    private readonly string _root;
    private readonly bool _asRoot;

    private NativePostgresServer(string binDirectory, string root, bool asRoot, int port)
    {
        _binDirectory = binDirectory;
        _root = root;
        _asRoot = asRoot;
        _dataDirectory = Path.Combine(root, "data");
        Port = port;
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;SSL Mode=Disable;Timeout=30";
    }

    /// <summary>The port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The folder holding pg_ctl, pg_dump and friends.</summary>
    public string BinDirectory => _binDirectory;

    /// <inheritdoc />
    public override string AdminConnectionString { get; }

    /// <inheritdoc />
    public override string Description => "native PostgreSQL 15";

    /// <inheritdoc />
    public override bool HasTimescale => false;

    /// <inheritdoc />
    protected override Task<bool> UsesDatabasePerClassAsync() => Task.FromResult(true);

    /// <summary>Finds the PostgreSQL binaries: HOURGLASS_PG_BIN, else Debian's /usr/lib/postgresql/N/bin (newest), else PATH.</summary>
    public static string LocateBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("HOURGLASS_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (File.Exists(Path.Combine(folder, "initdb")))
            {
                return folder;
            }
        }

        throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) were not found. Install postgresql-15 (apt-get install postgresql-15) or set HOURGLASS_PG_BIN.");
    }

    internal static async Task<NativePostgresServer> StartAsync()
    {
        var bin = LocateBinDirectory();
        var root = Path.Combine(Path.GetTempPath(), $"hourglass-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root], asRoot: false);
        }

        var port = FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(root, "data"), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], asRoot);
        var server = new NativePostgresServer(bin, root, asRoot, port);
        await server.StartAgainAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopAndDelete();
        return server;
    }

    /// <summary>Starts the server on its existing data directory (after <see cref="StopAsync"/>).</summary>
    public Task StartAgainAsync()
    {
        var options = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        return RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", _dataDirectory, "-o", options, "-l", Path.Combine(_root, "log"), "-w", "start"], _asRoot);
    }

    /// <summary>Stops the server (fast shutdown), keeping its data directory.</summary>
    public Task StopAsync() => RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", _dataDirectory, "-m", "fast", "-w", "stop"], _asRoot);

    private void StopAndDelete()
    {
        try
        {
            RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", _dataDirectory, "-m", "immediate", "stop"], _asRoot).GetAwaiter().GetResult();
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // Best effort at process exit.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, string[] arguments, bool asRoot)
    {
        var start = asRoot ? new ProcessStartInfo("runuser") : new ProcessStartInfo(program);
        if (asRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
