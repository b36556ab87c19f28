using Hourglass.Embedded;

namespace Hourglass.Testing;

/// <summary>
/// A native PostgreSQL server started for this test process by the product's own native engine
/// (<see cref="EmbeddedTimescale"/> with <see cref="EmbeddedEngine.Native"/>): initdb into a temporary folder (as the
/// unprivileged <c>postgres</c> user when the tests run as root), 127.0.0.1 and a free port, fsync off for speed.
/// It stops with the test process, however that ends.
/// </summary>
public abstract class NativeServer : TestServer
{
    // Test-only settings on top of the engine's: speed over durability, and room for many parallel sessions.
    private protected static readonly Dictionary<string, string> TestSettings = new(StringComparer.Ordinal)
    {
        ["fsync"] = "off",
        ["synchronous_commit"] = "off",
        ["full_page_writes"] = "off",
        ["max_connections"] = "200",
        // A test that hangs on a lock is explained by the server log: who waited for whom (the log is printed by such tests and kept after a crash).
        ["log_lock_waits"] = "on",
        ["log_line_prefix"] = "%m [%p] %d %a: ",
    };

    private protected NativeServer(EmbeddedTimescale server)
    {
        Server = server;
        AdminConnectionString = $"Host=127.0.0.1;Port={server.Port};Username=postgres;Database=postgres;SSL Mode=Disable;Timeout=30";
    }

    /// <summary>The running server.</summary>
    public EmbeddedTimescale Server { get; }

    /// <summary>The port the server listens on.</summary>
    public int Port => Server.Port;

    /// <summary>The folder holding this server's pg_ctl, pg_dump, pg_restore and psql.</summary>
    public override string BinDirectory => Server.BinDirectory!;

    /// <summary>The server's log file.</summary>
    public string LogFile => Server.LogFile!;

    /// <inheritdoc />
    public override string AdminConnectionString { get; }

    /// <inheritdoc />
    protected override Task<bool> UsesDatabasePerClassAsync() => Task.FromResult(true);

    /// <summary>Starts a native server from <paramref name="home"/> with the test settings and <paramref name="settings"/>.</summary>
    private protected static async Task<EmbeddedTimescale> StartNativeAsync(string home, bool withTimescale, IReadOnlyDictionary<string, string> settings)
    {
        var all = new Dictionary<string, string>(TestSettings, StringComparer.Ordinal);
        foreach (var (name, value) in settings)
        {
            all[name] = value;
        }

        var server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions
        {
            Engine = EmbeddedEngine.Native,
            NativeHome = home,
            NativeSettings = all,
            WithoutTimescale = !withTimescale,
            StartTimeout = TimeSpan.FromSeconds(120),
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        KeepLog(server);
        return server;
    }

    // Where the logs of this machine's native test servers are kept; .ci/run prints those of crashed servers.
    private static readonly string KeptLogs = Path.Combine(Path.GetTempPath(), "hourglass-test-server-logs");

    // The data folder, log included, is deleted with the server, whichever way the test process ends (a watchdog does it
    // when the process is gone, and a test host may be ended without running exit handlers). A backend that crashed
    // (PostgreSQL then restarts every session, and many tests fail at once) is explained only by that log, so the log gets
    // a second name outside the folder: a hard link, which keeps what the server writes after the folder is gone.
    private static void KeepLog(EmbeddedTimescale server)
    {
        try
        {
            Directory.CreateDirectory(KeptLogs);
            ForgetFinishedLogsWithoutCrash();
            if (server.LogFile is { } log && Link(log, Path.Combine(KeptLogs, $"{Environment.ProcessId}-{server.Port}.log")) != 0)
            {
                Console.Error.WriteLine($"Could not keep the native test server's log {log} in {KeptLogs} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not keep the native test server's log in {KeptLogs}: {e.Message}");
        }
    }

    // Whether a server log records a crashed server process: PostgreSQL then restarts every session.
    private static bool RecordsCrash(string logFile)
        => File.ReadLines(logFile).Any(line => line.Contains("all server processes terminated; reinitializing", StringComparison.Ordinal));

    // Logs of test processes that have ended and whose server never crashed have served their purpose.
    private static void ForgetFinishedLogsWithoutCrash()
    {
        foreach (var kept in Directory.EnumerateFiles(KeptLogs, "*.log"))
        {
            var owner = Path.GetFileName(kept).Split('-')[0];
            if (int.TryParse(owner, System.Globalization.CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}") && !RecordsCrash(kept))
            {
                File.Delete(kept);
            }
        }
    }

    // CharSet.Ansi is UTF-8 on Linux, where native servers run.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true, CharSet = System.Runtime.InteropServices.CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Link(string existing, string newName);
}
