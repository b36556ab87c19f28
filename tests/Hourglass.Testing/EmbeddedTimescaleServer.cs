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
    public override TestServerKind Kind => TestServerKind.Embedded;

    /// <inheritdoc />
    protected override Task<bool> UsesDatabasePerClassAsync() => Task.FromResult(false);

    internal static async Task<EmbeddedTimescaleServer> StartAsync()
    {
        // Test classes run in parallel and queue for the single engine session; give them room.
        var server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { LockTimeout = TimeSpan.FromMinutes(5) });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return new EmbeddedTimescaleServer(server);
    }
}

/// <summary>
/// Any TimescaleDB server named by HOURGLASS_TEST_CONNECTION. Test classes get a database each where the
/// server lets us create and connect to one, else a schema each.
/// </summary>
public sealed class ExternalTimescaleServer : TestServer
{
    private readonly string _connectionString;
    private readonly Lazy<Task<bool>> _databasePerClass;

    /// <summary>Wraps the server.</summary>
    public ExternalTimescaleServer(string connectionString)
    {
        _connectionString = connectionString;
        _databasePerClass = new Lazy<Task<bool>>(ProbeDatabasePerClassAsync);
    }

    /// <inheritdoc />
    public override string AdminConnectionString => _connectionString;

    /// <inheritdoc />
    public override string Description => "HOURGLASS_TEST_CONNECTION";

    /// <inheritdoc />
    public override bool HasTimescale => true;

    /// <inheritdoc />
    public override TestServerKind Kind => TestServerKind.External;

    /// <inheritdoc />
    public override string? BinDirectory => NativePostgresServer.LocateBinDirectory();

    /// <inheritdoc />
    protected override Task<bool> UsesDatabasePerClassAsync() => _databasePerClass.Value;

    private async Task<bool> ProbeDatabasePerClassAsync()
    {
        var probe = $"hg_probe_{Guid.NewGuid():N}"[..30];
        try
        {
            await using (var admin = new Npgsql.NpgsqlConnection(_connectionString))
            {
                await admin.OpenAsync();
                await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{probe}\"", admin);
                await create.ExecuteNonQueryAsync();
            }

            var builder = new Npgsql.NpgsqlConnectionStringBuilder(_connectionString) { Database = probe, Pooling = false };
            await using (var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString))
            {
                await connection.OpenAsync();
                await using var current = new Npgsql.NpgsqlCommand("SELECT current_database()", connection);
                return (string?)await current.ExecuteScalarAsync() == probe;
            }
        }
        catch (Npgsql.NpgsqlException)
        {
            return false;
        }
        finally
        {
            try
            {
                await using var admin = new Npgsql.NpgsqlConnection(_connectionString);
                await admin.OpenAsync();
                await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{probe}\"", admin);
                await drop.ExecuteNonQueryAsync();
            }
            catch (Npgsql.NpgsqlException)
            {
                // The probe database may not exist; nothing to clean up.
            }
        }
    }
}
