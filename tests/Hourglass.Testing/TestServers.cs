namespace Hourglass.Testing;

/// <summary>Process-wide servers, started on first use.</summary>
public static class TestServers
{
    private static readonly Lazy<Task<TestServer>> s_timescale = new(StartTimescaleAsync);
    private static readonly Lazy<Task<NativePostgresServer>> s_postgres = new(NativePostgresServer.StartAsync);

    /// <summary>
    /// The TimescaleDB every TimescaleDB test uses: the server named by HOURGLASS_TEST_CONNECTION when set,
    /// else the embedded one.
    /// </summary>
    public static Task<TestServer> Timescale => s_timescale.Value;

    /// <summary>A native PostgreSQL 15 without TimescaleDB.</summary>
    public static Task<NativePostgresServer> Postgres => s_postgres.Value;

    /// <summary>True when the TimescaleDB tests run against HOURGLASS_TEST_CONNECTION.</summary>
    public static bool UsingExternalTimescale => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("HOURGLASS_TEST_CONNECTION"));

    private static async Task<TestServer> StartTimescaleAsync()
    {
        var external = Environment.GetEnvironmentVariable("HOURGLASS_TEST_CONNECTION");
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new ExternalTimescaleServer(external);
        }

        return await EmbeddedTimescaleServer.StartAsync();
    }
}
