using System.Text.RegularExpressions;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.EntityFrameworkCore.Scheduling;
using Hourglass.EntityFrameworkCore.Tests.Columnstore;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// A continuous aggregate as a hypertable of its own: chunk interval, group indexes, columnstore settings and policy,
/// retention policy and the refresh policy's options, migrated, changed in place, undone and scaffolded back.
/// </summary>
public class ContinuousAggregateStorageTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> model) => CaggModels.Context(Db.ConnectionString, model);

    /// <summary>The aggregate's catalog: chunk interval, columnstore settings, and each policy's job id and config.</summary>
    private async Task<Catalog> CatalogAsync(string view)
    {
        var chunkInterval = await Db.ScalarAsync<long>($"""
            SELECT d.interval_length FROM _timescaledb_catalog.dimension d
            JOIN _timescaledb_catalog.continuous_agg ca ON d.hypertable_id = ca.mat_hypertable_id
            WHERE ca.user_view_schema = current_schema() AND ca.user_view_name = '{view}'
            ORDER BY d.id LIMIT 1
            """);
        var columnstore = await Db.ScalarAsync<string>($"""
            SELECT coalesce((
                SELECT coalesce(s.segmentby, '') || '|' || coalesce(s.orderby, '')
                FROM timescaledb_information.continuous_aggregates ca
                JOIN _timescaledb_catalog.hypertable mat ON mat.schema_name = ca.materialization_hypertable_schema AND mat.table_name = ca.materialization_hypertable_name
                JOIN timescaledb_information.hypertable_columnstore_settings s ON s.hypertable = format('%I.%I', mat.schema_name, mat.table_name)::regclass
                WHERE ca.view_schema = current_schema() AND ca.view_name = '{view}' AND ca.compression_enabled), 'off')
            """);
        var jobs = new Dictionary<string, (int Id, string Config, string Schedule)>();
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT j.proc_name::text, j.job_id, (j.config - 'mat_hypertable_id' - 'hypertable_id')::text, j.schedule_interval::text
            FROM timescaledb_information.jobs j
            LEFT JOIN _timescaledb_catalog.hypertable mh ON mh.schema_name = j.hypertable_schema AND mh.table_name = j.hypertable_name
            LEFT JOIN _timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = mh.id
            WHERE coalesce(ca.user_view_schema, j.hypertable_schema) = current_schema() AND coalesce(ca.user_view_name, j.hypertable_name) = '{view}'
            """;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                jobs[reader.GetString(0)] = (reader.GetInt32(1), reader.GetString(2), reader.GetString(3));
            }
        }

        return new Catalog(TimeSpan.FromTicks(chunkInterval * 10), columnstore, jobs);
    }

    private sealed record Catalog(TimeSpan ChunkInterval, string Columnstore, Dictionary<string, (int Id, string Config, string Schedule)> Jobs)
    {
        public (int Id, string Config, string Schedule) Job(string proc) => Jobs.TryGetValue(proc, out var job) ? job : throw new Xunit.Sdk.XunitException($"no {proc} job; jobs: {string.Join(", ", Jobs.Keys)}");
    }

    private static Action<ContinuousAggregateBuilder> Everything => c => c
        .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
        .WithRefreshOptions(r => r.BucketsPerBatch(5).MaxBatchesPerExecution(3).NewestFirst(false))
        .WithChunkInterval(TimeSpan.FromDays(20))
        .WithColumnstore(cs => cs.SegmentBy("DeviceId").OrderBy("Bucket DESC"))
        .WithColumnstorePolicy(TimeSpan.FromDays(30))
        .WithRetentionPolicy("1 year")
        .WithNoData();

    private static Action<ContinuousAggregateBuilder> Changed => c => c
        .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
        .WithRefreshOptions(r => r.BucketsPerBatch(2).NewestFirst(true))
        .WithChunkInterval("40 days")
        .WithColumnstore(cs => cs.SegmentBy("DeviceId").OrderBy("Bucket"))
        .WithColumnstorePolicy(TimeSpan.FromDays(30), s => s.Every(TimeSpan.FromHours(6)))
        .WithRetentionPolicy("2 years")
        .WithNoData();

    [Fact]
    public async Task Every_option_migrates_changes_in_place_goes_back_down_and_scaffolds_back()
    {
        await using var initial = Context(CaggModels.Model("st_metrics", "st_hourly", Everything));
        var create = initial.DiffFrom(null);
        var sql = initial.Sql(create);
        Assert.Contains("timescaledb.chunk_interval = '20 days'", sql, StringComparison.Ordinal);
        Assert.Contains("ALTER MATERIALIZED VIEW st_hourly SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'device_id', timescaledb.orderby = 'bucket DESC');", sql, StringComparison.Ordinal);
        Assert.Contains(", buckets_per_batch => 5, max_batches_per_execution => 3, refresh_newest_first => false);", sql, StringComparison.Ordinal);
        Assert.Contains("CALL add_columnstore_policy('st_hourly', after => INTERVAL '30 days'", sql, StringComparison.Ordinal);
        Assert.Contains("SELECT add_retention_policy('st_hourly', drop_after => INTERVAL '12 months'", sql, StringComparison.Ordinal);
        await initial.ApplyAsync(create);
        Assert.Empty(initial.DiffFrom(initial));

        var catalog = await CatalogAsync("st_hourly");
        Assert.Equal(TimeSpan.FromDays(20), catalog.ChunkInterval);
        Assert.Equal("device_id|bucket DESC", catalog.Columnstore);
        var refresh = catalog.Job("policy_refresh_continuous_aggregate");
        Assert.Contains("\"buckets_per_batch\": 5", refresh.Config, StringComparison.Ordinal);
        Assert.Contains("\"max_batches_per_execution\": 3", refresh.Config, StringComparison.Ordinal);
        Assert.Contains("\"refresh_newest_first\": false", refresh.Config, StringComparison.Ordinal);
        Assert.Contains("\"compress_after\": \"30 days\"", catalog.Job("policy_compression").Config, StringComparison.Ordinal);
        Assert.Contains("\"drop_after\": \"1 year\"", catalog.Job("policy_retention").Config, StringComparison.Ordinal);

        // Change every option: in place where TimescaleDB allows it, so the refresh and columnstore jobs keep their ids.
        await using var changed = Context(CaggModels.Model("st_metrics", "st_hourly", Changed));
        var alter = changed.DiffFrom(initial);
        Assert.Equal(
            [nameof(AlterContinuousAggregatePolicyOptionsOperation), "RemoveRetentionPolicyOperation", nameof(SetContinuousAggregateChunkIntervalOperation),
                nameof(SetContinuousAggregateColumnstoreOperation), nameof(AlterPolicyScheduleOperation), "AddRetentionPolicyOperation"],
            alter.Select(o => o.GetType().Name));
        await changed.ApplyAsync(alter);
        var after = await CatalogAsync("st_hourly");
        Assert.Equal(TimeSpan.FromDays(40), after.ChunkInterval);
        Assert.Equal("device_id|bucket", after.Columnstore);
        Assert.Equal(refresh.Id, after.Job("policy_refresh_continuous_aggregate").Id);
        Assert.Contains("\"buckets_per_batch\": 2", after.Job("policy_refresh_continuous_aggregate").Config, StringComparison.Ordinal);
        Assert.DoesNotContain("max_batches_per_execution", after.Job("policy_refresh_continuous_aggregate").Config, StringComparison.Ordinal);
        Assert.Contains("\"refresh_newest_first\": true", after.Job("policy_refresh_continuous_aggregate").Config, StringComparison.Ordinal);
        Assert.Equal(catalog.Job("policy_compression").Id, after.Job("policy_compression").Id);
        Assert.Equal("06:00:00", after.Job("policy_compression").Schedule);
        Assert.Contains("\"drop_after\": \"2 years\"", after.Job("policy_retention").Config, StringComparison.Ordinal);
        Assert.Empty(changed.DiffFrom(changed));

        // Down: the first model's catalog again.
        await initial.ApplyAsync(initial.DiffFrom(changed));
        var down = await CatalogAsync("st_hourly");
        Assert.Equal((catalog.ChunkInterval, catalog.Columnstore), (down.ChunkInterval, down.Columnstore));
        Assert.Equal(refresh.Config, down.Job("policy_refresh_continuous_aggregate").Config);
        Assert.Equal(catalog.Job("policy_compression").Schedule, down.Job("policy_compression").Schedule);
        Assert.Equal(catalog.Job("policy_retention").Config, down.Job("policy_retention").Config);

        // Scaffolded back: the same options, which a migration from the scaffolded model would create again.
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(initial), Db.ConnectionString, Db.Schema);
        var code = Regex.Replace(scaffolded.ContextFile.Code, @"\s+", "");
        Assert.Contains(".WithRefreshOptions(r=>r.BucketsPerBatch(5).MaxBatchesPerExecution(3).NewestFirst(false))", code, StringComparison.Ordinal);
        Assert.Contains(".WithChunkInterval(newTimeSpan(20,0,0,0,0))", code, StringComparison.Ordinal);
        Assert.Contains(".WithColumnstore(c=>c.SegmentBy(\"DeviceId\").OrderBy(\"BucketDESC\"))", code, StringComparison.Ordinal);
        Assert.Contains(".WithColumnstorePolicy(newTimeSpan(30,0,0,0,0))", code, StringComparison.Ordinal);
        Assert.Contains(".WithRetentionPolicy(\"12months\")", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Hourglass:Scaffold", code, StringComparison.Ordinal);
        await using var scaffoldedContext = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var scaffoldedModel = scaffoldedContext.GetService<IDesignTimeModel>().Model;
        Assert.Equal(Storage(initial.DesignModel, "st_hourly"), Storage(scaffoldedModel, "st_hourly"));

        // Without any of them: the columnstore off, the policies gone, TimescaleDB's chunk interval (ten times the source's).
        await using var plain = Context(CaggModels.Model("st_metrics", "st_hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).WithNoData().AllowDataRewrite()));
        await plain.ApplyAsync(plain.DiffFrom(initial));
        var none = await CatalogAsync("st_hourly");
        Assert.Equal((TimeSpan.FromDays(10), "off"), (none.ChunkInterval, none.Columnstore));
        Assert.Equal(["policy_refresh_continuous_aggregate"], none.Jobs.Keys);
        Assert.Equal(refresh.Id, none.Job("policy_refresh_continuous_aggregate").Id);
        Assert.DoesNotContain("buckets_per_batch", none.Job("policy_refresh_continuous_aggregate").Config, StringComparison.Ordinal);

        await using var empty = ModelContext.Create(Db.ConnectionString, _ => { });
        await empty.ApplyAsync(empty.DiffFrom(plain));
    }

    private static (string, string, string, string, string, string) Storage(IModel model, string view)
    {
        var aggregate = ResolvedContinuousAggregate.All(model.GetRelationalModel()).Single(a => a.Key.View == view).Value;
        var s = aggregate.Storage;
        return (
            s.ChunkInterval?.ToString() ?? "",
            s.CreateGroupIndexes.ToString(),
            s.Columnstore is null ? "off" : string.Join(",", s.Columnstore.SegmentBy) + "|" + ColumnstoreOrder.Format(s.Columnstore.OrderBy),
            s.ColumnstorePolicy?.ToString() ?? "",
            s.RetentionPolicy?.ToString() ?? "",
            aggregate.Definition.RefreshOptions.ToString());
    }

    [Fact]
    public async Task Group_indexes_turned_off_are_created_without_and_read_back()
    {
        await using var context = Context(CaggModels.Model("gi_metrics", "gi_hourly", c => c.CreateGroupIndexes(false).WithNoData()));
        var create = context.DiffFrom(null);
        Assert.Contains("WITH (timescaledb.continuous, timescaledb.materialized_only = true, timescaledb.create_group_indexes = false) AS", context.Sql(create), StringComparison.Ordinal);
        await context.ApplyAsync(create);
        await using var with = Context(CaggModels.Model("gi_metrics", "gi_hourly_default", c => c.WithNoData(), includeSource: false));
        await with.ApplyAsync(with.DiffFrom(null));

        const string MultiColumnIndexes = """
            SELECT count(*) FROM pg_index i
            JOIN _timescaledb_catalog.continuous_agg ca ON i.indrelid = (SELECT format('%I.%I', h.schema_name, h.table_name)::regclass FROM _timescaledb_catalog.hypertable h WHERE h.id = ca.mat_hypertable_id)
            WHERE ca.user_view_schema = current_schema() AND ca.user_view_name = '{0}' AND i.indnatts > 1
            """;
        Assert.Equal(0, await Db.ScalarAsync<long>(string.Format(System.Globalization.CultureInfo.InvariantCulture, MultiColumnIndexes, "gi_hourly")));
        Assert.True(await Db.ScalarAsync<long>(string.Format(System.Globalization.CultureInfo.InvariantCulture, MultiColumnIndexes, "gi_hourly_default")) > 0);

        var code = DesignTime.Scaffold(DesignTime.Services(context), Db.ConnectionString, Db.Schema).ContextFile.Code;
        var hourly = code[code.IndexOf("\"gi_hourly\"", StringComparison.Ordinal)..];
        Assert.Contains(".CreateGroupIndexes(false)", hourly[..hourly.IndexOf(';', StringComparison.Ordinal)], StringComparison.Ordinal);
        var standard = code[code.IndexOf("\"gi_hourly_default\"", StringComparison.Ordinal)..];
        Assert.DoesNotContain("CreateGroupIndexes", standard[..standard.IndexOf(';', StringComparison.Ordinal)], StringComparison.Ordinal);

        // TimescaleDB takes the option only at creation: a change creates the view again.
        await using var refused = Context(CaggModels.Model("gi_metrics", "gi_hourly", c => c.WithNoData()));
        Assert.Contains(
            "drops continuous aggregate \"gi_hourly\" and creates it again because its create_group_indexes setting changed",
            Assert.Throws<InvalidOperationException>(() => refused.DiffFrom(context)).Message,
            StringComparison.Ordinal);
        await using var on = Context(CaggModels.Model("gi_metrics", "gi_hourly", c => c.WithNoData().AllowDataRewrite()));
        Assert.Equal([nameof(DropContinuousAggregateOperation), nameof(CreateContinuousAggregateOperation)], on.DiffFrom(context).Select(o => o.GetType().Name));
        await using var empty = ModelContext.Create(Db.ConnectionString, _ => { });
        await empty.ApplyAsync(empty.DiffFrom(with));
        await empty.ApplyAsync(empty.DiffFrom(context));
    }

    private async Task<List<HourlyMetric>> RowsAsync(string view)
    {
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT bucket FROM {view} ORDER BY bucket";
        var result = new List<HourlyMetric>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(new HourlyMetric { Bucket = reader.GetDateTime(0) });
        }

        return result;
    }

    /// <summary>Rows 60 days ago and 1 day ago, and the aggregate refreshed over all of them.</summary>
    private static async Task FillAsync(ModelContext context)
    {
        var now = DateTime.UtcNow;
        var old = new DateTime(now.Year, now.Month, now.Day, 0, 0, 0, DateTimeKind.Utc).AddDays(-60);
        context.Set<Metric>().AddRange(CaggModels.Rows(old, hours: 3));
        context.Set<Metric>().AddRange(CaggModels.Rows(old.AddDays(59), hours: 3));
        await context.SaveChangesAsync();
        await context.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
    }

    [Fact]
    public async Task A_retention_policy_on_an_aggregate_drops_its_old_buckets_when_run()
    {
        await using var context = Context(CaggModels.Model("ret_metrics", "ret_hourly", c => c.WithRetentionPolicy(TimeSpan.FromDays(30)).WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));
        await PolicyTestSupport.PauseJobAsync(Db, "ret_hourly", "policy_retention");
        await FillAsync(context);
        var before = await RowsAsync("ret_hourly");
        Assert.Equal(18, before.Count);

        await PolicyTestSupport.RunJobAsync(Db, "ret_hourly", "policy_retention");

        var after = await RowsAsync("ret_hourly");
        Assert.Equal(before.Skip(9).Select(r => r.Bucket), after.Select(r => r.Bucket));
        // The source hypertable keeps its rows: only the aggregate's buckets went.
        Assert.Equal(36L * 3, await Db.ScalarAsync<long>("SELECT count(*) FROM ret_metrics"));
    }

    private Task<long> CompressedAggregateChunksAsync(string view) => Db.ScalarAsync<long>($"""
        SELECT count(*) FROM timescaledb_information.chunks c
        JOIN timescaledb_information.continuous_aggregates ca ON c.hypertable_schema = ca.materialization_hypertable_schema AND c.hypertable_name = ca.materialization_hypertable_name
        WHERE ca.view_schema = current_schema() AND ca.view_name = '{view}' AND c.is_compressed
        """);

    [Fact]
    public async Task A_columnstore_policy_on_an_aggregate_converts_its_old_chunks_when_run()
    {
        // Before TimescaleDB 2.28 a columnstore policy on an aggregate needs its refresh policy first.
        await using var context = Context(CaggModels.Model("cs_metrics", "cs_hourly", c => c
            .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromDays(1))
            .WithColumnstore(cs => cs.SegmentBy("DeviceId"))
            .WithColumnstorePolicy(TimeSpan.FromDays(7))
            .WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));
        await PolicyTestSupport.PauseJobAsync(Db, "cs_hourly", "policy_compression");
        await PolicyTestSupport.PauseJobAsync(Db, "cs_hourly", "policy_refresh_continuous_aggregate");
        await FillAsync(context);
        var before = await RowsAsync("cs_hourly");
        Assert.Equal(0, await CompressedAggregateChunksAsync("cs_hourly"));

        await PolicyTestSupport.RunJobAsync(Db, "cs_hourly", "policy_compression");

        Assert.Equal(1, await CompressedAggregateChunksAsync("cs_hourly"));
        Assert.Equal(before.Select(r => r.Bucket), (await RowsAsync("cs_hourly")).Select(r => r.Bucket));

        // Disabling converts the chunk back first.
        await using var off = Context(CaggModels.Model("cs_metrics", "cs_hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromDays(1)).WithNoData().AllowDataRewrite()));
        await off.ApplyAsync(off.DiffFrom(context));
        Assert.Equal(0, await CompressedAggregateChunksAsync("cs_hourly"));
        Assert.Equal(before.Select(r => r.Bucket), (await RowsAsync("cs_hourly")).Select(r => r.Bucket));
    }

    [NativeTimescaleFact("the embedded engine has no background workers to run policies")]
    public async Task The_scheduler_runs_the_columnstore_policy_of_an_aggregate_by_itself()
    {
        await using var context = Context(CaggModels.Model("sch_metrics", "sch_hourly", c => c
            .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromDays(1))
            .WithColumnstore()
            .WithColumnstorePolicy(TimeSpan.FromDays(7), s => s.Every(TimeSpan.FromSeconds(2)))
            .WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));
        await PolicyTestSupport.PauseJobAsync(Db, "sch_hourly", "policy_refresh_continuous_aggregate");
        await FillAsync(context);

        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await CompressedAggregateChunksAsync("sch_hourly") == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        Assert.Equal(1, await CompressedAggregateChunksAsync("sch_hourly"));
    }

    [Fact]
    public async Task Seed_003s_downsampling_plan_raw_90_days_hourly_1_year_daily_5_years_compressed()
    {
        Action<ModelBuilder> model = b =>
        {
            b.Entity<Metric>(e =>
            {
                e.ToTable("seed_metrics");
                e.HasKey(x => new { x.Time, x.DeviceId });
                e.IsHypertable(x => x.Time).WithChunkInterval("1 day")
                    .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true))
                    .WithColumnstorePolicy(TimeSpan.FromDays(7))
                    .WithRetentionPolicy(TimeSpan.FromDays(90));
            });
            b.Entity<HourlyMetric>(e => e.HasNoKey()
                .IsContinuousAggregate("seed_hourly", "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM seed_metrics GROUP BY 1, 2")
                .WithRefreshPolicy(TimeSpan.FromHours(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
                .WithColumnstore()
                .WithColumnstorePolicy(TimeSpan.FromDays(30))
                .WithRetentionPolicy("1 year"));
            b.Entity<DailyMetric>(e => e.HasNoKey()
                .IsContinuousAggregate("seed_daily", "SELECT time_bucket('1 day', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM seed_metrics GROUP BY 1, 2")
                .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromDays(1), TimeSpan.FromDays(1))
                .WithColumnstore()
                .WithColumnstorePolicy(TimeSpan.FromDays(90))
                .WithRetentionPolicy("5 years"));
        };
        await using var context = Context(model);
        await context.ApplyAsync(context.DiffFrom(null));

        Assert.Contains("\"drop_after\": \"1 year\"", (await CatalogAsync("seed_hourly")).Job("policy_retention").Config, StringComparison.Ordinal);
        Assert.Contains("\"drop_after\": \"5 years\"", (await CatalogAsync("seed_daily")).Job("policy_retention").Config, StringComparison.Ordinal);
        Assert.Contains("\"compress_after\": \"90 days\"", (await CatalogAsync("seed_daily")).Job("policy_compression").Config, StringComparison.Ordinal);
        Assert.Equal("90 days", await Db.ScalarAsync<string>("SELECT config ->> 'drop_after' FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = 'seed_metrics' AND proc_name = 'policy_retention'"));
        Assert.Empty(context.DiffFrom(context));

        await using var empty = ModelContext.Create(Db.ConnectionString, _ => { });
        await empty.ApplyAsync(empty.DiffFrom(context));
    }
}
