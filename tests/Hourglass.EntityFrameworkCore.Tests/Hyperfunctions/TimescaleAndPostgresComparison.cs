using Hourglass.Testing;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>
/// The seeded hyperfunction rows on a TimescaleDB and on a PostgreSQL without it, with a context on each, for tests that
/// compare what the same LINQ returns on both.
/// </summary>
public abstract class TimescaleAndPostgresComparison(TimescaleDatabaseFixture timescale, PostgresDatabaseFixture postgres) : IAsyncLifetime
{
    protected TestDatabase TimescaleDatabase { get; } = timescale.Database;

    protected TestDatabase PostgresDatabase { get; } = postgres.Database;

    protected HyperfunctionContext OnTimescale { get; private set; } = null!;

    protected HyperfunctionContext OnPostgres { get; private set; } = null!;

    /// <summary>The TimescaleDB extension's version, without a pre-release suffix.</summary>
    protected Version TimescaleVersion { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await HyperfunctionData.EnsureSeededAsync(TimescaleDatabase);
        await HyperfunctionData.EnsureSeededAsync(PostgresDatabase);
        OnTimescale = HyperfunctionContext.Create(TimescaleDatabase.ConnectionString);
        OnPostgres = HyperfunctionContext.Create(PostgresDatabase.ConnectionString);
        TimescaleVersion = Version.Parse((await TimescaleDatabase.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).Split('-')[0]);
    }

    public async Task DisposeAsync()
    {
        await OnTimescale.DisposeAsync();
        await OnPostgres.DisposeAsync();
    }
}
