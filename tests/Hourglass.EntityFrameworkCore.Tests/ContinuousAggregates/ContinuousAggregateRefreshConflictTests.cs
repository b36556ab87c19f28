using System.Diagnostics;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// RefreshContinuousAggregateAsync while the aggregate's refresh policy is refreshing an overlapping window. The conflict
/// is provoked on purpose: the policy job runs in a second session and is held mid-refresh (its window registered,
/// its materialization waiting for a lock a third session holds on the hypertable).
/// </summary>
public class ContinuousAggregateRefreshConflictTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private sealed class HeldPolicyRefresh : IAsyncDisposable
    {
        private readonly NpgsqlConnection _holder;
        private readonly NpgsqlTransaction _lock;
        private readonly NpgsqlConnection _policy;

        private HeldPolicyRefresh(NpgsqlConnection holder, NpgsqlTransaction held, NpgsqlConnection policy, Task run)
        {
            _holder = holder;
            _lock = held;
            _policy = policy;
            Run = run;
        }

        public Task Run { get; }

        /// <summary>Locks <paramref name="table"/>, starts the policy job in another session and waits until it is stuck behind the lock.</summary>
        public static async Task<HeldPolicyRefresh> StartAsync(TestDatabase db, string table, int jobId)
        {
            var holder = await db.OpenAsync();
            var held = await holder.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", holder, held))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            var policy = await db.OpenAsync();
            var pid = policy.ProcessID;
            var command = new NpgsqlCommand($"CALL run_job({jobId})", policy) { CommandTimeout = 300 };
            var run = command.ExecuteNonQueryAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await db.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND wait_event_type = 'Lock'") == 0)
            {
                Assert.False(run.IsCompleted, "The policy job finished although the hypertable was locked.");
                Assert.True(DateTime.UtcNow < deadline, "The policy job did not reach the locked hypertable within 60 s.");
                await Task.Delay(50);
            }

            return new HeldPolicyRefresh(holder, held, policy, run);
        }

        public async Task ReleaseAsync()
        {
            await _lock.CommitAsync();
            await Run;
        }

        public async ValueTask DisposeAsync()
        {
            await _lock.DisposeAsync();
            await _holder.DisposeAsync();
            // Closing a connection whose command is still in flight can wait forever: let the released job finish first.
            try
            {
                await Run.WaitAsync(TimeSpan.FromMinutes(2));
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The job's own outcome is asserted by the tests that care about it.
            }

            await _policy.DisposeAsync();
        }
    }

    private async Task<(ModelContext Context, List<Metric> Rows, int JobId)> AggregateWithPolicyAsync(string table, string view)
    {
        var context = CaggModels.Context(Db.ConnectionString, CaggModels.Model(table, view, c => c
            .WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromHours(12))
            .WithNoData()));
        await context.ApplyAsync(context.DiffFrom(null));
        var now = DateTime.UtcNow;
        var rows = CaggModels.Rows(new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc).AddDays(-2), hours: 5);
        context.Set<Metric>().AddRange(rows);
        await context.SaveChangesAsync();

        // The scheduler stays out of it: the test runs the policy job itself, at the moment it chooses.
        var jobId = await Db.ScalarAsync<int>($"""
            SELECT j.job_id
            FROM timescaledb_information.continuous_aggregates c
            JOIN _timescaledb_catalog.hypertable h ON h.schema_name = c.materialization_hypertable_schema AND h.table_name = c.materialization_hypertable_name
            JOIN timescaledb_information.jobs j ON j.proc_name = 'policy_refresh_continuous_aggregate' AND (j.config ->> 'mat_hypertable_id')::int = h.id
            WHERE c.view_schema = current_schema() AND c.view_name = '{view}'
            """);
        await Db.ExecuteAsync($"SELECT alter_job({jobId}, scheduled => false)");
        return (context, rows, jobId);
    }

    private static async Task AssertConflictAsync(TestDatabase db, string view, DateTime from, DateTime to)
    {
        // The conflict exists: a plain refresh of the window right now is refused by the server.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(
            $"CALL refresh_continuous_aggregate('{view}', '{from:yyyy-MM-dd HH:mm:ss}+00', '{to:yyyy-MM-dd HH:mm:ss}+00')"));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, refused.SqlState);
        Assert.Contains("concurrent refresh", refused.MessageText, StringComparison.Ordinal);
    }

    [Fact(Skip = "Known broken on a quiet native server (issue 9): the provoked conflict is not met as 55P03 and a run once hung the test host")]
    public async Task A_refresh_that_meets_a_running_policy_refresh_waits_for_it_and_then_materializes_its_window()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        var (context, rows, jobId) = await AggregateWithPolicyAsync("rc_wait", "rc_wait_hourly");
        await using var _ = context;
        var from = rows.Min(r => r.Time);
        var to = from.AddHours(5);

        await using var held = await HeldPolicyRefresh.StartAsync(Db, "rc_wait", jobId);
        await AssertConflictAsync(Db, "rc_wait_hourly", from, to);
        var clock = Stopwatch.StartNew();
        var refresh = context.RefreshContinuousAggregateAsync<HourlyMetric>(new DateTimeOffset(from), new DateTimeOffset(to));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(refresh.IsCompleted, refresh.Exception?.ToString() ?? "The refresh returned while the policy was still refreshing.");

        await held.ReleaseAsync();
        await refresh;

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"returned after {clock.Elapsed}");
        var actual = await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).ThenBy(m => m.DeviceId).ToListAsync();
        var expected = CaggModels.Expected(rows);
        Assert.Equal(expected.Select(e => (e.Bucket, e.DeviceId, e.AvgValue, e.MaxValue)), actual.Select(a => (a.Bucket.ToUniversalTime(), a.DeviceId, a.AvgValue, a.MaxValue)));
    }

    [Fact(Skip = "Known broken on a quiet native server (issue 9): the provoked conflict is not met as 55P03 and a run once hung the test host")]
    public async Task A_policy_refresh_that_outlasts_the_command_timeout_is_reported_clearly_and_a_later_call_works()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        var (context, rows, jobId) = await AggregateWithPolicyAsync("rc_timeout", "rc_timeout_hourly");
        await using var _ = context;
        var from = rows.Min(r => r.Time);
        var to = from.AddHours(5);
        context.Database.SetCommandTimeout(TimeSpan.FromSeconds(2));

        await using (var held = await HeldPolicyRefresh.StartAsync(Db, "rc_timeout", jobId))
        {
            await AssertConflictAsync(Db, "rc_timeout_hourly", from, to);
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<TimeoutException>(() => context.RefreshContinuousAggregateAsync<HourlyMetric>(new DateTimeOffset(from), new DateTimeOffset(to)));

            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
            Assert.Contains("Continuous aggregate 'rc_timeout_hourly' (entity 'HourlyMetric') could not be refreshed", error.Message, StringComparison.Ordinal);
            Assert.Contains("refresh policy", error.Message, StringComparison.Ordinal);
            Assert.Contains("concurrent refresh", error.Message, StringComparison.Ordinal);
            Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
            Assert.Equal(PostgresErrorCodes.LockNotAvailable, Assert.IsType<PostgresException>(error.InnerException).SqlState);
            await held.ReleaseAsync();
        }

        // Nothing was left behind: the same call now runs.
        await context.RefreshContinuousAggregateAsync<HourlyMetric>(new DateTimeOffset(from), new DateTimeOffset(to));
        Assert.Equal(CaggModels.Expected(rows).Count, await context.Set<HourlyMetric>().CountAsync());
    }
}
