using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

public class GrowingMetric
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }
}

public class GrowingHourly
{
    public DateTime Hour { get; set; }

    public int DeviceId { get; set; }

    public double AvgValue { get; set; }

    public int SampleCount { get; set; }

    // Added by the second model: NULL in buckets the migration did not backfill.
    public double? MaxValue { get; set; }
}

public class RenamedHourly
{
    public DateTime Hour { get; set; }

    public int DeviceId { get; set; }

    // GrowingHourly.AvgValue, renamed in C#.
    public double MeanValue { get; set; }

    public int SampleCount { get; set; }
}

/// <summary>
/// An aggregate column added to a LINQ continuous aggregate: in place on TimescaleDB 2.28+ (existing buckets kept, the
/// chosen window backfilled), dropped and created again on older servers, announced in the migration and the log.
/// </summary>
public class ContinuousAggregateAddColumnTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static Action<ModelBuilder> Model(bool withMax) => b =>
    {
        b.Entity<GrowingMetric>(e =>
        {
            e.ToTable("grow_metrics");
            e.HasKey(m => new { m.Time, m.DeviceId });
            e.IsHypertable(m => m.Time).WithChunkInterval("1 day");
        });
        b.Entity<GrowingHourly>(e =>
        {
            e.HasNoKey();
            if (!withMax)
            {
                e.Ignore(h => h.MaxValue);
                e.IsContinuousAggregate<GrowingHourly, GrowingMetric>("grow_hourly", metrics => metrics
                        .GroupBy(m => new { Hour = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
                        .Select(g => new GrowingHourly { Hour = g.Key.Hour, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => m.Value), SampleCount = g.Count() }))
                    .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
                    .WithRetentionPolicy("1 year");
                return;
            }

            e.IsContinuousAggregate<GrowingHourly, GrowingMetric>("grow_hourly", metrics => metrics
                    .GroupBy(m => new { Hour = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
                    .Select(g => new GrowingHourly
                    {
                        Hour = g.Key.Hour, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => m.Value), SampleCount = g.Count(), MaxValue = g.Max(m => (double?)m.Value),
                    }))
                .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
                .WithRetentionPolicy("1 year")
                .BackfillAddedColumns(TimeSpan.FromDays(1));
        });
    };

    [Fact]
    public async Task An_added_aggregate_column_is_added_in_place_on_2_28_and_later_and_the_aggregate_recreated_and_announced_before()
    {
        var connectionString = fixture.Database.ConnectionString;
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(l => l.AddProvider(logs));
        await using var before = CaggModels.Context(connectionString, Model(withMax: false));
        await using var after = CaggModels.Context(connectionString, Model(withMax: true), loggerFactory);
        await before.ApplyAsync(before.DiffFrom(null));

        // Three days of rows every 10 minutes up to two hours ago, three devices.
        var end = DateTime.UtcNow.AddHours(-2);
        var start = end.AddDays(-3);
        var rows = Enumerable.Range(0, 3 * 24 * 6)
            .SelectMany(i => Enumerable.Range(1, 3).Select(d => new GrowingMetric { Time = start.AddMinutes(10 * i), DeviceId = d, Value = ((i * 7) % 13) + (d * 0.5) + (i % 5 * 0.25) }))
            .ToList();
        before.Set<GrowingMetric>().AddRange(rows);
        await before.SaveChangesAsync();
        await before.RefreshContinuousAggregateAsync<GrowingHourly>(null, null);
        var materialization = await MaterializationAsync(connectionString);
        var bucketsBefore = await BucketsAsync(connectionString, withMax: false);
        Assert.True(bucketsBefore.Count > 200);

        // The migration: one in-place operation, and the recreation marked for servers before 2.28.
        var operations = after.DiffFrom(before);
        var add = Assert.Single(operations.OfType<AddContinuousAggregateColumnsOperation>());
        Assert.Equal(["max_value"], add.Columns);
        Assert.Equal(["double precision"], add.ColumnTypes);
        Assert.Equal("max(g.value)", add.Expressions.Single());
        Assert.Equal("1 day", add.BackfillWindow);
        Assert.Equal("2.28", Assert.Single(operations.OfType<DropContinuousAggregateOperation>()).OnlyBeforeTimescale);
        Assert.Equal("2.28", Assert.Single(operations.OfType<CreateContinuousAggregateOperation>()).OnlyBeforeTimescale);
        Assert.All(operations.OfType<TimescaleMigrationOperation>().Where(o => o is not AddContinuousAggregateColumnsOperation), o => Assert.Equal("2.28", o.OnlyBeforeTimescale));
        var code = new IndentedStringBuilder();
        DesignTime.Services(after).GetRequiredService<ICSharpMigrationOperationGenerator>().Generate("migrationBuilder", operations, code);
        var migration = code.ToString();
        Assert.Contains("migrationBuilder.AddContinuousAggregateColumns(", migration, StringComparison.Ordinal);
        Assert.Contains("Older TimescaleDB: skipped; the OnlyBeforeTimescale(\"2.28\") operations drop the aggregate and create it again, which discards every bucket", migration, StringComparison.Ordinal);
        Assert.Contains(".OnlyBeforeTimescale(\"2.28\");", migration, StringComparison.Ordinal);

        await after.ApplyAsync(operations);
        var version = (await NpgsqlDataSource.Create(connectionString).Timescale().GetServerAsync()).TimescaleVersionText;
        var inPlace = TimescaleServerTarget.ParseVersion(version) >= AddContinuousAggregateColumnsOperation.InPlaceSince;
        var bucketsAfter = await BucketsAsync(connectionString, withMax: true);
        var expectedMax = rows.GroupBy(r => (Hour: new DateTime(r.Time.Year, r.Time.Month, r.Time.Day, r.Time.Hour, 0, 0, DateTimeKind.Utc), r.DeviceId))
            .ToDictionary(g => g.Key, g => g.Max(r => r.Value));
        Assert.Equal(bucketsBefore.Select(b => (b.Hour, b.DeviceId, b.AvgValue, b.SampleCount)), bucketsAfter.Select(b => (b.Hour, b.DeviceId, b.AvgValue, b.SampleCount)));
        var backfillFrom = DateTime.UtcNow.AddDays(-1);
        if (inPlace)
        {
            // The same materialization hypertable with the same buckets; the new column filled for the last day only.
            Assert.Equal(materialization, await MaterializationAsync(connectionString));
            Assert.DoesNotContain(logs.Messages, m => m.Message.Contains("too old for", StringComparison.Ordinal));
            Assert.All(bucketsAfter.Where(b => b.Hour >= backfillFrom.AddHours(1)), b => Assert.Equal(expectedMax[(b.Hour, b.DeviceId)], b.MaxValue));
            Assert.All(bucketsAfter.Where(b => b.Hour < backfillFrom.AddHours(-1)), b => Assert.Null(b.MaxValue));
            Assert.Contains(bucketsAfter, b => b.MaxValue is not null);
            Assert.Contains(bucketsAfter, b => b.MaxValue is null);
        }
        else
        {
            // Dropped and created again: a new materialization hypertable, every bucket recomputed, and a warning.
            Assert.NotEqual(materialization, await MaterializationAsync(connectionString));
            Assert.All(bucketsAfter, b => Assert.Equal(expectedMax[(b.Hour, b.DeviceId)], b.MaxValue));
            Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning
                && m.Message.Contains("too old for the in-place addition of max_value to continuous aggregate", StringComparison.Ordinal)
                && m.Message.Contains("drops the aggregate and creates it again instead: every bucket is recomputed from the source rows", StringComparison.Ordinal)
                && m.Message.Contains("it needs TimescaleDB 2.28 or later", StringComparison.Ordinal));
        }

        // The policies are the model's on either path.
        var jobs = await NpgsqlDataSource.Create(connectionString).Timescale().GetJobsAsync();
        Assert.Contains(jobs, j => j.Kind == JobKind.ContinuousAggregateRefresh && j.RelationName == "grow_hourly");
        Assert.Contains(jobs, j => j.Kind == JobKind.Retention && j.RelationName == "grow_hourly");
        Assert.Empty(after.DiffFrom(after));
    }

    [Fact]
    public async Task Database_migrate_runs_the_generated_migration_on_each_server_and_down_goes_back()
    {
        var db = fixture.Database;
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(l => l.AddProvider(logs));
        var options = new DbContextOptionsBuilder<GrowMigrateContext>()
            .UseNpgsql(db.ConnectionString, o => o.UseTimescale())
            .UseSnakeCaseNamingConvention()
            .UseLoggerFactory(loggerFactory)
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;
        await using var context = new GrowMigrateContext(options);
        var migrator = context.GetService<IMigrator>();
        await migrator.MigrateAsync(GrowMigrateInitial.Id);
        var materialization = await db.ScalarAsync<string>(MaterializationSql);
        var before = await db.ScalarAsync<string>("SELECT string_agg(format('%s %s %s', hour, device_id, avg_value), '; ' ORDER BY hour, device_id) FROM gm_hourly");
        Assert.Equal(3 * 48, await db.ScalarAsync<long>("SELECT count(*) FROM gm_hourly"));

        await migrator.MigrateAsync(GrowMigrateMax.Id);
        var version = (await NpgsqlDataSource.Create(db.ConnectionString).Timescale().GetServerAsync()).TimescaleVersionText;
        var inPlace = TimescaleServerTarget.ParseVersion(version) >= AddContinuousAggregateColumnsOperation.InPlaceSince;
        Assert.Equal(before, await db.ScalarAsync<string>("SELECT string_agg(format('%s %s %s', hour, device_id, avg_value), '; ' ORDER BY hour, device_id) FROM gm_hourly"));
        Assert.Equal(inPlace, materialization == await db.ScalarAsync<string>(MaterializationSql));
        // Rows are 1..6 per hour and device: the backfilled day has max 6, the older buckets NULL (in place) or 6 (recreated).
        var filled = await db.ScalarAsync<long>("SELECT count(*) FROM gm_hourly WHERE max_value = 6");
        var empty = await db.ScalarAsync<long>("SELECT count(*) FROM gm_hourly WHERE max_value IS NULL");
        if (inPlace)
        {
            Assert.InRange(filled, 3 * 22, 3 * 25);
            Assert.Equal(3 * 48, filled + empty);
            Assert.DoesNotContain(logs.Messages, m => m.Message.Contains("too old for", StringComparison.Ordinal));
        }
        else
        {
            Assert.Equal((3 * 48L, 0L), (filled, empty));
            Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("too old for the in-place addition of max_value", StringComparison.Ordinal));
        }

        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate' AND hypertable_name IN ('gm_hourly', (SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates WHERE view_name = 'gm_hourly'))"));
        await migrator.MigrateAsync(GrowMigrateMax.Id);   // nothing pending: nothing runs again

        await migrator.MigrateAsync(GrowMigrateInitial.Id);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_attribute WHERE attrelid = 'gm_hourly'::regclass AND attname = 'max_value'"));
        Assert.Equal(before, await db.ScalarAsync<string>("SELECT string_agg(format('%s %s %s', hour, device_id, avg_value), '; ' ORDER BY hour, device_id) FROM gm_hourly"));
    }

    [Fact]
    public async Task Renaming_a_property_changes_the_sql_in_the_next_migration()
    {
        var connectionString = fixture.Database.ConnectionString;
        await using var before = CaggModels.Context(connectionString, Model(withMax: false));
        await using var after = CaggModels.Context(connectionString, b =>
        {
            Model(withMax: false)(b);
            b.Ignore<GrowingHourly>();
            b.Entity<RenamedHourly>(e => e.HasNoKey().IsContinuousAggregate<RenamedHourly, GrowingMetric>("grow_hourly", metrics => metrics
                    .GroupBy(m => new { Hour = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
                    .Select(g => new RenamedHourly { Hour = g.Key.Hour, DeviceId = g.Key.DeviceId, MeanValue = g.Average(m => m.Value), SampleCount = g.Count() }))
                .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
                .WithRetentionPolicy("1 year"));
        });

        // The previous migration's snapshot holds the SQL EF Core made then (no query object), as `dotnet ef` reads it.
        var oldSql = Assert.Single(before.DiffFrom(null).OfType<CreateContinuousAggregateOperation>()).Sql;
        Assert.Contains("avg(g.value) AS avg_value", oldSql, StringComparison.Ordinal);
        await using var snapshot = CaggModels.Context(connectionString, b =>
        {
            Model(withMax: false)(b);
            b.Ignore<GrowingHourly>();
            b.Entity<RenamedHourly>().HasNoKey().Property(h => h.MeanValue).HasColumnName("avg_value");
            b.Entity<RenamedHourly>().IsContinuousAggregate("grow_hourly", oldSql)
                .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
                .WithRetentionPolicy("1 year");
        });
        var operations = after.DiffFrom(snapshot);

        // Not an added column (one went away) but the same expression under a new name: renamed in place.
        Assert.Equal(oldSql.Replace("avg_value", "mean_value", StringComparison.Ordinal), Assert.Single(after.DiffFrom(null).OfType<CreateContinuousAggregateOperation>()).Sql);
        var rename = Assert.IsType<RenameContinuousAggregateColumnOperation>(Assert.Single(operations));
        Assert.Equal(("grow_hourly", "avg_value", "mean_value"), (rename.Table, rename.Name, rename.NewName));
    }

    private const string MaterializationSql = "SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates WHERE view_name = 'gm_hourly'";

    private static async Task<(string Name, long Rows)> MaterializationAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT materialization_hypertable_schema || '.' || materialization_hypertable_name FROM timescaledb_information.continuous_aggregates WHERE view_name = 'grow_hourly'", connection);
        var name = (string)(await command.ExecuteScalarAsync())!;
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {name}", connection);
        return (name, (long)(await count.ExecuteScalarAsync())!);
    }

    private static async Task<List<(DateTime Hour, int DeviceId, double AvgValue, int SampleCount, double? MaxValue)>> BucketsAsync(string connectionString, bool withMax)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT hour, device_id, avg_value, sample_count, {(withMax ? "max_value" : "NULL::float8")} FROM grow_hourly ORDER BY 1, 2", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var buckets = new List<(DateTime, int, double, int, double?)>();
        while (await reader.ReadAsync())
        {
            buckets.Add((reader.GetFieldValue<DateTime>(0).ToUniversalTime(), reader.GetInt32(1), reader.GetDouble(2), reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetDouble(4)));
        }

        return buckets;
    }
}

public sealed class GrowMigrateContext(DbContextOptions<GrowMigrateContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<GrowingHourly>(e =>
    {
        e.HasNoKey();
        e.ToView("gm_hourly");
    });
}

// As `dotnet ef migrations add` writes them (the second one is the generated code of ContinuousAggregateAddColumnTests' model change).
[DbContext(typeof(GrowMigrateContext))]
[Migration(Id)]
public sealed class GrowMigrateInitial : Migration
{
    public const string Id = "20261206000001_Initial";

    private const string Sql = "SELECT time_bucket(INTERVAL '01:00:00', g.time) AS hour, g.device_id, avg(g.value) AS avg_value, count(*)::int AS sample_count\nFROM gm_metrics AS g\nGROUP BY time_bucket(INTERVAL '01:00:00', g.time), g.device_id";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("CREATE TABLE gm_metrics (time timestamptz NOT NULL, device_id integer NOT NULL, value double precision NOT NULL, PRIMARY KEY (time, device_id));");
        migrationBuilder.CreateHypertable(name: "gm_metrics", timeColumn: "time", chunkInterval: "1 day");

        // 48 whole hours up to the last full hour before now, values 1..6 per hour and device.
        migrationBuilder.Sql("INSERT INTO gm_metrics SELECT date_trunc('hour', now()) - (h + 1) * interval '1 hour' + v * interval '10 minutes' - interval '10 minutes', d, v FROM generate_series(0, 47) h, generate_series(1, 3) d, generate_series(1, 6) v;");
        migrationBuilder.CreateContinuousAggregate(name: "gm_hourly", sql: Sql, materializedOnly: true);
        migrationBuilder.AddContinuousAggregatePolicy(name: "gm_hourly", startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour");
        migrationBuilder.RefreshContinuousAggregate(name: "gm_hourly");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropContinuousAggregate(name: "gm_hourly");
        migrationBuilder.Sql("DROP TABLE gm_metrics;");
    }
}

[DbContext(typeof(GrowMigrateContext))]
[Migration(Id)]
public sealed class GrowMigrateMax : Migration
{
    public const string Id = "20261206000002_MaxValue";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropContinuousAggregate(
            // Discards the materialized rows; a view created again recomputes them from the source table.
            name: "gm_hourly")
            .OnlyBeforeTimescale("2.28");

        migrationBuilder.AddContinuousAggregateColumns(
            name: "gm_hourly",
            columns: new[] { "max_value" },
            columnTypes: new[] { "double precision" },
            expressions: new[] { "max(g.value)" },
            backfillWindow: "1 day");

        migrationBuilder.CreateContinuousAggregate(
            // Created empty; RefreshContinuousAggregate below (or the refresh policy) computes its rows.
            name: "gm_hourly",
            sql: "SELECT time_bucket(INTERVAL '01:00:00', g.time) AS hour, g.device_id, avg(g.value) AS avg_value, count(*)::int AS sample_count, max(g.value) AS max_value\nFROM gm_metrics AS g\nGROUP BY time_bucket(INTERVAL '01:00:00', g.time), g.device_id",
            materializedOnly: true)
            .OnlyBeforeTimescale("2.28");

        migrationBuilder.AddContinuousAggregatePolicy(
            name: "gm_hourly",
            startOffset: "3 days",
            endOffset: "1 hour",
            scheduleInterval: "1 hour")
            .OnlyBeforeTimescale("2.28");

        migrationBuilder.RefreshContinuousAggregate(
            // Computes every bucket from the source rows; runs outside the migration's transaction (TimescaleDB requires it).
            name: "gm_hourly")
            .OnlyBeforeTimescale("2.28");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropContinuousAggregate(name: "gm_hourly");
        migrationBuilder.CreateContinuousAggregate(
            name: "gm_hourly",
            sql: "SELECT time_bucket(INTERVAL '01:00:00', g.time) AS hour, g.device_id, avg(g.value) AS avg_value, count(*)::int AS sample_count\nFROM gm_metrics AS g\nGROUP BY time_bucket(INTERVAL '01:00:00', g.time), g.device_id",
            materializedOnly: true);
        migrationBuilder.AddContinuousAggregatePolicy(name: "gm_hourly", startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour");
        migrationBuilder.RefreshContinuousAggregate(name: "gm_hourly");
    }
}

/// <summary>The same model change on PostgreSQL 15 without TimescaleDB: the plain materialized view is made again.</summary>
public class ContinuousAggregateAddColumnDegradeTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    private static string Sql(bool withMax)
        => "SELECT date_trunc('hour', time) AS hour, device_id, avg(value) AS avg_value, count(*)::int AS sample_count" + (withMax ? ", max(value) AS max_value" : "") + " FROM dgc_metrics GROUP BY 1, 2";

    private static Action<ModelBuilder> Model(bool withMax) => b =>
    {
        b.Entity<GrowingMetric>(e =>
        {
            e.ToTable("dgc_metrics");
            e.HasKey(m => new { m.Time, m.DeviceId });
            e.IsHypertable(m => m.Time).WithChunkInterval("1 day");
        });
        b.Entity<GrowingHourly>(e =>
        {
            e.HasNoKey();
            if (!withMax)
            {
                e.Ignore(h => h.MaxValue);
            }

            e.IsContinuousAggregate("dgc_hourly", Sql(withMax));
        });
    };

    [Fact]
    public async Task Without_timescale_the_added_column_comes_with_the_plain_view_made_again()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(l => l.AddProvider(logs));
        await using var before = CaggModels.Context(fixture.Database.ConnectionString, Model(withMax: false));
        await using var after = CaggModels.Context(fixture.Database.ConnectionString, Model(withMax: true), loggerFactory);
        await before.ApplyAsync(before.DiffFrom(null));
        before.Set<GrowingMetric>().AddRange(Enumerable.Range(0, 60).Select(i => new GrowingMetric { Time = new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc).AddMinutes(5 * i), DeviceId = 1, Value = i }));
        await before.SaveChangesAsync();
        await before.RefreshContinuousAggregateAsync<GrowingHourly>(null, null);

        var operations = after.DiffFrom(before);
        Assert.Single(operations.OfType<AddContinuousAggregateColumnsOperation>());
        await after.ApplyAsync(operations);

        Assert.Equal([11.0, 23.0, 35.0, 47.0, 59.0], (await after.Set<GrowingHourly>().OrderBy(h => h.Hour).ToListAsync()).Select(h => h.MaxValue!.Value));
        Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning
            && m.Message.Contains("continuous aggregate \"dgc_hourly\" gets its new columns max_value by being created again as a plain materialized view", StringComparison.Ordinal));
    }
}
