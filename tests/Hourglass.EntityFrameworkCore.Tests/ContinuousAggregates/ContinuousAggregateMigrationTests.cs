using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>Continuous aggregates migrated, refreshed and queried on the embedded TimescaleDB.</summary>
public class ContinuousAggregateMigrationTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static readonly DateTime Start = new(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);

    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<Microsoft.EntityFrameworkCore.ModelBuilder> model) => CaggModels.Context(Db.ConnectionString, model);

    private static Action<ContinuousAggregateBuilder> DocsPolicy => c => c
        .WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromHours(1))
        .MaterializedOnly(false);

    private async Task<(bool MaterializedOnly, string Definition)?> CatalogAsync(string view)
    {
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT materialized_only, view_definition FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = '{view}'";
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetBoolean(0), reader.GetString(1)) : null;
    }

    /// <summary>The refresh policy's job: id, start offset, end offset, schedule interval (as PostgreSQL prints intervals).</summary>
    private async Task<(int JobId, string? Start, string? End, string Schedule)?> PolicyAsync(string view)
    {
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT j.job_id, j.config ->> 'start_offset', j.config ->> 'end_offset', j.schedule_interval::text
            FROM timescaledb_information.continuous_aggregates c
            JOIN _timescaledb_catalog.hypertable h ON h.schema_name = c.materialization_hypertable_schema AND h.table_name = c.materialization_hypertable_name
            JOIN timescaledb_information.jobs j ON j.proc_name = 'policy_refresh_continuous_aggregate' AND (j.config ->> 'mat_hypertable_id')::int = h.id
            WHERE c.view_schema = current_schema() AND c.view_name = '{view}'
            """;
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3))
            : null;
    }

    private static async Task<List<HourlyMetric>> QueryAsync(ModelContext context)
        => await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).ThenBy(m => m.DeviceId).ToListAsync();

    private static void AssertSameAggregate(IReadOnlyList<HourlyMetric> expected, IReadOnlyList<HourlyMetric> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Bucket, expected[i].DeviceId), (actual[i].Bucket.ToUniversalTime(), actual[i].DeviceId));
            Assert.Equal(expected[i].AvgValue, actual[i].AvgValue, 9);
            Assert.Equal(expected[i].MaxValue, actual[i].MaxValue, 9);
        }
    }

    [Fact]
    public async Task Migration_creates_the_aggregate_after_the_hypertable_and_no_table_for_the_entity()
    {
        await using var context = Context(CaggModels.Model("m_order", "m_order_hourly", DocsPolicy));

        var operations = context.DiffFrom(null);

        Assert.DoesNotContain(operations.OfType<CreateTableOperation>(), o => o.Name == "m_order_hourly");
        Assert.Null(context.DesignModel.FindEntityType(typeof(HourlyMetric))!.GetTableName());
        var names = operations.Select(o => o.GetType().Name).ToList();
        Assert.True(names.IndexOf(nameof(CreateTableOperation)) < names.IndexOf(nameof(CreateHypertableOperation)));
        Assert.Equal(
            [nameof(CreateHypertableOperation), nameof(CreateContinuousAggregateOperation), nameof(RefreshContinuousAggregateOperation), nameof(AddContinuousAggregatePolicyOperation)],
            names.Skip(names.IndexOf(nameof(CreateHypertableOperation))));
        var sql = context.Sql(operations);
        // A script fills the aggregate before its refresh policy exists, so the policy's first run cannot overlap it (55P03).
        Assert.True(
            sql.IndexOf("CALL refresh_continuous_aggregate(", StringComparison.Ordinal) < sql.IndexOf("add_continuous_aggregate_policy(", StringComparison.Ordinal),
            sql);
        Assert.Contains("CREATE MATERIALIZED VIEW m_order_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS", sql, StringComparison.Ordinal);
        Assert.Contains("WITH NO DATA;", sql, StringComparison.Ordinal);
        Assert.Contains("SELECT add_continuous_aggregate_policy('m_order_hourly', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour');", sql, StringComparison.Ordinal);
        Assert.Contains("CALL refresh_continuous_aggregate('m_order_hourly', NULL, NULL);", sql, StringComparison.Ordinal);

        await context.ApplyAsync(operations);

        Assert.Equal(0, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'm_order_hourly'"));
        var catalog = await CatalogAsync("m_order_hourly");
        Assert.False(catalog!.Value.MaterializedOnly);
        Assert.Contains("time_bucket", catalog.Value.Definition, StringComparison.Ordinal);
        var policy = await PolicyAsync("m_order_hourly");
        Assert.Equal(("3 days", "01:00:00", "01:00:00"), (policy!.Value.Start, policy.Value.End, policy.Value.Schedule));
        Assert.Empty(context.DiffFrom(context));
    }

    [Fact]
    public async Task Refreshed_aggregate_queried_through_linq_matches_the_same_aggregation_in_csharp()
    {
        await using var context = Context(CaggModels.Model("m_query", "m_query_hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));
        var rows = CaggModels.Rows(Start, hours: 30);
        context.Set<Metric>().AddRange(rows);
        await context.SaveChangesAsync();
        Assert.Empty(await QueryAsync(context));

        await context.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);

        AssertSameAggregate(CaggModels.Expected(rows), await QueryAsync(context));
    }

    [Fact]
    public async Task Refresh_window_and_the_policy_job_materialize_only_their_buckets()
    {
        // A server with background workers runs a new scheduled policy by itself at once, and would materialize the
        // recent rows before this test looks: the policy is created paused (in the migration's transaction, so the
        // scheduler never starts it) and run by hand below.
        await using var context = Context(CaggModels.Model(
            "m_window", "m_window_hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1), s => s.Paused()).WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));
        var policy = await PolicyAsync("m_window_hourly");
        Assert.False(await Db.ScalarAsync<bool>($"SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = {policy!.Value.JobId}"));

        var old = CaggModels.Rows(Start, hours: 10);
        var now = DateTime.UtcNow;
        var recent = CaggModels.Rows(new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddDays(-2), hours: 5);
        context.Set<Metric>().AddRange(old.Concat(recent));
        await context.SaveChangesAsync();

        // Only buckets wholly inside the window: 02:00 to 05:00 of the old rows.
        await context.RefreshContinuousAggregateAsync<HourlyMetric>(new DateTimeOffset(Start.AddHours(2)), new DateTimeOffset(Start.AddHours(5)));
        AssertSameAggregate(CaggModels.Expected(old.Where(r => r.Time >= Start.AddHours(2) && r.Time < Start.AddHours(5))), await QueryAsync(context));

        // Run the policy's job by hand (the embedded server has no scheduler). It covers now − 3 days to now − 1 hour.
        await Db.ExecuteAsync($"CALL run_job({policy.Value.JobId})");
        var expected = CaggModels.Expected(old.Where(r => r.Time >= Start.AddHours(2) && r.Time < Start.AddHours(5)).Concat(recent));
        AssertSameAggregate(expected, await QueryAsync(context));
    }

    [Fact]
    public async Task Refresh_inside_a_transaction_and_of_a_non_aggregate_is_refused_clearly()
    {
        await using var context = Context(CaggModels.Model("m_refuse", "m_refuse_hourly", c => c.WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));

        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            var inTransaction = await Assert.ThrowsAsync<InvalidOperationException>(() => context.RefreshContinuousAggregateAsync<HourlyMetric>(null, null));
            Assert.Contains("inside a transaction", inTransaction.Message, StringComparison.Ordinal);
            Assert.Contains("'m_refuse_hourly'", inTransaction.Message, StringComparison.Ordinal);
        }

        var notAggregate = await Assert.ThrowsAsync<InvalidOperationException>(() => context.RefreshContinuousAggregateAsync<Metric>(null, null));
        Assert.Contains("Entity 'Metric' is not a continuous aggregate", notAggregate.Message, StringComparison.Ordinal);
        Assert.Contains("IsContinuousAggregate", notAggregate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_the_query_recreates_the_view_and_recomputes_its_rows_and_down_goes_back()
    {
        // Recreating the aggregate recomputes its buckets from the source rows: a data rewrite both models allow (Up and Down).
        // The commands run as a SQL script runs them (the refresh a plain CALL) and the policy starts at once: on a native
        // server its first run follows the migration's own refresh, which comes before the policy is created, so the two
        // never overlap (an overlap is 55P03 on TimescaleDB 2.27+).
        Action<ContinuousAggregateBuilder> policy = c => { DocsPolicy(c); c.AllowDataRewrite(); };
        await using var v1 = Context(CaggModels.Model("m_query_change", "m_qc_hourly", policy));
        const string Changed = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, min(value) AS max_value FROM {0} GROUP BY 1, 2";
        await using var v2 = Context(CaggModels.Model("m_query_change", "m_qc_hourly", policy, sql: Changed));
        await v1.ApplyAsync(v1.DiffFrom(null));
        var rows = CaggModels.Rows(Start, hours: 6);
        v1.Set<Metric>().AddRange(rows);
        await v1.SaveChangesAsync();
        await v1.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);

        var up = v2.DiffFrom(v1);
        Assert.Equal(
            [nameof(DropContinuousAggregateOperation), nameof(CreateContinuousAggregateOperation), nameof(RefreshContinuousAggregateOperation), nameof(AddContinuousAggregatePolicyOperation)],
            up.Select(o => o.GetType().Name));
        Assert.Contains("because its query changed", ((DropContinuousAggregateOperation)up[0]).DataRewrite!.Change, StringComparison.Ordinal);
        await v2.ApplyAsync(up);

        Assert.Contains("min(", (await CatalogAsync("m_qc_hourly"))!.Value.Definition, StringComparison.Ordinal);
        Assert.NotNull(await PolicyAsync("m_qc_hourly"));
        var recomputed = await QueryAsync(v2);
        Assert.Equal(CaggModels.Expected(rows).Count, recomputed.Count);
        Assert.All(recomputed, m => Assert.Equal(rows.Where(r => r.DeviceId == m.DeviceId && r.Time >= m.Bucket.ToUniversalTime() && r.Time < m.Bucket.ToUniversalTime().AddHours(1)).Min(r => r.Value), m.MaxValue, 9));

        await v1.ApplyAsync(v1.DiffFrom(v2));
        Assert.Contains("max(", (await CatalogAsync("m_qc_hourly"))!.Value.Definition, StringComparison.Ordinal);
        AssertSameAggregate(CaggModels.Expected(rows), await QueryAsync(v1));
    }

    [NativeTimescaleFact("TimescaleDB's scheduler, whose refresh job the drop has to stop, and a second session")]
    public async Task Dropping_an_aggregate_while_its_refresh_job_runs_stops_the_job_before_dropping()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler | NativeNeeds.ConcurrentSessions);
        // The policy's first run starts 10 s after the migration: time enough to insert rows it must read and to take the
        // source table in a second session, so that the run then waits for that table (a run at once found nothing to read).
        var firstRun = DateTimeOffset.UtcNow.AddSeconds(10);
        await using var v1 = Context(CaggModels.Model("m_drop_running", "m_dr_hourly", c => c
            .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1), s => s.StartingAt(firstRun))));
        await using var v0 = Context(CaggModels.Model("m_drop_running", "m_dr_hourly", includeAggregate: false));
        await v1.ApplyAsync(v1.DiffFrom(null));
        var now = DateTime.UtcNow;
        v1.Set<Metric>().AddRange(CaggModels.Rows(new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddDays(-2), hours: 5));
        await v1.SaveChangesAsync();
        var job = (await PolicyAsync("m_dr_hourly"))!.Value.JobId;
        var worker = $"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'Refresh Continuous Aggregate Policy [{job}]'";

        await using var holder = await Db.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var command = new Npgsql.NpgsqlCommand("LOCK TABLE m_drop_running IN ACCESS EXCLUSIVE MODE", holder, hold))
        {
            await command.ExecuteNonQueryAsync();
        }

        Assert.True(DateTimeOffset.UtcNow < firstRun, "The rows and the lock took longer than the 10 s before the policy's first run.");
        await WaitUntilAsync(() => Db.ScalarAsync<bool>($"SELECT EXISTS ({worker} AND wait_event_type = 'Lock')"), "the policy's refresh to start and wait for the source table");

        var drop = v0.ApplyAsync(v0.DiffFrom(v1));
        await WaitUntilAsync(async () => !await Db.ScalarAsync<bool>($"SELECT EXISTS ({worker})"), "the drop to stop the refresh job's worker");
        Assert.False(drop.IsCompleted, "The DROP itself waits for the source table, which the other session still holds.");

        await hold.CommitAsync();
        await drop.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Null(await CatalogAsync("m_dr_hourly"));
        Assert.Equal(0L, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE job_id = {job}"));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited 60 s for {what}.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Renaming_columns_renames_them_in_place_keeping_every_bucket_and_down_renames_them_back()
    {
        // The bucket (the materialization hypertable's time dimension), a group-by column and an aggregate column.
        const string RenamedSql = "SELECT time_bucket('1 hour', time) AS hour, device_id AS device, avg(value) AS mean_value, max(value) AS max_value FROM {0} GROUP BY 1, 2";
        await using var v1 = Context(CaggModels.Model("m_rename", "m_rename_hourly"));
        await using var v2 = Context(b =>
        {
            CaggModels.Model("m_rename", "m_rename_hourly", sql: RenamedSql)(b);
            b.Entity<HourlyMetric>(e =>
            {
                e.Property(h => h.Bucket).HasColumnName("hour");
                e.Property(h => h.DeviceId).HasColumnName("device");
                e.Property(h => h.AvgValue).HasColumnName("mean_value");
            });
        });
        await v1.ApplyAsync(v1.DiffFrom(null));
        var rows = CaggModels.Rows(Start, hours: 6);
        v1.Set<Metric>().AddRange(rows);
        await v1.SaveChangesAsync();
        await v1.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
        const string Materialization = "SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'm_rename_hourly'";
        var materialization = await Db.ScalarAsync<string>(Materialization);

        // Only the output names changed: renamed in place, nothing dropped, nothing to allow.
        var up = v2.DiffFrom(v1);
        Assert.Equal(
            [("bucket", "hour"), ("device_id", "device"), ("avg_value", "mean_value")],
            up.Select(o => Assert.IsType<RenameContinuousAggregateColumnOperation>(o)).Select(o => (o.Name, o.NewName)));
        Assert.Contains("ALTER MATERIALIZED VIEW m_rename_hourly RENAME COLUMN avg_value TO mean_value;", v2.Sql(up), StringComparison.Ordinal);
        await v2.ApplyAsync(up);

        Assert.Equal(materialization, await Db.ScalarAsync<string>(Materialization));
        Assert.Contains("AS mean_value", (await CatalogAsync("m_rename_hourly"))!.Value.Definition, StringComparison.Ordinal);
        AssertSameAggregate(CaggModels.Expected(rows), await QueryAsync(v2));

        // Refreshes go on into the renamed columns.
        var more = CaggModels.Rows(Start.AddHours(6), hours: 2);
        v2.Set<Metric>().AddRange(more);
        await v2.SaveChangesAsync();
        await v2.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
        AssertSameAggregate(CaggModels.Expected([.. rows, .. more]), await QueryAsync(v2));

        var down = v1.DiffFrom(v2);
        Assert.Equal([("hour", "bucket"), ("device", "device_id"), ("mean_value", "avg_value")], down.Select(o => Assert.IsType<RenameContinuousAggregateColumnOperation>(o)).Select(o => (o.Name, o.NewName)));
        await v1.ApplyAsync(down);
        Assert.Equal(materialization, await Db.ScalarAsync<string>(Materialization));
        AssertSameAggregate(CaggModels.Expected([.. rows, .. more]), await QueryAsync(v1));
    }

    [Fact]
    public async Task Changing_only_the_policy_replaces_the_policy_and_keeps_the_rows()
    {
        await using var v1 = Context(CaggModels.Model("m_policy", "m_policy_hourly", DocsPolicy));
        await using var v2 = Context(CaggModels.Model("m_policy", "m_policy_hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(7), null, TimeSpan.FromMinutes(30)).MaterializedOnly(false)));
        await using var v3 = Context(CaggModels.Model("m_policy", "m_policy_hourly", c => c.MaterializedOnly(false)));
        await v1.ApplyAsync(v1.DiffFrom(null));
        v1.Set<Metric>().AddRange(CaggModels.Rows(Start, hours: 2));
        await v1.SaveChangesAsync();
        await v1.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
        var materialized = await Db.ScalarAsync<long>("SELECT count(*) FROM m_policy_hourly");

        var up = v2.DiffFrom(v1);
        Assert.Equal([nameof(RemoveContinuousAggregatePolicyOperation), nameof(AddContinuousAggregatePolicyOperation)], up.Select(o => o.GetType().Name));
        await v2.ApplyAsync(up);
        Assert.Equal(("7 days", (string?)null, "00:30:00"), ((await PolicyAsync("m_policy_hourly"))!.Value.Start, (await PolicyAsync("m_policy_hourly"))!.Value.End, (await PolicyAsync("m_policy_hourly"))!.Value.Schedule));
        Assert.Equal(materialized, await Db.ScalarAsync<long>("SELECT count(*) FROM m_policy_hourly"));

        var removed = v3.DiffFrom(v2);
        Assert.IsType<RemoveContinuousAggregatePolicyOperation>(Assert.Single(removed));
        await v3.ApplyAsync(removed);
        Assert.Null(await PolicyAsync("m_policy_hourly"));

        await v1.ApplyAsync(v1.DiffFrom(v3));
        Assert.Equal(("3 days", "01:00:00"), ((await PolicyAsync("m_policy_hourly"))!.Value.Start, (await PolicyAsync("m_policy_hourly"))!.Value.End));
    }

    [Fact]
    public async Task Changing_materialized_only_alters_the_view_in_place()
    {
        await using var v1 = Context(CaggModels.Model("m_realtime", "m_realtime_hourly", c => c.WithNoData()));
        await using var v2 = Context(CaggModels.Model("m_realtime", "m_realtime_hourly", c => c.WithNoData().MaterializedOnly(false)));
        await v1.ApplyAsync(v1.DiffFrom(null));
        Assert.True((await CatalogAsync("m_realtime_hourly"))!.Value.MaterializedOnly);
        var rows = CaggModels.Rows(Start, hours: 3);
        v1.Set<Metric>().AddRange(rows);
        await v1.SaveChangesAsync();
        Assert.Empty(await QueryAsync(v1));

        var up = v2.DiffFrom(v1);
        var alter = Assert.IsType<SetContinuousAggregateMaterializedOnlyOperation>(Assert.Single(up));
        Assert.False(alter.MaterializedOnly);
        Assert.Contains("ALTER MATERIALIZED VIEW m_realtime_hourly SET (timescaledb.materialized_only = false);", v2.Sql(up), StringComparison.Ordinal);
        await v2.ApplyAsync(up);

        Assert.False((await CatalogAsync("m_realtime_hourly"))!.Value.MaterializedOnly);
        // Real-time aggregation: the rows nobody refreshed are aggregated at query time.
        AssertSameAggregate(CaggModels.Expected(rows), await QueryAsync(v2));

        await v1.ApplyAsync(v1.DiffFrom(v2));
        Assert.True((await CatalogAsync("m_realtime_hourly"))!.Value.MaterializedOnly);
    }

    [Fact]
    public async Task Removing_the_aggregate_and_its_source_drops_the_view_first()
    {
        await using var v1 = Context(CaggModels.Model("m_remove", "m_remove_hourly", DocsPolicy));
        await using var v2 = Context(_ => { });
        await v1.ApplyAsync(v1.DiffFrom(null));

        var down = v2.DiffFrom(v1);
        Assert.IsType<DropContinuousAggregateOperation>(down[0]);
        Assert.Contains(down, o => o is DropTableOperation { Name: "m_remove" });
        Assert.Contains("DROP MATERIALIZED VIEW IF EXISTS m_remove_hourly;", v2.Sql(down), StringComparison.Ordinal);
        await v2.ApplyAsync(down);

        Assert.Null(await CatalogAsync("m_remove_hourly"));
        Assert.Equal(0, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname IN ('m_remove', 'm_remove_hourly') AND relnamespace = current_schema()::regnamespace"));
    }

    [Fact]
    public async Task Changing_a_source_column_or_rebuilding_the_hypertable_recreates_the_view_around_it()
    {
        await using var v1 = Context(CaggModels.Model("m_source", "m_source_hourly", c => c.WithNoData()));
        await using var v2 = Context(CaggModels.Model("m_source", "m_source_hourly", c => c.WithNoData().AllowDataRewrite(), source: e => e.Property(x => x.Value).HasColumnType("real")));
        await using var v3 = Context(CaggModels.Model("m_source", "m_source_hourly", c => c.WithNoData().AllowDataRewrite(), source: e =>
        {
            e.Property(x => x.Value).HasColumnType("real");
            e.IsHypertable(x => x.Time).WithChunkInterval("1 day").PartitionByHash(x => x.DeviceId, 2);
        }));
        await v1.ApplyAsync(v1.DiffFrom(null));

        // PostgreSQL refuses to change the type of a column a view reads: the view goes first and comes back last.
        var alter = v2.DiffFrom(v1);
        Assert.Contains("because the table \"m_source\" it reads changes", Assert.IsType<DropContinuousAggregateOperation>(alter[0]).DataRewrite!.Change, StringComparison.Ordinal);
        Assert.Contains(alter, o => o is AlterColumnOperation { Table: "m_source", Name: "value" });
        Assert.IsType<CreateContinuousAggregateOperation>(alter[^1]);
        await v2.ApplyAsync(alter);
        Assert.Equal("real", await Db.ScalarAsync<string>("SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'm_source' AND column_name = 'value'"));
        Assert.NotNull(await CatalogAsync("m_source_hourly"));

        var addDimension = v3.DiffFrom(v2);
        Assert.IsType<AddHypertableDimensionOperation>(Assert.Single(addDimension));
        await v3.ApplyAsync(addDimension);
        v3.Set<Metric>().AddRange(CaggModels.Rows(Start, hours: 2));
        await v3.SaveChangesAsync();

        // Removing the dimension rebuilds the hypertable, whose DROP would cascade the view away (allowed for the entity).
        await using var v4 = Context(CaggModels.Model("m_source", "m_source_hourly", c => c.WithNoData().AllowDataRewrite(), source: e => e.AllowDataRewrite().Property(x => x.Value).HasColumnType("real")));
        var rebuild = v4.DiffFrom(v3);
        Assert.IsType<DropContinuousAggregateOperation>(rebuild[0]);
        Assert.IsType<ConvertHypertableToTableOperation>(rebuild[1]);
        Assert.IsType<CreateHypertableOperation>(rebuild[^2]);
        Assert.IsType<CreateContinuousAggregateOperation>(rebuild[^1]);
        await v4.ApplyAsync(rebuild);

        Assert.NotNull(await CatalogAsync("m_source_hourly"));
        await v4.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
        Assert.Equal(6, await Db.ScalarAsync<long>("SELECT count(*) FROM m_source_hourly"));
    }

    [Fact]
    public async Task Create_tables_and_the_create_script_include_the_aggregate()
    {
        await using var context = Context(CaggModels.Model("m_ensure", "m_ensure_hourly", DocsPolicy));

        var script = context.Database.GenerateCreateScript();
        await context.GetService<IRelationalDatabaseCreator>().CreateTablesAsync();

        Assert.Contains("CREATE MATERIALIZED VIEW m_ensure_hourly WITH (timescaledb.continuous", script, StringComparison.Ordinal);
        Assert.Contains("CALL refresh_continuous_aggregate('m_ensure_hourly', NULL, NULL);", script, StringComparison.Ordinal);
        Assert.False((await CatalogAsync("m_ensure_hourly"))!.Value.MaterializedOnly);
        Assert.NotNull(await PolicyAsync("m_ensure_hourly"));
    }

    [Fact]
    public async Task An_aggregate_on_an_aggregate_is_created_after_and_dropped_before_the_one_it_reads()
    {
        const string Daily = "SELECT time_bucket('1 day', bucket) AS bucket, device_id, avg(avg_value) AS avg_value, max(max_value) AS max_value FROM m_tier_hourly GROUP BY 1, 2";
        const string HourlyMin = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, min(value) AS max_value FROM {0} GROUP BY 1, 2";
        static Action<Microsoft.EntityFrameworkCore.ModelBuilder> Tiers(string hourlySql) => b =>
        {
            CaggModels.Model("m_tier", "m_tier_hourly", c => c.AllowDataRewrite(), sql: hourlySql)(b);
            b.Entity<DailyMetric>(e => e.HasNoKey().IsContinuousAggregate("m_tier_daily", Daily).AllowDataRewrite());
        };

        await using var v1 = Context(Tiers(CaggModels.HourlySql));
        await using var v2 = Context(Tiers(HourlyMin));
        var create = v1.DiffFrom(null).OfType<CreateContinuousAggregateOperation>().Select(o => o.Table).ToList();
        Assert.Equal(["m_tier_hourly", "m_tier_daily"], create);
        var rows = await CreateTwoDaysOfHourlyAndDailyAsync(v1);
        Assert.Equal(6, await Db.ScalarAsync<long>("SELECT count(*) FROM m_tier_daily"));

        // The hourly query changes: the daily aggregate reads it, so it goes first and comes back last, recomputed.
        var up = v2.DiffFrom(v1);
        Assert.Equal(["m_tier_daily", "m_tier_hourly"], up.OfType<DropContinuousAggregateOperation>().Select(o => o.Table));
        Assert.Contains("because the continuous aggregate \"m_tier_hourly\" it reads is dropped", up.OfType<DropContinuousAggregateOperation>().First().DataRewrite!.Change, StringComparison.Ordinal);
        Assert.Equal(["m_tier_hourly", "m_tier_daily"], up.OfType<CreateContinuousAggregateOperation>().Select(o => o.Table));
        Assert.Equal(["m_tier_hourly", "m_tier_daily"], up.OfType<RefreshContinuousAggregateOperation>().Select(o => o.Table));
        await v2.ApplyAsync(up);
        Assert.Equal(6, await Db.ScalarAsync<long>("SELECT count(*) FROM m_tier_daily"));
        // The daily max of the hourly minimums, now that "max_value" of the hourly aggregate is min(value).
        Assert.Equal(
            rows.Where(r => r.DeviceId == 1 && r.Time < Start.AddDays(1)).GroupBy(r => r.Time.Hour).Max(g => g.Min(r => r.Value)),
            await Db.ScalarAsync<double>($"SELECT max_value FROM m_tier_daily WHERE device_id = 1 AND bucket = '{Start:yyyy-MM-dd}'"),
            9);

        await using var empty = Context(_ => { });
        var down = empty.DiffFrom(v2);
        Assert.Equal(["m_tier_daily", "m_tier_hourly"], down.OfType<DropContinuousAggregateOperation>().Select(o => o.Table));
        await v2.ApplyAsync(down);
        Assert.Null(await CatalogAsync("m_tier_hourly"));
    }

    [Fact]
    public async Task Renaming_a_column_an_aggregate_on_it_reads_renames_in_place_and_keeps_both_aggregates_buckets()
    {
        const string Daily = "SELECT time_bucket('1 day', bucket) AS bucket, device_id, avg(avg_value) AS avg_value, max(max_value) AS max_value FROM m_read_hourly GROUP BY 1, 2";
        const string DailyOfRenamed = "SELECT time_bucket('1 day', bucket) AS bucket, device_id, avg(mean_value) AS avg_value, max(max_value) AS max_value FROM m_read_hourly GROUP BY 1, 2";
        const string HourlyRenamed = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS mean_value, max(value) AS max_value FROM {0} GROUP BY 1, 2";
        // No AllowDataRewrite: nothing here may be recreated.
        await using var v1 = Context(b =>
        {
            CaggModels.Model("m_read", "m_read_hourly")(b);
            b.Entity<DailyMetric>(e => e.HasNoKey().IsContinuousAggregate("m_read_daily", Daily));
        });
        await using var v2 = Context(b =>
        {
            CaggModels.Model("m_read", "m_read_hourly", sql: HourlyRenamed)(b);
            b.Entity<HourlyMetric>(e => e.Property(h => h.AvgValue).HasColumnName("mean_value"));
            b.Entity<DailyMetric>(e => e.HasNoKey().IsContinuousAggregate("m_read_daily", DailyOfRenamed));
        });
        var rows = await CreateTwoDaysOfHourlyAndDailyAsync(v1);
        const string Materializations = "SELECT string_agg(view_name || ' ' || materialization_hypertable_name, ', ' ORDER BY view_name) FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name LIKE 'm_read_%'";
        var materializations = await Db.ScalarAsync<string>(Materializations);
        const string DailyRows = "SELECT count(*) || ':' || string_agg(format('%s %s %s %s', bucket, device_id, round(avg_value::numeric, 9), max_value), ', ' ORDER BY bucket, device_id) FROM m_read_daily";
        var daily = await Db.ScalarAsync<string>(DailyRows);
        Assert.StartsWith("6:", daily, StringComparison.Ordinal);

        // The daily aggregate's query changed only by the column it reads: the hourly one's rename is the only operation.
        var up = v2.DiffFrom(v1);
        var rename = Assert.IsType<RenameContinuousAggregateColumnOperation>(Assert.Single(up));
        Assert.Equal(("m_read_hourly", "avg_value", "mean_value"), (rename.Table, rename.Name, rename.NewName));
        await v2.ApplyAsync(up);

        Assert.Equal(materializations, await Db.ScalarAsync<string>(Materializations));
        Assert.Equal(daily, await Db.ScalarAsync<string>(DailyRows));
        Assert.Contains("mean_value", (await CatalogAsync("m_read_daily"))!.Value.Definition, StringComparison.Ordinal);

        // Both go on refreshing through the renamed column: the new day's averages are those of the hourly averages.
        var more = CaggModels.Rows(Start.AddHours(48), hours: 24);
        v2.Set<Metric>().AddRange(more);
        await v2.SaveChangesAsync();
        await v2.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
        await v2.RefreshContinuousAggregateAsync<DailyMetric>(null, null);
        var third = Start.AddDays(2);
        var expected = more.Where(r => r.DeviceId == 1).GroupBy(r => r.Time.Hour).Select(g => g.Average(r => r.Value)).Average();
        Assert.Equal(expected, await Db.ScalarAsync<double>($"SELECT avg_value FROM m_read_daily WHERE device_id = 1 AND bucket = '{third:yyyy-MM-dd}'"), 9);

        // And back.
        var down = v1.DiffFrom(v2);
        var back = Assert.IsType<RenameContinuousAggregateColumnOperation>(Assert.Single(down));
        Assert.Equal(("mean_value", "avg_value"), (back.Name, back.NewName));
        await v1.ApplyAsync(down);
        Assert.Equal(materializations, await Db.ScalarAsync<string>(Materializations));
        Assert.DoesNotContain("mean_value", (await CatalogAsync("m_read_daily"))!.Value.Definition, StringComparison.Ordinal);
    }

    /// <summary>Creates the model's tables and aggregates, inserts two days of rows and materializes both aggregates.</summary>
    private static async Task<List<Metric>> CreateTwoDaysOfHourlyAndDailyAsync(ModelContext context)
    {
        await context.ApplyAsync(context.DiffFrom(null));
        var rows = CaggModels.Rows(Start, hours: 48);
        context.Set<Metric>().AddRange(rows);
        await context.SaveChangesAsync();
        await context.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
        await context.RefreshContinuousAggregateAsync<DailyMetric>(null, null);
        return rows;
    }

    [Fact]
    public async Task An_aggregate_in_its_own_schema_is_created_refreshed_and_queried_there()
    {
        var schema = Db.Schema + "_cagg";
        await using var context = Context(b =>
        {
            CaggModels.Model("m_schema", "m_schema_hourly", includeAggregate: false)(b);
            b.Entity<HourlyMetric>(e => e.HasNoKey()
                .IsContinuousAggregate("Hourly Metrics", CaggModels.HourlySql.Replace("{0}", "m_schema", StringComparison.Ordinal), schema)
                .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
                .WithNoData());
        });
        try
        {
            var operations = context.DiffFrom(null);
            Assert.Contains(operations, o => o is EnsureSchemaOperation { Name: var name } && name == schema);
            Assert.Contains($"CREATE MATERIALIZED VIEW {schema}.\"Hourly Metrics\" WITH", context.Sql(operations), StringComparison.Ordinal);
            await context.ApplyAsync(operations);
            var rows = CaggModels.Rows(Start, hours: 3);
            context.Set<Metric>().AddRange(rows);
            await context.SaveChangesAsync();

            await context.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);

            Assert.Equal(1, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.continuous_aggregates WHERE view_schema = '{schema}' AND view_name = 'Hourly Metrics'"));
            AssertSameAggregate(CaggModels.Expected(rows), await QueryAsync(context));
        }
        finally
        {
            await Db.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }
}
