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
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            KeepLogIfCrashed(server);
            server.Dispose();
        };
        return server;
    }

    // The data folder, log included, goes with the server. A backend that crashed (PostgreSQL restarts every session
    // then, and many tests fail at once) is explained only by that log, so it is kept where the failures can be read.
    private static void KeepLogIfCrashed(EmbeddedTimescale server)
    {
        try
        {
            if (server.LogFile is { } log && File.Exists(log) && File.ReadAllText(log).Contains("terminated by signal", StringComparison.Ordinal))
            {
                var kept = Path.Combine(Path.GetTempPath(), $"hourglass-crashed-server-{Environment.ProcessId}-{server.Port}.log");
                File.Copy(log, kept, overwrite: true);
                Console.Error.WriteLine($"The native test server crashed: its log is kept at {kept}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort at process exit: the tests' own failures already say that the server went away.
        }
    }
}
