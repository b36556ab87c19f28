using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hourglass.Testing;

/// <summary>
/// A native PostgreSQL server started for this test process from a folder of server binaries: initdb into a
/// temporary folder, listening on 127.0.0.1 and a free port, with fsync off. initdb refuses root, so as root
/// initdb and pg_ctl run as the <c>postgres</c> user.
/// </summary>
public abstract class NativeServer : TestServer
{
    private readonly string _dataDirectory;
    private readonly string _root;
    private readonly bool _asRoot;
    private readonly string _settings;

    private protected NativeServer(string binDirectory, string root, bool asRoot, int port, string settings)
    {
        BinDirectory = binDirectory;
        _root = root;
        _asRoot = asRoot;
        _settings = settings;
        _dataDirectory = Path.Combine(root, "data");
        Port = port;
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;SSL Mode=Disable;Timeout=30";
    }

    /// <summary>The port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The folder holding this server's pg_ctl, pg_dump, pg_restore and psql.</summary>
    public override string BinDirectory { get; }

    /// <summary>The server's log file.</summary>
    public string LogFile => Path.Combine(_root, "log");

    /// <inheritdoc />
    public override string AdminConnectionString { get; }

    /// <inheritdoc />
    protected override Task<bool> UsesDatabasePerClassAsync() => Task.FromResult(true);

    /// <summary>Runs initdb into a fresh temporary folder the server user owns.</summary>
    private protected static async Task<(string Root, bool AsRoot, int Port)> InitAsync(string binDirectory, string kind)
    {
        var root = Path.Combine(Path.GetTempPath(), $"hourglass-{kind}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root], asRoot: false);
        }

        await RunAsync(Path.Combine(binDirectory, "initdb"), ["-D", Path.Combine(root, "data"), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], asRoot);
        return (root, asRoot, FreePort());
    }

    /// <summary>Starts the server on its existing data directory (after <see cref="StopAsync"/>).</summary>
    public async Task StartAgainAsync()
    {
        var options = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 {_settings}";
        try
        {
            await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", _dataDirectory, "-o", options, "-l", LogFile, "-w", "-t", "120", "start"], _asRoot);
        }
        catch (InvalidOperationException ex) when (File.Exists(LogFile))
        {
            throw new InvalidOperationException($"{ex.Message}{Environment.NewLine}Server log ({LogFile}):{Environment.NewLine}{string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(20))}", ex);
        }
    }

    /// <summary>Stops the server (fast shutdown), keeping its data directory.</summary>
    public Task StopAsync() => RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", _dataDirectory, "-m", "fast", "-w", "stop"], _asRoot);

    private protected void StopAndDeleteAtExit()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAndDelete();

        // The test runner may end this process without running exit handlers; a detached watchdog then stops the
        // server and deletes its folder once this process is gone, so no server outlives its test run.
        var pgCtl = $"'{Path.Combine(BinDirectory, "pg_ctl")}' -D '{_dataDirectory}' -m immediate stop";
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 2; done; {(_asRoot ? "runuser -u postgres -- " : "")}{pgCtl} >/dev/null 2>&1; rm -rf '{_root}'";
        var watchdog = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "sh", "-c", script })
        {
            watchdog.ArgumentList.Add(argument);
        }

        Process.Start(watchdog)?.Dispose();
    }

    private void StopAndDelete()
    {
        try
        {
            RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", _dataDirectory, "-m", "immediate", "stop"], _asRoot).GetAwaiter().GetResult();
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

    private protected static async Task RunAsync(string program, string[] arguments, bool asRoot)
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
