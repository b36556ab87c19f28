using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>
/// Migrations, bulk ingest and the detected edition on a real native TimescaleDB started with
/// timescaledb.license = 'apache' (the Apache-licensed edition: hypertables, but no columnstore, policies, jobs or
/// continuous aggregates). Nothing here forces the edition: the plugin asks the server.
/// </summary>
public class ApacheEditionServerTests
{
    private const string Why = "a second native TimescaleDB started with timescaledb.license=apache (HOURGLASS_TIMESCALEDB_HOME)";

    /// <summary>What the migration holds that the Apache edition lacks: one CommunityFeatureSkipped warning each.</summary>
    private static readonly string[] s_communityFeatures =
    [
        "columnstore settings of hypertable \"ap_metrics\"",
        "columnstore policy (after 7 days) of hypertable \"ap_metrics\"",
        "retention policy (drop after 90 days) of hypertable \"ap_metrics\"",
        "reorder policy (index \"ix_ap_metrics_device_time\") of hypertable \"ap_metrics\"",
        "continuous aggregate \"ap_hourly\"",
        "refresh policy of continuous aggregate \"ap_hourly\"",
        "job ap_rollup (every 1 hour)",
    ];

    private static async Task<TestDatabase> DatabaseAsync(string hint) => await (await TestServers.RequireNativeApacheAsync()).CreateDatabaseAsync(hint);

    private static ApacheMigrateContext Context(TestDatabase db, ILoggerFactory? loggers = null, TimescaleMissingBehavior behavior = TimescaleMissingBehavior.Degrade)
    {
        var builder = new DbContextOptionsBuilder<ApacheMigrateContext>()
            .UseNpgsql(db.ConnectionString, o => o.UseTimescale(t => t.WhenTimescaleMissing(behavior)))
            .UseSnakeCaseNamingConvention()
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        if (loggers is not null)
        {
            builder.UseLoggerFactory(loggers);
        }

        return new ApacheMigrateContext(builder.Options);
    }

    [ApacheEditionFact(Why)]
    public async Task Degrade_creates_the_hypertable_and_skips_each_community_feature_with_one_warning()
    {
        await using var db = await DatabaseAsync("apachedegrade");
        var logs = new CollectingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var context = Context(db, loggers);

        await context.Database.MigrateAsync();

        Assert.Equal(ApacheMigrateInitial.Id, Assert.Single(await context.Database.GetAppliedMigrationsAsync()));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public' AND hypertable_name = 'ap_metrics'"));
        Assert.Equal("time", await db.ScalarAsync<string>("SELECT column_name FROM timescaledb_information.dimensions WHERE hypertable_name = 'ap_metrics'"));
        Assert.Equal(TimeSpan.FromDays(1), await db.ScalarAsync<TimeSpan>("SELECT time_interval FROM timescaledb_information.dimensions WHERE hypertable_name = 'ap_metrics'"));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_ap_metrics_device_time'"));

        // Nothing community-licensed was attempted: no columnstore, no policy or user job, no aggregate (not even a plain view).
        Assert.False(await db.ScalarAsync<bool>("SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'ap_metrics'"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.jobs WHERE job_id >= 1000"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'ap_hourly'"));

        // The migration's own SQL (the procedure the job would call) ran.
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE proname = 'ap_rollup'"));

        var skipped = logs.Events.Where(e => e.Id == TimescaleEventId.CommunityFeatureSkipped).Select(e => e.Message).ToList();
        Assert.Equal(s_communityFeatures.Length, skipped.Count);
        foreach (var feature in s_communityFeatures)
        {
            Assert.Single(skipped, m => m.Contains($"skipped {feature}, a community-licensed feature", StringComparison.Ordinal));
        }

        Assert.All(skipped, m => Assert.StartsWith("This TimescaleDB is the Apache edition (timescaledb.license = 'apache')", m, StringComparison.Ordinal));

        // Server detection asked the server (nothing forced) and saw the Apache edition.
        var version = await db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        var detected = Assert.Single(logs.Events, e => e.Id == TimescaleEventId.ServerDetected);
        Assert.Equal($"Migrating for TimescaleDB {version} (apache edition).", detected.Message);
        Assert.DoesNotContain(logs.Events, e => e.Id == TimescaleEventId.TargetVersionAssumed);

        // Nothing is pending: a second run does nothing and warns about nothing.
        logs.Events.Clear();
        await context.Database.MigrateAsync();
        Assert.DoesNotContain(logs.Events, e => e.Id == TimescaleEventId.CommunityFeatureSkipped);
    }

    [ApacheEditionFact(Why)]
    public async Task Strict_refuses_with_the_list_of_community_features_before_anything_runs()
    {
        await using var db = await DatabaseAsync("apachestrict");
        await using var context = Context(db, behavior: TimescaleMissingBehavior.Strict);
        var before = await db.ColumnAsync<string>("SELECT oid::regclass::text FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.MigrateAsync());

        Assert.StartsWith("This TimescaleDB is the Apache edition (timescaledb.license = 'apache'), which lacks the community features needed for: ", error.Message, StringComparison.Ordinal);
        foreach (var feature in s_communityFeatures)
        {
            Assert.Contains(feature, error.Message, StringComparison.Ordinal);
        }

        Assert.Contains("Nothing was changed. Fix: set timescaledb.license = 'timescale' on the server, or use TimescaleMissingBehavior.Degrade", error.Message, StringComparison.Ordinal);

        // Nothing of the migration ran: no table, no procedure, no migration recorded (EF's history table may exist, empty).
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname IN ('ap_metrics', 'ix_ap_metrics_device_time', 'ap_hourly')"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE proname = 'ap_rollup'"));
        Assert.Empty(await context.Database.GetAppliedMigrationsAsync());
        var after = await db.ColumnAsync<string>("SELECT oid::regclass::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname NOT ILIKE '%ef%migrations%history%' ORDER BY 1");
        Assert.Equal(before, after);
    }

    [ApacheEditionFact(Why)]
    public async Task Scaffolding_reads_the_hypertable_back_and_nothing_the_edition_lacks()
    {
        await using var db = await DatabaseAsync("apachescaffold");
        await using var context = Context(db);
        await context.Database.MigrateAsync();

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef dbcontext scaffold` runs it
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(context), db.ConnectionString, "public");
#pragma warning restore EF1001

        var code = scaffolded.ContextFile.Code;
        Assert.Contains(".IsHypertable(\"Time\")", code, StringComparison.Ordinal);
        Assert.Contains(".WithChunkInterval(\"1 day\")", code, StringComparison.Ordinal);
        Assert.Contains("ix_ap_metrics_device_time", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Columnstore", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Policy", code, StringComparison.Ordinal);
        Assert.DoesNotContain("HasJob", code, StringComparison.Ordinal);
        Assert.DoesNotContain("ContinuousAggregate", code, StringComparison.Ordinal);
    }

    [ApacheEditionFact(Why)]
    public async Task Bulk_insert_and_upsert_fill_the_hypertable_across_chunks()
    {
        await using var db = await DatabaseAsync("apachebulk");
        await using var context = Context(db);
        await context.Database.MigrateAsync();
        var start = new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
        var rows = CaggModels.Rows(start, hours: 72); // three days, three devices, every 10 minutes

        Assert.Equal(rows.Count, await context.BulkInsertAsync(rows));

        Assert.Equal(rows.Count, await db.ScalarAsync<long>("SELECT count(*) FROM ap_metrics"));
        Assert.Equal(3, await db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'ap_metrics'"));
        Assert.Equal(rows.Sum(r => r.Value), await db.ScalarAsync<double>("SELECT sum(value) FROM ap_metrics"), 6);

        // Upsert: the first day changes, a fourth day is new.
        var changed = rows.Where(r => r.Time < start.AddDays(1)).Select(r => new Metric { Time = r.Time, DeviceId = r.DeviceId, Value = r.Value + 100 }).ToList();
        var added = CaggModels.Rows(start.AddDays(3), hours: 24);
        var result = await context.BulkUpsertAsync(changed.Concat(added), c => c.DoUpdate(m => m.Value));

        Assert.Equal((added.Count, changed.Count, 0L), (result.Inserted, result.Updated, result.Skipped));
        Assert.Equal(rows.Count + added.Count, await db.ScalarAsync<long>("SELECT count(*) FROM ap_metrics"));
        Assert.Equal(4, await db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'ap_metrics'"));
        Assert.Equal(rows.Sum(r => r.Value) + (100.0 * changed.Count) + added.Sum(r => r.Value), await db.ScalarAsync<double>("SELECT sum(value) FROM ap_metrics"), 6);
    }
}

/// <summary>A hypertable with columnstore, columnstore/retention/reorder policies, an hourly aggregate with a refresh policy and a user job.</summary>
public sealed class ApacheMigrateContext(DbContextOptions<ApacheMigrateContext> options) : DbContext(options)
{
    public const string HourlySql = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM ap_metrics GROUP BY 1, 2";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Metric>(e =>
        {
            e.ToTable("ap_metrics");
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.HasIndex(x => new { x.DeviceId, x.Time }).HasDatabaseName("ix_ap_metrics_device_time");
            e.IsHypertable(x => x.Time).WithChunkInterval("1 day")
                .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy("Time DESC"))
                .WithColumnstorePolicy(after: TimeSpan.FromDays(7))
                .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(90))
                .WithReorderPolicy("ix_ap_metrics_device_time");
        });
        modelBuilder.Entity<HourlyMetric>(e =>
        {
            e.HasNoKey();
            e.IsContinuousAggregate("ap_hourly", HourlySql).WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        });
        modelBuilder.HasJob("ap_rollup", TimeSpan.FromHours(1));
    }
}

/// <summary>The migration `dotnet ef migrations add` writes for <see cref="ApacheMigrateContext"/>, plus the job's procedure.</summary>
[DbContext(typeof(ApacheMigrateContext))]
[Migration(Id)]
public sealed class ApacheMigrateInitial : Migration
{
    public const string Id = "20261129000001_Initial";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "ap_metrics",
            columns: table => new
            {
                time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                device_id = table.Column<int>(type: "integer", nullable: false),
                value = table.Column<double>(type: "double precision", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_ap_metrics", x => new { x.time, x.device_id }));
        migrationBuilder.CreateIndex(name: "ix_ap_metrics_device_time", table: "ap_metrics", columns: ["device_id", "time"]);
        migrationBuilder.CreateHypertable(name: "ap_metrics", timeColumn: "time", chunkInterval: "1 day");
        migrationBuilder.SetColumnstore("ap_metrics", segmentBy: "device_id", orderBy: "time DESC");
        migrationBuilder.AddColumnstorePolicy("ap_metrics", "7 days");
        migrationBuilder.AddRetentionPolicy("ap_metrics", "90 days");
        migrationBuilder.AddReorderPolicy("ap_metrics", "ix_ap_metrics_device_time");
        migrationBuilder.CreateContinuousAggregate("ap_hourly", ApacheMigrateContext.HourlySql);
        migrationBuilder.AddContinuousAggregatePolicy("ap_hourly", "3 days", "1 hour", "1 hour");
        migrationBuilder.Sql("CREATE PROCEDURE ap_rollup(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$;");
        migrationBuilder.AddJob("ap_rollup", "1 hour");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DeleteJob("ap_rollup");
        migrationBuilder.Sql("DROP PROCEDURE ap_rollup;");
        migrationBuilder.DropContinuousAggregate("ap_hourly");
        migrationBuilder.DropTable(name: "ap_metrics");
    }
}
