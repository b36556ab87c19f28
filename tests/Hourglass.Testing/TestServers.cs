namespace Hourglass.Testing;

/// <summary>Process-wide servers, started on first use.</summary>
public static class TestServers
{
    /// <summary>Names a TimescaleDB server (connection string) every TimescaleDB test runs on instead of the embedded one.</summary>
    public const string ConnectionVariable = "HOURGLASS_TEST_CONNECTION";

    private static readonly Lazy<Task<TestServer>> s_timescale = new(StartTimescaleAsync);
    private static readonly Lazy<Task<NativePostgresServer>> s_postgres = new(NativePostgresServer.StartAsync);
    private static readonly Lazy<Task<NativeTimescaleServer>> s_apache = new(StartApacheAsync);

    /// <summary>
    /// The TimescaleDB every TimescaleDB test uses: the server named by HOURGLASS_TEST_CONNECTION when set, else a
    /// native TimescaleDB started from HOURGLASS_TIMESCALEDB_HOME when set, else the embedded one.
    /// </summary>
    public static Task<TestServer> Timescale => s_timescale.Value;

    /// <summary>A native PostgreSQL 15 without TimescaleDB.</summary>
    public static Task<NativePostgresServer> Postgres => s_postgres.Value;

    /// <summary>
    /// True when the TimescaleDB tests run on a server other than the embedded engine (HOURGLASS_TEST_CONNECTION
    /// or HOURGLASS_TIMESCALEDB_HOME): many sessions, background workers, a database per test class.
    /// </summary>
    public static bool UsingExternalTimescale => ExternalConnection is not null || NativeHome is not null;

    /// <summary>True when the harness starts a native TimescaleDB from HOURGLASS_TIMESCALEDB_HOME.</summary>
    public static bool UsingNativeTimescale => ExternalConnection is null && NativeHome is not null;

    /// <summary>Whether the harness can start the Apache-licensed edition as a second server (HOURGLASS_TIMESCALEDB_HOME is set).</summary>
    public static bool CanStartApacheEdition => NativeHome is not null;

    private static string? ExternalConnection => NonEmpty(Environment.GetEnvironmentVariable(ConnectionVariable));

    private static string? NativeHome => NonEmpty(Environment.GetEnvironmentVariable(NativeTimescaleServer.HomeVariable));

    /// <summary>
    /// The TimescaleDB server for a test that needs a native one (see <see cref="NativeTimescaleFactAttribute"/>),
    /// after checking it has everything <paramref name="needs"/> names. Fails loudly, never skips: a native run
    /// on a server that lacks something must not pass silently.
    /// </summary>
    public static async Task<TestServer> RequireNativeTimescaleAsync(NativeNeeds needs = NativeNeeds.None)
    {
        var server = await Timescale;
        if (!server.IsNative)
        {
            throw new InvalidOperationException($"This test needs a native TimescaleDB, but runs on {server.Description}. Set {NativeTimescaleServer.HomeVariable} or {ConnectionVariable}.");
        }

        var capabilities = await server.GetCapabilitiesAsync();
        var missing = new List<string>();
        if (needs.HasFlag(NativeNeeds.Scheduler) && !capabilities.Scheduler)
        {
            missing.Add("TimescaleDB background workers that run jobs by themselves (shared_preload_libraries = 'timescaledb', timescaledb.max_background_workers > 0)");
        }

        if (needs.HasFlag(NativeNeeds.ConcurrentSessions) && !capabilities.ConcurrentSessions)
        {
            missing.Add("a backend per connection (concurrent sessions)");
        }

        if (needs.HasFlag(NativeNeeds.Databases) && !capabilities.DatabasePerClass)
        {
            missing.Add("the right to create and connect to databases");
        }

        if (needs.HasFlag(NativeNeeds.Superuser) && !capabilities.Superuser)
        {
            missing.Add("a superuser admin connection (to create roles and run timescaledb_pre_restore)");
        }

        if (needs.HasFlag(NativeNeeds.ClientTools) && (server.BinDirectory is not { } bin || !File.Exists(Path.Combine(bin, "pg_dump"))))
        {
            missing.Add($"pg_dump/pg_restore of PostgreSQL {capabilities.PostgresMajor} (looked in {server.BinDirectory ?? "nowhere"})");
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"This test needs a native TimescaleDB with {string.Join("; ", missing)}, but {server.Description} lacks it.");
        }

        return server;
    }

    /// <summary>
    /// A second native TimescaleDB from HOURGLASS_TIMESCALEDB_HOME, started with <c>timescaledb.license = 'apache'</c>
    /// (TimescaleDB's Apache-licensed edition: hypertables, but no columnstore, policies, jobs or continuous
    /// aggregates). Started on first use, once per test process, and stopped at exit. For tests marked
    /// <see cref="ApacheEditionFactAttribute"/>, which skips with the reason when HOURGLASS_TIMESCALEDB_HOME is not set
    /// (a server named by HOURGLASS_TEST_CONNECTION cannot be restarted with another license); with
    /// HOURGLASS_REQUIRE_ALL_TESTS=1 such a test runs and this fails loudly.
    /// </summary>
    public static Task<NativeTimescaleServer> RequireNativeApacheAsync()
    {
        if (NativeHome is null)
        {
            throw new InvalidOperationException(
                $"This test needs TimescaleDB's Apache-licensed edition, which the harness starts from {NativeTimescaleServer.HomeVariable} " +
                $"(a second instance with timescaledb.license=apache); it is not set{(ExternalConnection is null ? "" : $" ({ConnectionVariable} alone names one server of one license)")}.");
        }

        return s_apache.Value;
    }

    private static Task<NativeTimescaleServer> StartApacheAsync() => NativeTimescaleServer.StartAsync(NativeHome!, license: "apache");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static async Task<TestServer> StartTimescaleAsync()
    {
        if (ExternalConnection is { } external)
        {
            return new ExternalTimescaleServer(external);
        }

        if (NativeHome is { } home)
        {
            return await NativeTimescaleServer.StartAsync(home);
        }

        return await EmbeddedTimescaleServer.StartAsync();
    }
}

/// <summary>What a native-only test needs of its server; see <see cref="TestServers.RequireNativeTimescaleAsync"/>.</summary>
[Flags]
public enum NativeNeeds
{
    /// <summary>Only a native server.</summary>
    None = 0,

    /// <summary>TimescaleDB's scheduler runs jobs by itself.</summary>
    Scheduler = 1,

    /// <summary>Connections run at the same time, each with a backend of its own.</summary>
    ConcurrentSessions = 2,

    /// <summary>Databases can be created.</summary>
    Databases = 4,

    /// <summary>The admin connection is a superuser.</summary>
    Superuser = 8,

    /// <summary>pg_dump and pg_restore matching the server are at hand (<see cref="TestServer.BinDirectory"/>).</summary>
    ClientTools = 16,
}
