using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Tests;

/// <summary>Every operation's effect, checked with hand-written SQL. Each test works on tables of its own.</summary>
public sealed class OperationTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>, IAsyncLifetime
{
    private readonly string _schema = $"hgops{Guid.NewGuid():N}"[..14];
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        await ExecuteAsync($"CREATE SCHEMA {_schema}");
    }

    public async Task DisposeAsync()
    {
        await ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        await _dataSource.DisposeAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A hypertable with 1-day chunks and rows on each of the last <paramref name="days"/> days (UTC), columnstore enabled.</summary>
    private async Task<string> MetricsAsync(string name, int days)
    {
        var table = $"{_schema}.{name}";
        await ExecuteAsync($"""
            CREATE TABLE {table} (time timestamptz NOT NULL, device int NOT NULL, value double precision);
            SELECT create_hypertable('{table}', by_range('time', interval '1 day'));
            INSERT INTO {table} SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - d * interval '1 day' + i * interval '1 minute', dev, (i % 17) * 1.5
              FROM generate_series(0, {days - 1}) d, generate_series(0, 1439, 5) i, generate_series(1, 5) dev;
            ALTER TABLE {table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'device', timescaledb.compress_orderby = 'time DESC');
            """);
        return table;
    }

    [Fact]
    public async Task Convert_to_columnstore_reads_the_ratio_back_then_back_to_rowstore()
    {
        var table = await MetricsAsync("conv", 4);
        var rows = await ScalarAsync<long>($"SELECT count(*) FROM {table}");
        var client = _dataSource.Timescale();
        var reports = new List<ChunkProgress>();
        // The chunks end on the data's day boundaries (UTC midnight): the three before today's end by this midnight, today's
        // ends tomorrow. (An age such as one hour would miss yesterday's chunk in the first hour after midnight.)
        var midnight = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var converted = await client.ConvertChunksToColumnstoreAsync(table, new ChunkFilter { OlderThan = ChunkBound.At(midnight) }, new SyncProgress(reports));
        Assert.Equal(3, converted.Count);
        Assert.Equal([1, 2, 3], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(3, r.Total));
        Assert.Single(await client.ConvertChunksToColumnstoreAsync(table));

        Assert.Equal(4, await ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = '{_schema}' AND hypertable_name = 'conv' AND is_compressed"));
        Assert.Equal(rows, await ScalarAsync<long>($"SELECT count(*) FROM {table}"));

        var hypertable = await client.GetHypertableAsync(table);
        var stats = hypertable.ColumnstoreStats!;
        Assert.Equal(4, stats.ConvertedChunks);
        Assert.Equal(await ScalarAsync<long>($"SELECT sum(before_compression_total_bytes)::bigint FROM hypertable_compression_stats('{table}')"), stats.BeforeBytes);
        Assert.Equal(await ScalarAsync<long>($"SELECT sum(after_compression_total_bytes)::bigint FROM hypertable_compression_stats('{table}')"), stats.AfterBytes);
        Assert.True(stats.Ratio > 1, $"ratio {stats.Ratio}");
        var chunks = await client.GetChunksAsync(table);
        Assert.All(chunks, c => Assert.True(c.IsColumnstore && c.ColumnstoreRatio > 1));

        // Already converted: nothing to do the second time.
        Assert.Empty(await client.ConvertChunksToColumnstoreAsync(table));

        var back = await client.ConvertChunksToRowstoreAsync(table, new ChunkFilter { NewerThan = TimeSpan.FromDays(2) });
        Assert.Equal(2, back.Count);
        Assert.Equal(2, await ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = '{_schema}' AND hypertable_name = 'conv' AND is_compressed"));
        Assert.Equal(rows, await ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Converting_without_columnstore_names_the_fix()
    {
        await ExecuteAsync($"CREATE TABLE {_schema}.plainhyper (time timestamptz NOT NULL, v int); SELECT create_hypertable('{_schema}.plainhyper', by_range('time'));");
        var error = await Assert.ThrowsAsync<TimescaleException>(() => _dataSource.Timescale().ConvertChunksToColumnstoreAsync($"{_schema}.plainhyper"));
        Assert.Contains("enable_columnstore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drop_chunks_older_than_removes_them_and_their_rows_only()
    {
        var table = await MetricsAsync("dropme", 6);
        var client = _dataSource.Timescale();
        var expectedGone = await ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}', older_than => interval '3 days')");
        var dropped = await client.DropChunksAsync(table, new ChunkFilter { OlderThan = TimeSpan.FromDays(3) });
        Assert.Equal(expectedGone, dropped.Count);
        Assert.True(dropped.Count >= 2);
        foreach (var chunk in dropped)
        {
            Assert.False(await ScalarAsync<bool>($"SELECT to_regclass('{chunk}') IS NOT NULL"));
        }

        Assert.True(await ScalarAsync<bool>($"SELECT min(time) >= now() - interval '4 days' FROM {table}"));
        Assert.Equal(6 - dropped.Count, (await client.GetChunksAsync(table)).Count);

        var empty = await Assert.ThrowsAsync<TimescaleException>(() => client.DropChunksAsync(table, new ChunkFilter()));
        Assert.Contains("every chunk", empty.Message, StringComparison.Ordinal);

        var byCreation = await client.DropChunksAsync(table, new ChunkFilter { CreatedBefore = DateTimeOffset.UtcNow.AddMinutes(1) });
        Assert.Equal(6 - dropped.Count, byCreation.Count);
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Merge_two_adjacent_chunks_keeps_every_row()
    {
        var table = await MetricsAsync("merge", 3);
        var client = _dataSource.Timescale();
        var server = await client.GetServerAsync();
        var chunks = await client.GetChunksAsync(table);
        var rows = await ScalarAsync<long>($"SELECT count(*) FROM {table}");
        if (!await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'merge_chunks')"))
        {
            var error = await Assert.ThrowsAsync<TimescaleException>(() => client.MergeChunksAsync([chunks[0].QualifiedName, chunks[1].QualifiedName]));
            Assert.Contains("2.18", error.Message, StringComparison.Ordinal);
            return;
        }

        await client.MergeChunksAsync([chunks[0].QualifiedName, chunks[1].QualifiedName]);
        var after = await client.GetChunksAsync(table);
        Assert.Equal(chunks.Count - 1, after.Count);
        Assert.Equal(chunks[0].RangeStart, after[0].RangeStart);
        Assert.Equal(chunks[1].RangeEnd, after[0].RangeEnd);
        Assert.Equal(rows, await ScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.NotNull(server.TimescaleVersion);
    }

    [Fact]
    public async Task Reorder_rewrites_a_chunk_in_index_order()
    {
        var table = $"{_schema}.reorder";
        await ExecuteAsync($"""
            CREATE TABLE {table} (time timestamptz NOT NULL, device int NOT NULL, value int);
            SELECT create_hypertable('{table}', by_range('time', interval '1 day'), create_default_indexes => false);
            CREATE INDEX reorder_device_time ON {table} (device, time);
            INSERT INTO {table} SELECT timestamptz '2026-01-01' + i * interval '1 minute', i % 7, i FROM generate_series(0, 999) i;
            """);
        var client = _dataSource.Timescale();
        var chunk = Assert.Single(await client.GetChunksAsync(table));
        const string physical = "SELECT array_agg(device ORDER BY ctid) = array_agg(device ORDER BY device, time) FROM ";
        Assert.False(await ScalarAsync<bool>(physical + chunk.QualifiedName));
        await client.ReorderChunkAsync(chunk.QualifiedName, $"{_schema}.reorder_device_time");
        Assert.True(await ScalarAsync<bool>(physical + chunk.QualifiedName));
    }

    [Fact]
    public async Task Refresh_a_window_materializes_exactly_that_window()
    {
        var table = await MetricsAsync("refr", 3);
        await ExecuteAsync($"""
            CREATE MATERIALIZED VIEW {_schema}.refr_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
              SELECT time_bucket(interval '1 hour', time) AS bucket, device, sum(value) AS total FROM {table} GROUP BY 1, 2 WITH NO DATA
            """);
        var client = _dataSource.Timescale();
        var from = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-2);
        var to = from.AddHours(6);
        await client.RefreshContinuousAggregateAsync($"{_schema}.refr_hourly", from, to);

        var view = await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.refr_hourly");
        Assert.Equal(6 * 5, view);
        Assert.True(await ScalarAsync<bool>($"""
            SELECT bool_and(v.total = h.total) FROM {_schema}.refr_hourly v
            JOIN (SELECT time_bucket(interval '1 hour', time) AS bucket, device, sum(value) AS total FROM {table} GROUP BY 1, 2) h USING (bucket, device)
            """));
        var aggregate = await client.GetContinuousAggregateAsync($"{_schema}.refr_hourly");
        Assert.Equal(to, aggregate.Watermark);

        var wrongType = await Assert.ThrowsAsync<TimescaleException>(() => client.RefreshContinuousAggregateAsync($"{_schema}.refr_hourly", 0L, 10L));
        Assert.Contains("DateTimeOffset", wrongType.Message, StringComparison.Ordinal);
        var notAggregate = await Assert.ThrowsAsync<TimescaleException>(() => client.RefreshContinuousAggregateAsync(table, from, to));
        Assert.Contains("is not a continuous aggregate", notAggregate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pause_resume_alter_run_and_delete_the_retention_policy_of_a_table()
    {
        var table = await MetricsAsync("jobs", 5);
        var other = await MetricsAsync("jobs_other", 1);
        // Started a day from now, so a native scheduler leaves the chunks to the test's own run.
        await ExecuteAsync($"""
            SELECT add_retention_policy('{table}', interval '2 days', initial_start => now() + interval '1 day');
            SELECT add_retention_policy('{other}', interval '20 days', initial_start => now() + interval '1 day');
            """);
        var client = _dataSource.Timescale();
        var policy = JobSelector.Policy(table, JobKind.Retention);
        string Scheduled(int id) => $"SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = {id}";

        var before = await ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')");
        var expired = await ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}', older_than => interval '2 days')");
        Assert.True(expired >= 2);

        var paused = await client.PauseJobAsync(policy);
        Assert.False(paused.Scheduled);
        Assert.False(await ScalarAsync<bool>(Scheduled(paused.Id)));
        var resumed = await client.ResumeJobAsync(paused.Id);
        Assert.True(await ScalarAsync<bool>(Scheduled(resumed.Id)));

        // Resuming or re-timing a job lets TimescaleDB compute its next start; a day ahead, the run below stays the only one.
        var altered = await client.AlterJobAsync(policy, new JobChanges { ScheduleInterval = TimeSpan.FromHours(6), MaxRetries = 2, NextStart = DateTimeOffset.UtcNow.AddDays(1) });
        Assert.Equal(TimeSpan.FromHours(6), altered.ScheduleInterval);
        Assert.Equal("06:00:00", await ScalarAsync<string>($"SELECT schedule_interval::text FROM timescaledb_information.jobs WHERE job_id = {altered.Id}"));
        Assert.Equal(2, await ScalarAsync<int>($"SELECT max_retries FROM timescaledb_information.jobs WHERE job_id = {altered.Id}"));

        var ran = await client.RunJobAsync(policy);
        Assert.Equal(altered.Id, ran.Id);
        var after = await ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')");
        Assert.Equal(before - expired, after);
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}', older_than => interval '2 days')"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{other}')"));

        var ambiguous = await Assert.ThrowsAsync<TimescaleException>(() => client.GetJobAsync(JobSelector.Named("policy_retention")));
        Assert.Contains("jobs match", ambiguous.Message, StringComparison.Ordinal);

        var deleted = await client.DeleteJobAsync(policy);
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE job_id = {deleted.Id}"));
        await Assert.ThrowsAsync<TimescaleException>(() => client.GetJobAsync(policy));
    }

    [Fact]
    public async Task A_failing_job_run_by_hand_reports_its_error()
    {
        await ExecuteAsync($"""
            CREATE PROCEDURE {_schema}.boom(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom in %', config->>'tag'; END $$;
            SELECT add_job('{_schema}.boom', interval '1 day', config => jsonb_build_object('tag', '{_schema}'), scheduled => false);
            """);
        var client = _dataSource.Timescale();
        var error = await Assert.ThrowsAsync<PostgresException>(() => client.RunJobAsync(JobSelector.Named($"{_schema}.boom")));
        Assert.Contains($"boom in {_schema}", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alter_job_sets_a_monthly_schedule_in_a_time_zone_and_keeps_the_zone_through_later_changes()
    {
        await ExecuteAsync($"""
            CREATE PROCEDURE {_schema}.monthly(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$;
            SELECT add_job('{_schema}.monthly', interval '1 day', scheduled => false);
            """);
        var client = _dataSource.Timescale();
        var job = JobSelector.Named($"{_schema}.monthly");
        var start = new DateTimeOffset(2026, 1, 1, 3, 0, 0, TimeSpan.FromHours(1));
        var monthly = JobSchedule.Deserialize("""{"ScheduleInterval":"1 month","Timezone":"Europe/Berlin"}""") with { InitialStart = start, FixedSchedule = true };

        var altered = await client.AlterJobAsync(job, JobChanges.FromSchedule(monthly));
        Assert.Null(altered.ScheduleInterval);
        Assert.Equal("1 mon", altered.ScheduleIntervalText);
        var settings = (await client.GetJobSettingsAsync()).Single(j => j.Id == altered.Id);
        Assert.Equal(TimescaleInterval.FromMonths(1), settings.Schedule.ScheduleInterval);
        Assert.Equal("Europe/Berlin", settings.Timezone);
        Assert.Equal(start, settings.InitialStart);

        // alter_job clears a time zone it is not passed; the client passes it again.
        await client.AlterJobAsync(job, new JobChanges { MaxRetries = 3, RetryPeriod = TimeSpan.FromMinutes(10) });
        await client.ResumeJobAsync(job);
        await client.PauseJobAsync(job);
        var row = (await ScalarAsync<string>($"SELECT concat_ws('|', b.timezone, j.schedule_interval::text, j.max_retries, j.retry_period::text, j.scheduled) FROM timescaledb_information.jobs j JOIN {await JobTableAsync()} b ON b.id = j.job_id WHERE j.job_id = {altered.Id}"));
        Assert.Equal("Europe/Berlin|1 mon|3|00:10:00|f", row);

        var bare = await Assert.ThrowsAsync<TimescaleException>(() => client.AlterJobAsync(job, new JobChanges { ScheduleInterval = TimescaleInterval.FromInteger(5) }));
        Assert.Contains("with a unit", bare.Message, StringComparison.Ordinal);
    }

    // The job table moved from _timescaledb_config to _timescaledb_catalog in 2.25; read where this server keeps it.
    private async Task<string> JobTableAsync()
        => await ScalarAsync<bool>("SELECT to_regclass('_timescaledb_catalog.bgw_job') IS NOT NULL") ? "_timescaledb_catalog.bgw_job" : "_timescaledb_config.bgw_job";

    private sealed class SyncProgress(List<ChunkProgress> reports) : IProgress<ChunkProgress>
    {
        public void Report(ChunkProgress value) => reports.Add(value);
    }
}
