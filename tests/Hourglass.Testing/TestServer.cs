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

    /// <summary>Which kind of server this is.</summary>
    public abstract TestServerKind Kind { get; }

    /// <summary>True for a real PostgreSQL server process (not the embedded WebAssembly engine).</summary>
    public bool IsNative => Kind is not TestServerKind.Embedded;

    /// <summary>
    /// The folder of the client tools (pg_dump, pg_restore, psql) matching this server, or null when there are none
    /// (the embedded engine). For a server of HOURGLASS_TEST_CONNECTION: Debian's newest /usr/lib/postgresql/N/bin.
    /// </summary>
    public virtual string? BinDirectory => null;

    private Task<TestServerCapabilities>? _capabilities;

    /// <summary>What this server can do, probed once.</summary>
    public Task<TestServerCapabilities> GetCapabilitiesAsync() => _capabilities ??= ProbeCapabilitiesAsync();

    private async Task<TestServerCapabilities> ProbeCapabilitiesAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false };
        await using var first = new NpgsqlConnection(builder.ConnectionString);
        await using var second = new NpgsqlConnection(builder.ConnectionString);
        await first.OpenAsync();
        await second.OpenAsync();

        // The embedded engine serves every client from one backend: both connections see the same pid.
        var concurrent = await ScalarAsync<int>(first, "SELECT pg_backend_pid()") != await ScalarAsync<int>(second, "SELECT pg_backend_pid()");
        var superuser = await ScalarAsync<bool>(first, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
        var postgresMajor = await ScalarAsync<int>(first, "SELECT current_setting('server_version_num')::int / 10000");
        string? timescale = null;
        var scheduler = false;
        if (HasTimescale)
        {
            timescale = await ScalarAsync<string?>(first, "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'");
            scheduler = await ScalarAsync<bool>(first,
                "SELECT coalesce(current_setting('timescaledb.max_background_workers', true)::int, 0) > 0 " +
                "AND EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'TimescaleDB Background Worker Launcher' OR application_name = 'TimescaleDB Background Worker Launcher')");
        }

        return new TestServerCapabilities(concurrent, await UsesDatabasePerClassAsync(), superuser, scheduler, postgresMajor, timescale);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }

    /// <summary>Whether each test class gets a database of its own (else a schema of its own).</summary>
    protected abstract Task<bool> UsesDatabasePerClassAsync();

    /// <summary>Creates an isolated database (or schema) for one test class.</summary>
    public Task<TestDatabase> CreateDatabaseAsync(string? hint = null) => CreateDatabaseAsync(hint, createExtension: true);

    /// <summary>
    /// Creates a database of its own for one test (or test class). With <paramref name="createExtension"/> false on a
    /// TimescaleDB server, TimescaleDB stays installable but is not created in it. Needs a server that allows databases.
    /// </summary>
    public async Task<TestDatabase> CreateDatabaseAsync(string? hint, bool createExtension)
    {
        var name = $"hg_{Sanitize(hint)}{Environment.ProcessId % 10000}_{Interlocked.Increment(ref s_counter)}_{Guid.NewGuid():N}"[..40].TrimEnd('_');
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        if (!createExtension && !await UsesDatabasePerClassAsync())
        {
            throw new InvalidOperationException($"{Description} cannot create databases, so it has no database without TimescaleDB.");
        }

        if (await UsesDatabasePerClassAsync())
        {
            await Execute(admin, $"CREATE DATABASE \"{name}\"");
            var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name };
            if (HasTimescale && createExtension)
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

    /// <summary>
    /// Creates a login role without superuser, CREATEDB or CREATEROLE rights that may connect to
    /// <paramref name="database"/> and owns a schema of its name there, the way an application role is set up
    /// in production. It is dropped with the database.
    /// </summary>
    internal async Task<TestRole> CreateRoleAsync(TestDatabase database, string? hint)
    {
        var name = $"hg_role_{Sanitize(hint)}{Guid.NewGuid():N}"[..40].TrimEnd('_');
        var password = Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(database.ConnectionString))
        {
            await admin.OpenAsync();
            await Execute(admin, $"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' NOSUPERUSER NOCREATEDB NOCREATEROLE");
            database.Roles.Add(name);
            await Execute(admin, $"GRANT CONNECT, TEMPORARY ON DATABASE \"{database.DatabaseName}\" TO \"{name}\"");
            await Execute(admin, $"CREATE SCHEMA \"{name}\" AUTHORIZATION \"{name}\"");
        }

        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = name, Password = password, SearchPath = $"{name},public" };
        return new TestRole(name, builder.ConnectionString, name);
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
            foreach (var role in database.Roles)
            {
                await Execute(admin, $"DROP OWNED BY \"{role}\" CASCADE");
            }

            await Execute(admin, $"DROP SCHEMA IF EXISTS \"{database.Schema}\" CASCADE");
        }

        foreach (var role in database.Roles)
        {
            await Execute(admin, $"DROP ROLE IF EXISTS \"{role}\"");
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

    internal List<string> Roles { get; } = [];

    /// <summary>
    /// Creates a non-superuser login role (no CREATEDB, no CREATEROLE) that may connect here and owns a schema of
    /// its own name, first on its search path. Dropped with this database.
    /// </summary>
    public Task<TestRole> CreateRoleAsync(string? hint = null) => Server.CreateRoleAsync(this, hint);

    /// <summary>
    /// A session tag of this test's own: its connection string carries a unique <c>Application Name</c>, and
    /// <see cref="TaggedSessions.Backends"/> is the <c>pg_stat_activity</c> filter that finds exactly those sessions in
    /// this database. Test classes run in parallel on one server, so a lookup by query text alone may find, cancel or
    /// terminate another class's session.
    /// </summary>
    public TaggedSessions TagSessions(string purpose)
    {
        var name = $"hg-{purpose}-{Guid.NewGuid():N}"[..Math.Min(63, purpose.Length + 36)];
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = name };
        return new TaggedSessions(builder.ConnectionString, name);
    }

    /// <summary>Runs SQL and returns the first column of every row.</summary>
    public async Task<List<T>> ColumnAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = SetupCommandTimeoutSeconds };
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

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
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = SetupCommandTimeoutSeconds };
        var value = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    // A test's own SQL (seeding millions of rows, checking them) is not what it measures; on a loaded 2-core machine it
    // outlasted Npgsql's default 30 s. Tests about timeouts set their own.
    private const int SetupCommandTimeoutSeconds = 600;

    /// <summary>Runs SQL that returns no rows.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = SetupCommandTimeoutSeconds };
        await command.ExecuteNonQueryAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Server.DropAsync(this);
}

/// <summary>Sessions opened with <see cref="ConnectionString"/>, found in <c>pg_stat_activity</c> by <see cref="Backends"/>.</summary>
/// <param name="ConnectionString">The test database's connection string with a unique <c>Application Name</c>.</param>
/// <param name="ApplicationName">That name.</param>
public sealed record TaggedSessions(string ConnectionString, string ApplicationName)
{
    /// <summary>
    /// A <c>WHERE</c> condition on <c>pg_stat_activity</c> that matches only these sessions: this database, this
    /// application name, never the session running the lookup.
    /// </summary>
    public string Backends => $"datname = current_database() AND application_name = '{ApplicationName}' AND pid <> pg_backend_pid()";
}

/// <summary>A non-superuser login role made by <see cref="TestDatabase.CreateRoleAsync"/>.</summary>
/// <param name="Name">The role name.</param>
/// <param name="ConnectionString">Connects as the role to the database it was made for, its schema first on the search path.</param>
/// <param name="Schema">The schema the role owns (named like the role).</param>
public sealed record TestRole(string Name, string ConnectionString, string Schema);

/// <summary>The kinds of server the tests run on.</summary>
public enum TestServerKind
{
    /// <summary>The embedded WebAssembly TimescaleDB: one session, no background workers, one database.</summary>
    Embedded,

    /// <summary>A native PostgreSQL without TimescaleDB, started by the harness.</summary>
    NativePostgres,

    /// <summary>A native TimescaleDB started by the harness from HOURGLASS_TIMESCALEDB_HOME.</summary>
    NativeTimescale,

    /// <summary>Whatever server HOURGLASS_TEST_CONNECTION names.</summary>
    External,
}

/// <summary>What a test server can do, probed on the server itself.</summary>
/// <param name="ConcurrentSessions">Each connection has a backend of its own (not the embedded engine's one session).</param>
/// <param name="DatabasePerClass">Databases can be created and connected to.</param>
/// <param name="Superuser">The admin connection is a superuser.</param>
/// <param name="Scheduler">TimescaleDB's background workers run jobs by themselves.</param>
/// <param name="PostgresMajor">PostgreSQL major version.</param>
/// <param name="TimescaleVersion">The TimescaleDB version a CREATE EXTENSION installs, or null.</param>
public sealed record TestServerCapabilities(bool ConcurrentSessions, bool DatabasePerClass, bool Superuser, bool Scheduler, int PostgresMajor, string? TimescaleVersion);
