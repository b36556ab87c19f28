using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Reorder;
using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Scheduler;

/// <summary>
/// Policies and jobs created by migrations and then run by the server's own scheduler, as in production. Only a
/// native TimescaleDB has background workers; every other test runs the jobs by hand with run_job. Each job is
/// paused right after the migration so that the data can be checked untouched first, then moved to run now.
/// </summary>
public class SchedulerTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private TestDatabase Db => fixture.Database;

    [NativeTimescaleFact("TimescaleDB background workers that run jobs by themselves")]
    public async Task Columnstore_policy_converts_old_chunks_by_itself()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        const string table = "sch_columnstore";
        await using var context = ModelContext.Create(Db.ConnectionString, Readings(table, h => h
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId))
            .WithColumnstorePolicy(after: TimeSpan.FromDays(14))));
        await MigrateAsync(null, context);
        var job = await PauseAsync(await JobIdAsync(Db, table, "policy_compression"));
        await InsertHoursAsync(Db, table, 42);
        var chunks = await ChunksAsync(Db, table);
        Assert.Equal(0, await CompressedChunksAsync(Db, table));

        await RunByTheSchedulerAsync(job);

        var compressed = await CompressedChunksAsync(Db, table);
        Assert.InRange(compressed, 2, chunks - 2);
        Assert.Equal(0, await Db.ScalarAsync<long>($"""
            SELECT count(*) FROM timescaledb_information.chunks
            WHERE hypertable_name = '{table}' AND NOT is_compressed AND range_end < now() - interval '14 days'
            """));
        Assert.Equal(42 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [NativeTimescaleFact("TimescaleDB background workers that run jobs by themselves")]
    public async Task Retention_policy_drops_old_chunks_by_itself()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        const string table = "sch_retention";
        await using var context = ModelContext.Create(Db.ConnectionString, Readings(table, h => h.WithRetentionPolicy(dropAfter: TimeSpan.FromDays(14))));
        await MigrateAsync(null, context);
        var job = await PauseAsync(await JobIdAsync(Db, table, "policy_retention"));
        await InsertHoursAsync(Db, table, 42);
        var chunks = await ChunksAsync(Db, table);
        var expectedRows = await Db.ScalarAsync<long>($"""
            SELECT count(*) FROM {table} t WHERE NOT EXISTS (
                SELECT FROM timescaledb_information.chunks c
                WHERE c.hypertable_name = '{table}' AND c.range_end <= now() - interval '14 days' AND t."Time" >= c.range_start AND t."Time" < c.range_end)
            """);
        Assert.True(expectedRows < 42 * 24);

        await RunByTheSchedulerAsync(job);

        Assert.True(await ChunksAsync(Db, table) < chunks);
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = '{table}' AND range_end <= now() - interval '14 days'"));
        Assert.Equal(expectedRows, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [NativeTimescaleFact("TimescaleDB background workers that run jobs by themselves")]
    public async Task Reorder_policy_clusters_a_chunk_by_its_index_by_itself()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        const string table = "sch_reorder";
        const string index = "ix_sch_reorder_device_time";
        await using var context = ModelContext.Create(Db.ConnectionString, Readings(table, h => h.WithReorderPolicy(index)));
        await MigrateAsync(null, context);
        var job = await PauseAsync(await JobIdAsync(Db, table, "policy_reorder"));

        // Rows arrive in time order, devices interleaved: no chunk is stored in (DeviceId, Time) order yet.
        await Db.ExecuteAsync($"""INSERT INTO "{table}" ("Time", "DeviceId", "Recorded", "Value") SELECT now() - interval '30 days' + i * interval '1 hour', i % 3, now(), i FROM generate_series(0, 30 * 24 - 1) i""");
        var chunks = await Db.ColumnAsync<string>($"SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks WHERE hypertable_name = '{table}' ORDER BY range_start");
        Assert.True(chunks.Count >= 4);
        Assert.Empty(await ClusteredChunksAsync(chunks));
        Assert.Empty(await StoredInIndexOrderAsync(chunks));

        await RunByTheSchedulerAsync(job);

        // The policy reorders one chunk a run and asks for the next run at once while chunks remain, so the chunks are
        // read with the job paused again.
        await PauseAsync(job);
        var clustered = await ClusteredChunksAsync(chunks);
        Assert.NotEmpty(clustered);
        Assert.Equal(clustered, await StoredInIndexOrderAsync(chunks));
        Assert.Equal(30 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [NativeTimescaleFact("TimescaleDB background workers that run jobs by themselves")]
    public async Task Refresh_policy_materializes_the_aggregate_by_itself()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        await using var context = CaggModels.Context(Db.ConnectionString, CaggModels.Model("sch_metrics", "sch_metrics_hourly", c => c
            .WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromHours(1))
            .WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));
        var job = await PauseAsync(await Db.ScalarAsync<int>("""
            SELECT j.job_id
            FROM timescaledb_information.continuous_aggregates c
            JOIN _timescaledb_catalog.hypertable h ON h.schema_name = c.materialization_hypertable_schema AND h.table_name = c.materialization_hypertable_name
            JOIN timescaledb_information.jobs j ON j.proc_name = 'policy_refresh_continuous_aggregate' AND (j.config ->> 'mat_hypertable_id')::int = h.id
            WHERE c.view_name = 'sch_metrics_hourly'
            """));

        // Two days of rows ending three hours ago: all inside the policy's window (now - 3 days .. now - 1 hour).
        var now = DateTime.UtcNow;
        var rows = CaggModels.Rows(new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddDays(-2).AddHours(-3), hours: 48);
        await context.BulkInsertAsync(rows);
        Assert.Empty(await context.Set<HourlyMetric>().ToListAsync());

        await RunByTheSchedulerAsync(job);

        var expected = CaggModels.Expected(rows);
        var actual = await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).ThenBy(m => m.DeviceId).ToListAsync();
        Assert.Equal(48 * 3, expected.Count);
        Assert.Equal(expected.Select(e => (e.Bucket, e.DeviceId, Math.Round(e.AvgValue, 9), e.MaxValue)),
            actual.Select(a => (a.Bucket.ToUniversalTime(), a.DeviceId, Math.Round(a.AvgValue, 9), a.MaxValue)));
    }

    [NativeTimescaleFact("TimescaleDB background workers that run jobs by themselves")]
    public async Task A_user_job_runs_by_itself_with_its_config()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        await Db.ExecuteAsync("""
            CREATE TABLE sch_job_runs (job_id int, days int, at timestamptz DEFAULT now());
            CREATE PROCEDURE sch_rollup(job_id int, config jsonb) LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO sch_job_runs (job_id, days) VALUES (job_id, (config ->> 'days')::int);
            END $$;
            """);
        await using var context = ModelContext.Create(Db.ConnectionString, b => b.HasJob("sch_rollup", TimeSpan.FromHours(6)).WithConfig(new { days = 5 }).Paused());
        await MigrateAsync(null, context);
        var job = await Db.ScalarAsync<int>("SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'sch_rollup'");
        Assert.Equal(0, await Db.ScalarAsync<long>("SELECT count(*) FROM sch_job_runs"));

        await RunByTheSchedulerAsync(job);

        Assert.Equal(1, await Db.ScalarAsync<long>($"SELECT count(*) FROM sch_job_runs WHERE job_id = {job} AND days = 5"));
    }

    private async Task<int> PauseAsync(int job)
    {
        await Db.ExecuteAsync($"SELECT alter_job({job}, scheduled => false)");

        // A run the scheduler started before the pause must not overlap the test's own writes.
        await PollAsync(job, "the job to be idle", r => r.Status != "Running");
        return job;
    }

    /// <summary>Schedules the job to start now and waits until the scheduler has finished a run started after that.</summary>
    private async Task RunByTheSchedulerAsync(int job)
    {
        var asked = await Db.ScalarAsync<DateTime>($"SELECT clock_timestamp() FROM alter_job({job}, scheduled => true, next_start => now())");
        var run = await PollAsync(job, "a run after next_start was moved to now", r => r.LastStart >= asked && r.Status != "Running" && r.LastFinish >= r.LastStart);
        Assert.True(run.Result == "Success", $"Job {job} ran by itself but ended with '{run.Result}': {await LastErrorAsync(job)}");
    }

    private sealed record JobState(string? Status, string? Result, DateTime? LastStart, DateTime? LastFinish);

    private async Task<JobState> PollAsync(int job, string what, Func<JobState, bool> done)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        JobState state;
        do
        {
            await using var connection = await Db.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT job_status, last_run_status, last_run_started_at, last_run_duration IS NULL, last_run_started_at + last_run_duration FROM timescaledb_information.job_stats WHERE job_id = {job}";
            await using (var reader = await command.ExecuteReaderAsync())
            {
                state = await reader.ReadAsync()
                    ? new JobState(
                        reader.IsDBNull(0) ? null : reader.GetString(0),
                        reader.IsDBNull(1) ? null : reader.GetString(1),
                        reader.IsDBNull(2) ? null : reader.GetDateTime(2),
                        reader.IsDBNull(4) ? null : reader.GetDateTime(4))
                    : new JobState(null, null, null, null);
            }

            if (done(state))
            {
                return state;
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Job {job}: no {what} within {RunTimeout.TotalSeconds:0} s (last state {state}). Does the server run TimescaleDB background workers?");
    }

    private async Task<string> LastErrorAsync(int job)
        => string.Join("; ", await Db.ColumnAsync<string>($"SELECT coalesce(err_message, '') FROM timescaledb_information.job_errors WHERE job_id = {job} ORDER BY start_time DESC LIMIT 3"));

    private async Task<List<string>> ClusteredChunksAsync(IEnumerable<string> chunks)
    {
        var clustered = new List<string>();
        foreach (var chunk in chunks)
        {
            if (await Db.ScalarAsync<bool>($"SELECT EXISTS (SELECT FROM pg_index WHERE indrelid = '{chunk}'::regclass AND indisclustered)"))
            {
                clustered.Add(chunk);
            }
        }

        return clustered;
    }

    /// <summary>Chunks whose rows, read in physical (ctid) order, come sorted by (DeviceId, Time).</summary>
    private async Task<List<string>> StoredInIndexOrderAsync(IEnumerable<string> chunks)
    {
        var ordered = new List<string>();
        foreach (var chunk in chunks)
        {
            var outOfOrder = await Db.ScalarAsync<long>($"""
                SELECT count(*) FROM (
                    SELECT "DeviceId", "Time", lag("DeviceId") OVER w AS prev_device, lag("Time") OVER w AS prev_time
                    FROM {chunk} WINDOW w AS (ORDER BY ctid)) s
                WHERE (prev_device, prev_time) > ("DeviceId", "Time")
                """);
            if (outOfOrder == 0)
            {
                ordered.Add(chunk);
            }
        }

        return ordered;
    }
}
