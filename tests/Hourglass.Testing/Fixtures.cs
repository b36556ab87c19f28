using Xunit;

namespace Hourglass.Testing;

/// <summary>Class fixture: a database (or schema) of the test class's own on the TimescaleDB server.</summary>
public class TimescaleDatabaseFixture : IAsyncLifetime
{
    private TestDatabase? _database;

    /// <summary>The class's database.</summary>
    public TestDatabase Database => _database ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _database = await (await TestServers.Timescale).CreateDatabaseAsync(GetType().Name);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>
/// Class fixture: a database of the test class's own on native PostgreSQL 15, checked to have no TimescaleDB (neither
/// created nor installable).
/// </summary>
public class PostgresDatabaseFixture : IAsyncLifetime
{
    private TestDatabase? _database;

    /// <summary>The class's database.</summary>
    public TestDatabase Database => _database ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _database = await WithoutTimescale.CreateDatabaseAsync(WithoutTimescale.NotAvailable, GetType().Name);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
