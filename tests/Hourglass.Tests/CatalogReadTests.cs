using Xunit;

namespace Hourglass.Tests;

/// <summary>Every read of the library against hand-written catalog SQL on a database with known contents in two schemas.</summary>
public sealed class CatalogReadTests(CatalogFixture db) : IClassFixture<CatalogFixture>
{
    private string[] Schemas => [db.A, db.B];

    [Fact]
    public async Task Server_matches_the_settings_and_the_extension()
    {
        var server = await db.DataSource.Timescale().GetServerAsync();
        var row = (await db.RowsAsync("""
            SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'), current_setting('timescaledb.license', true),
                   current_database(), current_setting('shared_preload_libraries'), nullif(current_setting('timescaledb.max_background_workers', true), '')::int,
                   EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND backend_type LIKE 'TimescaleDB Background Worker Scheduler%')
            """))[0];
        Assert.Equal((string)row[0]!, server.PostgresVersionText);
        Assert.Equal(int.Parse(((string)row[0]!).Split('.')[0], System.Globalization.CultureInfo.InvariantCulture), server.PostgresMajor);
        Assert.Equal((string)row[1]!, server.TimescaleVersionText);
        Assert.True(server.IsInstalled);
        Assert.Equal((string?)row[2], server.License);
        Assert.Equal((string?)row[2] == "apache" ? TimescaleEdition.Apache : TimescaleEdition.Community, server.Edition);
        Assert.Equal((string)row[3]!, server.Database);
        Assert.Equal(((string)row[4]!).Contains("timescaledb", StringComparison.Ordinal), server.IsPreloaded);
        Assert.Equal((int?)row[5], server.MaxBackgroundWorkers);
        Assert.Equal((bool)row[6]!, server.IsSchedulerRunning);
    }

    [Fact]
    public async Task Hypertables_of_the_two_schemas_with_dimensions_chunks_sizes_and_rows()
    {
        var hypertables = await db.DataSource.Timescale().GetHypertablesAsync(Schemas);
        var expected = await db.RowsAsync($"""
            SELECT schema_name::text, table_name::text FROM _timescaledb_catalog.hypertable
            WHERE schema_name IN ('{db.A}', '{db.B}') ORDER BY 1, 2
            """);
        Assert.Equal(expected.Select(r => $"{r[0]}.{r[1]}"), hypertables.Select(h => h.QualifiedName));
        Assert.Equal(3, hypertables.Count);

        foreach (var h in hypertables)
        {
            var rel = $"'{h.Schema}.{h.Name}'::regclass";
            Assert.Equal((int)await db.ScalarAsync<long>($"SELECT count(*) FROM pg_inherits WHERE inhparent = {rel}"), h.ChunkCount);
            var total = await db.ScalarAsync<long>($"SELECT (pg_total_relation_size({rel}) + coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = {rel}), 0))::bigint");
            Assert.Equal(total, h.Size.TotalBytes);
            var dims = await db.RowsAsync($"""
                SELECT d.column_name::text, d.num_slices::int, d.interval_length
                FROM _timescaledb_catalog.dimension d JOIN _timescaledb_catalog.hypertable ht ON ht.id = d.hypertable_id
                WHERE ht.schema_name = '{h.Schema}' AND ht.table_name = '{h.Name}' ORDER BY d.id
                """);
            Assert.Equal(dims.Select(d => (string)d[0]!), h.Dimensions.Select(d => d.Column));
            Assert.Equal(dims.Select(d => (int?)d[1]), h.Dimensions.Select(d => d.Partitions));
        }

        var metrics = hypertables.Single(h => h.Name == "metrics");
        Assert.Equal(db.A, metrics.Schema);
        Assert.Equal(DimensionKind.Range, metrics.Dimensions[0].Kind);
        Assert.Equal(TimeSpan.FromDays(1), metrics.Dimensions[0].Interval);
        Assert.Equal("timestamp with time zone", metrics.Dimensions[0].ColumnType);
        Assert.Equal(DimensionKind.Hash, metrics.Dimensions[1].Kind);
        Assert.Equal(2, metrics.Dimensions[1].Partitions);
        Assert.Equal(await db.ScalarAsync<long>($"SELECT count(*) FROM {db.A}.metrics"), metrics.ApproximateRowCount);
        Assert.True(metrics.ColumnstoreEnabled);
        Assert.Equal(["device"], metrics.ColumnstoreSettings!.SegmentBy);
        Assert.Equal(new ColumnstoreOrder("time", Descending: true), metrics.ColumnstoreSettings.OrderBy[0]);
        Assert.Equal("device", metrics.ColumnstoreSettings.SegmentByText);
        Assert.StartsWith("time DESC", metrics.ColumnstoreSettings.OrderByText, StringComparison.Ordinal);
        Assert.Equal(0, metrics.ColumnstoreStats!.ConvertedChunks);
        Assert.Null(metrics.ColumnstoreStats.Ratio);

        var events = hypertables.Single(h => h.Name == "events");
        Assert.Equal(db.B, events.Schema);
        Assert.True(events.ChunkCount > 0);
        Assert.Null(events.ApproximateRowCount); // never analyzed: unknown, not 0
        Assert.False(events.ColumnstoreEnabled);
        Assert.Null(events.ColumnstoreStats);
        Assert.Equal(TimeSpan.FromDays(7), events.Dimensions.Single().Interval);

        var counters = hypertables.Single(h => h.Name == "counters");
        Assert.Equal(1000, counters.Dimensions.Single().IntegerInterval);
        Assert.Null(counters.Dimensions.Single().Interval);
        Assert.Equal(3, counters.ChunkCount);
        Assert.Equal(2500, counters.ApproximateRowCount);
    }

    [Fact]
    public async Task One_hypertable_by_name_and_clear_errors_for_other_tables()
    {
        var client = db.DataSource.Timescale();
        var metrics = await client.GetHypertableAsync($"{db.A}.metrics");
        Assert.Equal("metrics", metrics.Name);
        var missing = await Assert.ThrowsAsync<TimescaleException>(() => client.GetHypertableAsync($"{db.A}.nothing_here"));
        Assert.Contains($"{db.A}.nothing_here", missing.Message, StringComparison.Ordinal);
        await db.RowsAsync($"CREATE TABLE IF NOT EXISTS {db.A}.plain (id int)");
        var plain = await Assert.ThrowsAsync<TimescaleException>(() => client.GetHypertableAsync($"{db.A}.plain"));
        Assert.Contains("is not a hypertable", plain.Message, StringComparison.Ordinal);
        Assert.Contains("create_hypertable", plain.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunks_with_ranges_sizes_and_filters()
    {
        var client = db.DataSource.Timescale();
        var chunks = await client.GetChunksAsync($"{db.A}.metrics");
        var expected = await db.RowsAsync($"""
            SELECT n.nspname::text, c.relname::text, pg_total_relation_size(c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.inhparent = '{db.A}.metrics'::regclass ORDER BY 1, 2
            """);
        Assert.Equal(expected.Select(r => $"{r[0]}.{r[1]}"), chunks.Select(c => c.QualifiedName).Order(StringComparer.Ordinal));
        foreach (var row in expected)
        {
            Assert.Equal((long)row[2]!, chunks.Single(c => c.Name == (string)row[1]!).Size.TotalBytes);
        }

        // Two hash partitions per day with rows: each day's chunks cover exactly that UTC day.
        Assert.Equal(db.MetricDays.SelectMany(d => new[] { d, d }), chunks.Select(c => c.RangeStart!.Value));
        Assert.All(chunks, c => Assert.Equal(c.RangeStart!.Value.AddDays(1), c.RangeEnd));
        Assert.All(chunks, c => Assert.False(c.IsColumnstore));
        Assert.All(chunks, c => Assert.Equal($"{db.A}.metrics", $"{c.HypertableSchema}.{c.HypertableName}"));
        Assert.All(chunks, c => Assert.NotNull(c.CreatedAt));

        var older = await client.GetChunksAsync($"{db.A}.metrics", new ChunkFilter { OlderThan = TimeSpan.FromDays(2) });
        var shown = await db.RowsAsync($"SELECT s::text FROM show_chunks('{db.A}.metrics', older_than => interval '2 days') s");
        Assert.Equal(4, older.Count);
        Assert.Equal(shown.Select(r => ((string)r[0]!).Split('.')[^1].Trim('"')).Order(StringComparer.Ordinal), older.Select(c => c.Name).Order(StringComparer.Ordinal));

        var newer = await client.GetChunksAsync($"{db.A}.metrics", new ChunkFilter { NewerThan = db.MetricDays[2] });
        Assert.Equal(2, newer.Count);
        var created = await client.GetChunksAsync($"{db.A}.metrics", new ChunkFilter { CreatedBefore = DateTimeOffset.UtcNow.AddMinutes(5) });
        Assert.Equal(chunks.Count, created.Count);

        var integerChunks = await client.GetChunksAsync($"{db.B}.counters", new ChunkFilter { OlderThan = 2000L });
        Assert.Equal([0L, 1000L], integerChunks.Select(c => c.RangeStartInteger!.Value));
        Assert.All(integerChunks, c => Assert.Null(c.RangeStart));
    }

    [Fact]
    public async Task Continuous_aggregates_with_source_watermark_and_policies()
    {
        var aggregates = await db.DataSource.Timescale().GetContinuousAggregatesAsync(Schemas);
        var expected = await db.RowsAsync($"""
            SELECT user_view_schema::text, user_view_name::text FROM _timescaledb_catalog.continuous_agg
            WHERE user_view_schema IN ('{db.A}', '{db.B}') ORDER BY 1, 2
            """);
        Assert.Equal(expected.Select(r => $"{r[0]}.{r[1]}"), aggregates.Select(a => a.QualifiedName));

        var hourly = aggregates.Single(a => a.Name == "metrics_hourly");
        Assert.Equal(($"{db.A}", "metrics"), (hourly.SourceSchema, hourly.SourceName));
        Assert.False(hourly.IsOnAggregate);
        Assert.True(hourly.MaterializedOnly);
        Assert.Contains("time_bucket", hourly.Definition, StringComparison.Ordinal);
        Assert.Equal("timestamp with time zone", hourly.TimeColumnType);
        var lastBucket = await db.ScalarAsync<DateTime>($"SELECT max(bucket) + interval '1 hour' FROM {db.A}.metrics_hourly");
        Assert.Equal(new DateTimeOffset(lastBucket, TimeSpan.Zero), hourly.Watermark);
        Assert.True(hourly.IsRefreshed);
        var policy = Assert.Single(hourly.Policies);
        Assert.Equal(JobKind.ContinuousAggregateRefresh, policy.Kind);
        Assert.Equal(TimeSpan.FromHours(1), policy.ScheduleInterval);

        var daily = aggregates.Single(a => a.Name == "metrics_daily");
        Assert.Equal(db.B, daily.Schema);
        Assert.Equal(db.A, daily.SourceSchema);
        Assert.False(daily.MaterializedOnly);
        Assert.False(daily.IsRefreshed);
        Assert.Null(daily.Watermark);
        Assert.Empty(daily.Policies);
    }

    [Fact]
    public async Task Jobs_of_the_two_schemas_with_kinds_relations_and_selectors()
    {
        var client = db.DataSource.Timescale();
        var jobs = await client.GetJobsAsync(Schemas);
        var expected = await db.RowsAsync($"""
            SELECT j.id FROM _timescaledb_config.bgw_job j
            LEFT JOIN _timescaledb_catalog.hypertable h ON h.id = j.hypertable_id
            LEFT JOIN _timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = h.id
            WHERE coalesce(ca.user_view_schema, h.schema_name, j.proc_schema) IN ('{db.A}', '{db.B}') ORDER BY 1
            """);
        Assert.Equal(expected.Select(r => (int)r[0]!), jobs.Select(j => j.Id));
        Assert.Equal(4, jobs.Count);

        var retention = jobs.Single(j => j.Kind == JobKind.Retention);
        Assert.Equal(($"{db.A}", "metrics"), (retention.RelationSchema, retention.RelationName));
        Assert.Equal("policy_retention", retention.ProcedureName);
        Assert.Contains("30 days", retention.Config, StringComparison.Ordinal);
        Assert.True(retention.Scheduled);
        // The native scheduler may have run it already; the counts never run ahead of job_stats.
        var runs = await db.ScalarAsync<long>($"SELECT coalesce((SELECT total_runs FROM timescaledb_information.job_stats WHERE job_id = {retention.Id}), 0)");
        Assert.InRange(retention.TotalRuns, 0, runs);
        Assert.Equal(retention.TotalRuns == 0 && retention.LastRunStartedAt is null, retention.NeverRan);
        Assert.Equal(TimeSpan.FromDays(1), retention.ScheduleInterval);
        Assert.Single(jobs, j => j.Kind == JobKind.Columnstore && j.RelationName == "metrics");
        var refresh = jobs.Single(j => j.Kind == JobKind.ContinuousAggregateRefresh);
        Assert.Equal(($"{db.A}", "metrics_hourly"), (refresh.RelationSchema, refresh.RelationName));
        var custom = jobs.Single(j => j.Kind == JobKind.Custom);
        Assert.Equal(($"{db.B}", "noop"), (custom.ProcedureSchema, custom.ProcedureName));
        Assert.False(custom.Scheduled);
        Assert.Null(custom.NextStart);
        Assert.Contains("\"days\": 7", custom.Config, StringComparison.Ordinal);

        var handRetention = await db.ScalarAsync<int>($"SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_schema = '{db.A}' AND hypertable_name = 'metrics'");
        Assert.Equal(handRetention, (await client.GetJobAsync(JobSelector.Policy($"{db.A}.metrics", JobKind.Retention))).Id);
        Assert.Equal(refresh.Id, (await client.GetJobAsync(JobSelector.Policy($"{db.A}.metrics_hourly", JobKind.ContinuousAggregateRefresh))).Id);
        Assert.Equal(custom.Id, (await client.GetJobAsync(JobSelector.Named($"{db.B}.noop"))).Id);
        Assert.Equal(custom.Id, (await client.GetJobAsync(custom.Id)).Id);

        var none = await Assert.ThrowsAsync<TimescaleException>(() => client.GetJobAsync(JobSelector.Policy($"{db.B}.events", JobKind.Retention)));
        Assert.Contains($"Retention policy of '{db.B}.events'", none.Message, StringComparison.Ordinal);
        Assert.Contains("none", none.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<TimescaleException>(() => client.GetJobAsync(int.MaxValue));
        Assert.Contains($"job {int.MaxValue}", missing.Message, StringComparison.Ordinal);
    }
}
