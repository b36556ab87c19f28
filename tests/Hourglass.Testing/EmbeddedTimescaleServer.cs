using Hourglass.Embedded;

namespace Hourglass.Testing;

/// <summary>The embedded TimescaleDB, one per test process; test classes get a schema each.</summary>
public sealed class EmbeddedTimescaleServer : TestServer
{
    private EmbeddedTimescaleServer(EmbeddedTimescale server) => Server = server;

    /// <summary>The running server.</summary>
    public EmbeddedTimescale Server { get; }

    /// <inheritdoc />
    public override string AdminConnectionString => Server.ConnectionString;

    /// <inheritdoc />
    public override string Description => $"embedded TimescaleDB {Server.TimescaleDbVersion} (PostgreSQL {Server.ServerVersion})";

    /// <inheritdoc />
    public override bool HasTimescale => true;

    /// <inheritdoc />
    protected override bool DatabasePerClass => false;

    internal static async Task<EmbeddedTimescaleServer> StartAsync()
    {
        // Test classes run in parallel and queue for the single engine session; give them room.
        var server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { LockTimeout = TimeSpan.FromMinutes(5) });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return new EmbeddedTimescaleServer(server);
    }
}

/// <summary>Any TimescaleDB server named by HOURGLASS_TEST_CONNECTION; test classes get a database each.</summary>
public sealed class ExternalTimescaleServer(string connectionString) : TestServer
{
    /// <inheritdoc />
    public override string AdminConnectionString => connectionString;

    /// <inheritdoc />
    public override string Description => "HOURGLASS_TEST_CONNECTION";

    /// <inheritdoc />
    public override bool HasTimescale => true;

    /// <inheritdoc />
    protected override bool DatabasePerClass => true;
}
