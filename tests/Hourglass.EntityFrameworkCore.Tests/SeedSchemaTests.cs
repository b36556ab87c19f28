using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests;

public class Site
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

/// <summary>The seeds' weather "deviations" table: composite key with the time column, foreign keys, extra indexes.</summary>
public class Deviation
{
    public DateTimeOffset Timestamp { get; set; }

    public int SiteId { get; set; }

    public Site Site { get; set; } = null!;

    public int Horizon { get; set; }

    public decimal ForecastValue { get; set; }

    public decimal ObservedValue { get; set; }
}

/// <summary>A schema from the seeds, declared in the model and migrated with snake_case names.</summary>
public class SeedSchemaTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Weather_deviations_hypertable_from_the_seeds_migrates()
    {
        var db = fixture.Database;
        await using var context = ModelContext.Create(
            db.ConnectionString,
            b =>
            {
                b.Entity<Site>();
                b.Entity<Deviation>(e =>
                {
                    e.HasKey(x => new { x.Timestamp, x.SiteId, x.Horizon });
                    e.HasIndex(x => x.SiteId);
                    e.HasIndex(x => x.Timestamp).IsDescending();
                    e.IsHypertable(x => x.Timestamp).WithChunkInterval("7 days");
                });
            },
            snakeCase: true);

        var operations = context.DiffFrom(null);
        await context.ApplyAsync(operations);
        await db.ExecuteAsync("INSERT INTO site (name) VALUES ('Passy Plaine Joux')");
        await db.ExecuteAsync("INSERT INTO deviation (timestamp, site_id, horizon, forecast_value, observed_value) SELECT now() - i * interval '1 hour', 1, 6, 10, 11 FROM generate_series(1, 100) i");

        Assert.Equal("timestamp|7 days", await db.ScalarAsync<string>("SELECT column_name || '|' || time_interval::text FROM timescaledb_information.dimensions WHERE hypertable_schema = current_schema() AND hypertable_name = 'deviation'"));
        Assert.Equal(100, await db.ScalarAsync<long>("SELECT count(*) FROM deviation"));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM pg_constraint WHERE conrelid = 'deviation'::regclass AND contype = 'f'"));
        Assert.Empty(context.DiffFrom(context));
    }
}
