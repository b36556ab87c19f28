using Npgsql;

namespace Hourglass.Testing;

/// <summary>A real database server the tests run against.</summary>
public abstract class TestServer
{
    private static int s_counter;

    /// <summary>Connection string with rights to create databases or schemas.</summary>
    public abstract string AdminConnectionString { get; }

    /// <summary>Short description for test output, e.g. "embedded TimescaleDB 2.23.0".</summary>
    public abstract string Description { get; }

    /// <summary>True when TimescaleDB is installed (or installable) on this server.</summary>
    public abstract bool HasTimescale { get; }

    /// <summary>Whether each test class gets a database of its own (else a schema of its own).</summary>
    protected abstract Task<bool> UsesDatabasePerClassAsync();

    /// <summary>Creates an isolated database (or schema) for one test class.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(string? hint = null)
    {
        var name = $"hg_{Sanitize(hint)}{Environment.ProcessId % 10000}_{Interlocked.Increment(ref s_counter)}_{Guid.NewGuid():N}"[..40].TrimEnd('_');
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        if (await UsesDatabasePerClassAsync())
        {
            await Execute(admin, $"CREATE DATABASE \"{name}\"");
            var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name };
            if (HasTimescale)
            {
                await using var db = new NpgsqlConnection(builder.ConnectionString);
                await db.OpenAsync();
                await Execute(db, "CREATE EXTENSION IF NOT EXISTS timescaledb");
            }

            return new TestDatabase(this, builder.ConnectionString, name, "public", dropDatabase: true);
        }

        await Execute(admin, $"CREATE SCHEMA \"{name}\"");
        var schemaBuilder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { SearchPath = $"{name},public" };
        return new TestDatabase(this, schemaBuilder.ConnectionString, admin.Database, name, dropDatabase: false);
    }

    internal async Task DropAsync(TestDatabase database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        if (database.OwnsDatabase)
        {
            await Execute(admin, $"DROP DATABASE IF EXISTS \"{database.DatabaseName}\" WITH (FORCE)");
        }
        else
        {
            await Execute(admin, $"DROP SCHEMA IF EXISTS \"{database.Schema}\" CASCADE");
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Sanitize(string? hint)
    {
        if (string.IsNullOrEmpty(hint))
        {
            return "";
        }

        var letters = new string(hint.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(12).ToArray());
        return letters.Length == 0 ? "" : letters + "_";
    }
}

/// <summary>One test class's own database (or schema) on a <see cref="TestServer"/>.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    internal TestDatabase(TestServer server, string connectionString, string databaseName, string schema, bool dropDatabase)
    {
        Server = server;
        ConnectionString = connectionString;
        DatabaseName = databaseName;
        Schema = schema;
        OwnsDatabase = dropDatabase;
    }

    /// <summary>The server this database lives on.</summary>
    public TestServer Server { get; }

    /// <summary>Connection string whose search path starts with <see cref="Schema"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>The database name.</summary>
    public string DatabaseName { get; }

    /// <summary>The schema unqualified names resolve to ("public" when the class owns a whole database).</summary>
    public string Schema { get; }

    internal bool OwnsDatabase { get; }

    /// <summary>Opens a connection.</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs SQL and returns the first column of the first row.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs SQL that returns no rows.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Server.DropAsync(this);
}
