using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>A reading as seed 003 stores it.</summary>
public class SeedMetric
{
    public DateTime Time { get; set; }

    public string DeviceId { get; set; } = "";

    public string MetricType { get; set; } = "";

    public double Value { get; set; }
}

/// <summary>Seed 003's metrics_hourly.</summary>
public class SeedHourlyMetric
{
    public DateTime Hour { get; set; }

    public string DeviceId { get; set; } = "";

    public string MetricType { get; set; } = "";

    public double AvgValue { get; set; }

    public double MinValue { get; set; }

    public double MaxValue { get; set; }

    public int SampleCount { get; set; }

    public double TotalEnergy { get; set; }

    public double P95Value { get; set; }
}

/// <summary>Seed 003's metrics_daily.</summary>
public class SeedDailyMetric
{
    public DateTime Day { get; set; }

    public string DeviceId { get; set; } = "";

    public string MetricType { get; set; } = "";

    public double AvgValue { get; set; }

    public double MinValue { get; set; }

    public double MaxValue { get; set; }

    public double TotalEnergy { get; set; }

    public double MedianValue { get; set; }
}

/// <summary>A daily aggregate over the hourly one (hierarchical): only what combines from hourly values.</summary>
public class SeedDailyFromHourly
{
    public DateTime Day { get; set; }

    public string DeviceId { get; set; } = "";

    public string MetricType { get; set; } = "";

    public double AvgValue { get; set; }

    public double MinValue { get; set; }

    public double MaxValue { get; set; }

    public double TotalEnergy { get; set; }

    public int SampleCount { get; set; }
}

/// <summary>Seed 003's aggregates written in LINQ: migrated, refreshed and compared row by row with C#.</summary>
public class LinqContinuousAggregateTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static readonly DateTime Start = new(2026, 2, 2, 0, 0, 0, DateTimeKind.Utc);
    private const double Tolerance = 1e-9;

    private TestDatabase Db => fixture.Database;

    public static Action<ModelBuilder> Model(string prefix, bool renamed = false, bool realTime = false) => b =>
    {
        b.Entity<SeedMetric>(e =>
        {
            e.ToTable(prefix + "metrics");
            e.HasKey(m => new { m.Time, m.DeviceId, m.MetricType });
            e.IsHypertable(m => m.Time).WithChunkInterval("1 day");
        });
        b.Entity<SeedHourlyMetric>(e =>
        {
            e.HasNoKey();
            if (renamed)
            {
                e.Property(h => h.AvgValue).HasColumnName("mean_value");
            }

            e.IsContinuousAggregate<SeedHourlyMetric, SeedMetric>(prefix + "metrics_hourly", metrics => metrics
                .GroupBy(m => new { Hour = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId, m.MetricType })
                .Select(g => new SeedHourlyMetric
                {
                    Hour = g.Key.Hour,
                    DeviceId = g.Key.DeviceId,
                    MetricType = g.Key.MetricType,
                    AvgValue = g.Average(m => m.Value),
                    MinValue = g.Min(m => m.Value),
                    MaxValue = g.Max(m => m.Value),
                    SampleCount = g.Count(),
                    TotalEnergy = g.Sum(m => m.MetricType == "energy" ? m.Value : 0),
                    P95Value = EF.Functions.PercentileCont(0.95, g.Select(m => m.Value)),
                }))
                .MaterializedOnly(!realTime);
        });
        b.Entity<SeedDailyMetric>(e =>
        {
            e.HasNoKey();
            e.IsContinuousAggregate<SeedDailyMetric, SeedMetric>(prefix + "metrics_daily", metrics => metrics
                .GroupBy(m => new { Day = EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.Time), m.DeviceId, m.MetricType })
                .Select(g => new SeedDailyMetric
                {
                    Day = g.Key.Day,
                    DeviceId = g.Key.DeviceId,
                    MetricType = g.Key.MetricType,
                    AvgValue = g.Average(m => m.Value),
                    MinValue = g.Min(m => m.Value),
                    MaxValue = g.Max(m => m.Value),
                    TotalEnergy = g.Where(m => m.MetricType == "energy").Sum(m => m.Value),
                    MedianValue = EF.Functions.Median(g.Select(m => m.Value)),
                }))
                .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromDays(1), TimeSpan.FromDays(1));
        });
        b.Entity<SeedDailyFromHourly>(e =>
        {
            e.HasNoKey();
            e.IsContinuousAggregate<SeedDailyFromHourly, SeedHourlyMetric>(prefix + "metrics_daily_rollup", hourly => hourly
                .GroupBy(h => new { Day = EF.Functions.TimeBucket(TimeSpan.FromDays(1), h.Hour), h.DeviceId, h.MetricType })
                .Select(g => new SeedDailyFromHourly
                {
                    Day = g.Key.Day,
                    DeviceId = g.Key.DeviceId,
                    MetricType = g.Key.MetricType,
                    AvgValue = g.Sum(h => h.AvgValue * h.SampleCount) / g.Sum(h => h.SampleCount),
                    MinValue = g.Min(h => h.MinValue),
                    MaxValue = g.Max(h => h.MaxValue),
                    TotalEnergy = g.Sum(h => h.TotalEnergy),
                    SampleCount = g.Sum(h => h.SampleCount),
                }));
        });
    };

    private ModelContext Context(string prefix, bool renamed = false, bool realTime = false, bool allowDataRewrite = false)
        => CaggModels.Context(Db.ConnectionString, Model(prefix, renamed, realTime), timescale: allowDataRewrite ? o => o.AllowDataRewrite() : null);

    public static List<SeedMetric> Rows(DateTime start, int hours)
    {
        var random = new Random(3);
        string[] devices = ["meter-01", "meter-02", "hvac-01"];
        string[] types = ["energy", "power", "temperature"];
        var rows = new List<SeedMetric>();
        for (var minute = 0; minute < hours * 60; minute += 7)
        {
            foreach (var device in devices)
            {
                foreach (var type in types)
                {
                    if (random.Next(4) != 0)
                    {
                        rows.Add(new SeedMetric { Time = start.AddMinutes(minute + random.Next(7)), DeviceId = device, MetricType = type, Value = Math.Round(random.NextDouble() * 500, 3) });
                    }
                }
            }
        }

        return rows.DistinctBy(r => (r.Time, r.DeviceId, r.MetricType)).ToList();
    }

    private static double PercentileCont(IEnumerable<double> values, double fraction)
        => Hyperfunctions.OrderedSetAggregateTests.PercentileCont(values, fraction);

    private static void Close(double expected, double actual, string what)
        => Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    private static DateTime Floor(DateTime time, TimeSpan width) => Hyperfunctions.ExpectedBuckets.Floor(time, width);

    [Fact]
    public async Task Generated_migration_holds_the_sql_EF_made_and_every_refreshed_row_equals_csharp()
    {
        await using var context = Context("lq_");
        var scaffolded = DesignTime.Services(context).GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");

        // The migration and the snapshot hold readable SQL in the model's snake_case names; no query object.
        Assert.Contains("migrationBuilder.CreateContinuousAggregate(", scaffolded.MigrationCode, StringComparison.Ordinal);
        foreach (var expected in new[] { "WITHIN GROUP (ORDER BY", "AS p95value", "time_bucket(INTERVAL", "FROM lq_metrics_hourly AS" })
        {
            Assert.True(scaffolded.MigrationCode.Contains(expected, StringComparison.Ordinal), $"'{expected}' is not in the migration:\n{scaffolded.MigrationCode}");
        }

        Assert.Contains("\"Hourglass:ContinuousAggregate:Sql\"", scaffolded.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains("FILTER (WHERE", scaffolded.SnapshotCode, StringComparison.Ordinal);
        Assert.DoesNotContain("ContinuousAggregate:Query", scaffolded.SnapshotCode, StringComparison.Ordinal);

        var operations = context.DiffFrom(null);
        Assert.DoesNotContain(operations.OfType<CreateContinuousAggregateOperation>(), c => c.Sql.Contains("FROM (", StringComparison.Ordinal));
        Assert.Contains(") WITHIN GROUP (ORDER BY l.value) AS p95value", Assert.Single(operations.OfType<CreateContinuousAggregateOperation>(), c => c.Table == "lq_metrics_hourly").Sql, StringComparison.Ordinal);
        var sql = context.Sql(operations);
        Assert.Contains("CREATE MATERIALIZED VIEW lq_metrics_hourly WITH (timescaledb.continuous", sql, StringComparison.Ordinal);
        await context.ApplyAsync(operations);
        Assert.Empty(context.DiffFrom(context));

        var rows = Rows(Start, hours: 50);
        context.Set<SeedMetric>().AddRange(rows);
        await context.SaveChangesAsync();
        await context.RefreshContinuousAggregateAsync<SeedHourlyMetric>(null, null);
        await context.RefreshContinuousAggregateAsync<SeedDailyMetric>(null, null);
        await context.RefreshContinuousAggregateAsync<SeedDailyFromHourly>(null, null);

        var hourly = await context.Set<SeedHourlyMetric>().OrderBy(h => h.Hour).ThenBy(h => h.DeviceId).ThenBy(h => h.MetricType).ToListAsync();
        var expectedHourly = rows.GroupBy(m => (Hour: Floor(m.Time, TimeSpan.FromHours(1)), m.DeviceId, m.MetricType))
            .OrderBy(g => g.Key.Hour).ThenBy(g => g.Key.DeviceId, StringComparer.Ordinal).ThenBy(g => g.Key.MetricType, StringComparer.Ordinal).ToList();
        Assert.True(expectedHourly.Count > 400);
        Assert.Equal(expectedHourly.Select(g => g.Key), hourly.Select(h => (h.Hour.ToUniversalTime(), h.DeviceId, h.MetricType)));
        for (var i = 0; i < hourly.Count; i++)
        {
            var values = expectedHourly[i].Select(m => m.Value).ToList();
            Close(values.Average(), hourly[i].AvgValue, "avg");
            Assert.Equal((values.Min(), values.Max(), values.Count), (hourly[i].MinValue, hourly[i].MaxValue, hourly[i].SampleCount));
            Close(expectedHourly[i].Sum(m => m.MetricType == "energy" ? m.Value : 0), hourly[i].TotalEnergy, "energy");
            Close(PercentileCont(values, 0.95), hourly[i].P95Value, "p95");
        }

        var daily = await context.Set<SeedDailyMetric>().OrderBy(d => d.Day).ThenBy(d => d.DeviceId).ThenBy(d => d.MetricType).ToListAsync();
        var expectedDaily = rows.GroupBy(m => (Day: Floor(m.Time, TimeSpan.FromDays(1)), m.DeviceId, m.MetricType))
            .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.DeviceId, StringComparer.Ordinal).ThenBy(g => g.Key.MetricType, StringComparer.Ordinal).ToList();
        Assert.Equal(expectedDaily.Select(g => g.Key), daily.Select(d => (d.Day.ToUniversalTime(), d.DeviceId, d.MetricType)));
        Assert.Contains(daily, d => d.MetricType == "energy" && d.TotalEnergy > 0);
        for (var i = 0; i < daily.Count; i++)
        {
            var values = expectedDaily[i].Select(m => m.Value).ToList();
            Close(values.Average(), daily[i].AvgValue, "avg");
            Assert.Equal((values.Min(), values.Max()), (daily[i].MinValue, daily[i].MaxValue));
            Close(expectedDaily[i].Where(m => m.MetricType == "energy").Sum(m => m.Value), daily[i].TotalEnergy, "energy");
            Close(PercentileCont(values, 0.5), daily[i].MedianValue, "median");
        }

        // Daily from hourly equals daily from raw for what combines (avg weighted by count, min, max, sum).
        var rollup = await context.Set<SeedDailyFromHourly>().OrderBy(d => d.Day).ThenBy(d => d.DeviceId).ThenBy(d => d.MetricType).ToListAsync();
        Assert.Equal(daily.Select(d => (d.Day, d.DeviceId, d.MetricType)), rollup.Select(d => (d.Day, d.DeviceId, d.MetricType)));
        for (var i = 0; i < daily.Count; i++)
        {
            Close(daily[i].AvgValue, rollup[i].AvgValue, "rollup avg");
            Assert.Equal((daily[i].MinValue, daily[i].MaxValue, expectedDaily[i].Count()), (rollup[i].MinValue, rollup[i].MaxValue, rollup[i].SampleCount));
            Close(daily[i].TotalEnergy, rollup[i].TotalEnergy, "rollup energy");
        }
    }

    [Fact]
    public async Task Renaming_a_column_changes_the_sql_in_the_next_migration()
    {
        await using var before = Context("lr_");
        await using var after = Context("lr_", renamed: true);
        Assert.Contains("AS avg_value", Assert.Single(before.DiffFrom(null).OfType<CreateContinuousAggregateOperation>(), c => c.Table == "lr_metrics_hourly").Sql, StringComparison.Ordinal);

        var operations = after.DiffFrom(before);

        // The hourly aggregate's column is renamed in place. The rollup reading it has a new query, but only by that
        // column (".mean_value"), which PostgreSQL rewrites in its stored query with the rename: it keeps its buckets,
        // and nothing needs allowing.
        var rename = Assert.IsType<RenameContinuousAggregateColumnOperation>(Assert.Single(operations));
        Assert.Equal(("lr_metrics_hourly", "avg_value", "mean_value"), (rename.Table, rename.Name, rename.NewName));
        Assert.Contains(".mean_value", after.DiffFrom(null).OfType<CreateContinuousAggregateOperation>().Single(o => o.Table == "lr_metrics_daily_rollup").Sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Real_time_aggregate_returns_rows_inserted_after_the_refresh_and_a_materialized_only_one_does_not()
    {
        await using var context = Context("lt_", realTime: true);
        await context.ApplyAsync(context.DiffFrom(null));
        var first = Rows(Start, hours: 3);
        context.Set<SeedMetric>().AddRange(first);
        await context.SaveChangesAsync();
        await context.RefreshContinuousAggregateAsync<SeedHourlyMetric>(null, null);
        await context.RefreshContinuousAggregateAsync<SeedDailyMetric>(null, null);
        var hoursBefore = await context.Set<SeedHourlyMetric>().CountAsync();
        var daysBefore = await context.Set<SeedDailyMetric>().ToListAsync();

        // New rows two days later: in no materialized bucket.
        var fresh = Rows(Start.AddDays(2), hours: 2);
        context.Set<SeedMetric>().AddRange(fresh);
        await context.SaveChangesAsync();

        var hourly = await context.Set<SeedHourlyMetric>().Where(h => h.Hour >= Start.AddDays(2)).OrderBy(h => h.Hour).ThenBy(h => h.DeviceId).ThenBy(h => h.MetricType).ToListAsync();
        var expected = fresh.GroupBy(m => (Hour: Floor(m.Time, TimeSpan.FromHours(1)), m.DeviceId, m.MetricType))
            .OrderBy(g => g.Key.Hour).ThenBy(g => g.Key.DeviceId, StringComparer.Ordinal).ThenBy(g => g.Key.MetricType, StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(g => (g.Key, g.Count())), hourly.Select(h => ((h.Hour.ToUniversalTime(), h.DeviceId, h.MetricType), h.SampleCount)));
        Assert.Equal(hoursBefore + expected.Count, await context.Set<SeedHourlyMetric>().CountAsync());

        // The daily aggregate is materialized-only: the fresh rows are not in it until it is refreshed.
        Assert.Equal(daysBefore.Count, await context.Set<SeedDailyMetric>().CountAsync());
        Assert.DoesNotContain(await context.Set<SeedDailyMetric>().ToListAsync(), d => d.Day.ToUniversalTime() >= Start.AddDays(2));
        await context.RefreshContinuousAggregateAsync<SeedDailyMetric>(null, null);
        Assert.Contains(await context.Set<SeedDailyMetric>().ToListAsync(), d => d.Day.ToUniversalTime() >= Start.AddDays(2));
    }
}
