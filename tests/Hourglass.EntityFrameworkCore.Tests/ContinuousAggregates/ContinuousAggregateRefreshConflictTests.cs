using System.Diagnostics;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// RefreshContinuousAggregateAsync while the aggregate's refresh policy is refreshing an overlapping window. The conflict
/// is provoked on purpose and deterministically: TimescaleDB 2.27+ registers a refresh's window (committed, with the
/// backend's pid) in <c>_timescaledb_catalog.continuous_aggs_jobs_refresh_ranges</c> before it materializes, and refuses a
/// second refresh whose window overlaps a live registration with 55P03. The policy job runs in a second session and is
/// held right after it registered: a third session holds a row lock on the aggregate's catalog row, which the refresh
/// takes (FOR UPDATE) only after registering.
/// </summary>
public class ContinuousAggregateRefreshConflictTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private TestDatabase Db => fixture.Database;

    /// <summary>A run of the refresh policy job held after it registered its window; every wait bounded, nothing left running.</summary>
    private sealed class HeldPolicyRefresh : IAsyncDisposable
    {
        private readonly TestDatabase _db;
        private readonly string _connectionString;
        private readonly int _jobId;
        private readonly int _matId;
        private readonly NpgsqlConnection _holder;
        private readonly NpgsqlConnection _policy;
        private NpgsqlTransaction? _lock;
        private NpgsqlCommand? _command;
        private Task _run = Task.CompletedTask;
        private int _pid;

        private HeldPolicyRefresh(TestDatabase db, int jobId, int matId)
        {
            _db = db;
            _jobId = jobId;
            _matId = matId;

            // Sessions of their own, never pooled: a session that had to be cancelled or terminated must not be reused.
            _connectionString = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = false }.ConnectionString;
            _holder = new NpgsqlConnection(_connectionString);
            _policy = new NpgsqlConnection(_connectionString);
        }

        /// <summary>The window the held policy run registered as being refreshed.</summary>
        public (DateTime From, DateTime To) Window { get; private set; }

        /// <summary>Holds the aggregate's catalog row, starts the policy job in another session and waits until it registered its window and waits for that row.</summary>
        public static async Task<HeldPolicyRefresh> StartAsync(TestDatabase db, int jobId)
        {
            var version = (await db.Server.GetCapabilitiesAsync()).TimescaleVersion ?? "none";
            if (Version.Parse(version.Split('-')[0]) < new Version(2, 27))
            {
                throw new InvalidOperationException(
                    $"TimescaleDB {version} has no refresh registration: before 2.27 a refresh overlapping a running one waits on its locks instead of "
                    + "being refused with 55P03, so there is no conflict to provoke. Run this test against TimescaleDB 2.27 or later.");
            }

            var matId = await db.ScalarAsync<int>($"SELECT (config ->> 'mat_hypertable_id')::int FROM timescaledb_information.jobs WHERE job_id = {jobId}");
            var held = new HeldPolicyRefresh(db, jobId, matId);
            try
            {
                await held._holder.OpenAsync();
                await held._policy.OpenAsync();
                held._pid = held._policy.ProcessID;
                await using (var bound = new NpgsqlCommand("SET lock_timeout = '3min'", held._policy))
                {
                    // The server ends the held job by itself should this process vanish.
                    await bound.ExecuteNonQueryAsync();
                }

                var deadline = Stopwatch.StartNew();
                while (true)
                {
                    await held.QuietAsync(deadline);
                    await held.HoldRowAsync();
                    held._command = new NpgsqlCommand($"CALL run_job({jobId})", held._policy) { CommandTimeout = 240 };
                    held._run = held._command.ExecuteNonQueryAsync();
                    if (await held.WaitUntilHeldAsync(deadline))
                    {
                        return held;
                    }

                    // A run the scheduler began before the test paused the job holds an overlapping window (it may even
                    // wait for the held row itself): let go, wait until it ended, try again.
                    await held.LetGoAsync();
                }
            }
            catch
            {
                await held.DisposeAsync();
                throw;
            }
        }

        /// <summary>Lets the held job go on and waits (bounded) until it finished; its own error, if any, is thrown.</summary>
        public async Task ReleaseAsync()
        {
            var held = _lock!;
            _lock = null;
            await held.RollbackAsync();
            await held.DisposeAsync();
            await _run.WaitAsync(Bound);
            await QuietAsync(Stopwatch.StartNew());
        }

        public async ValueTask DisposeAsync()
        {
            await IgnoreFailureAsync(LetGoAsync);
            await _holder.DisposeAsync();

            // Closing a connection whose command is still in flight can block for good: end the job first, by force if need be.
            if (!await FinishesWithinAsync(_run, Bound))
            {
                await SignalAsync("pg_cancel_backend");
                if (!await FinishesWithinAsync(_run, TimeSpan.FromSeconds(10)))
                {
                    await SignalAsync("pg_terminate_backend");
                    await FinishesWithinAsync(_run, TimeSpan.FromSeconds(10));
                }
            }

            if (_run.IsCompleted)
            {
                if (_command is not null)
                {
                    await _command.DisposeAsync();
                }

                await _policy.DisposeAsync();
            }
        }

        private async Task HoldRowAsync()
        {
            _lock = await _holder.BeginTransactionAsync();
            await using var lockRow = new NpgsqlCommand(
                $"""
                SET LOCAL idle_in_transaction_session_timeout = '3min';
                SELECT count(*) FROM (SELECT 1 FROM _timescaledb_catalog.continuous_agg WHERE mat_hypertable_id = {_matId} FOR NO KEY UPDATE) locked
                """,
                _holder,
                _lock);

            // NO KEY UPDATE, not UPDATE: the registration's foreign key check (KEY SHARE on this row) must pass, the refresh's FOR UPDATE must wait.
            Assert.Equal(1L, await lockRow.ExecuteScalarAsync());
        }

        // True once the run registered its window and waits for the held row; false if an overlapping refresh refused it.
        private async Task<bool> WaitUntilHeldAsync(Stopwatch deadline)
        {
            while (true)
            {
                var registered = await _db.ColumnAsync<string>(
                    $"""
                    SELECT extract(epoch FROM _timescaledb_functions.to_timestamp(r.start_range))::bigint || '|' || extract(epoch FROM _timescaledb_functions.to_timestamp(r.end_range))::bigint
                    FROM _timescaledb_catalog.continuous_aggs_jobs_refresh_ranges r
                    JOIN pg_stat_activity a ON a.pid = r.pid
                    WHERE r.materialization_id = {_matId} AND r.pid = {_pid} AND a.wait_event_type = 'Lock'
                    """);
                if (registered.Count == 1)
                {
                    var window = registered[0].Split('|').Select(s => DateTimeOffset.FromUnixTimeSeconds(long.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).UtcDateTime).ToArray();
                    Window = (window[0], window[1]);
                    return true;
                }

                if (_run.IsCompleted)
                {
                    if (_run.Exception?.GetBaseException() is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable } refused
                        && refused.MessageText.Contains("concurrent refresh", StringComparison.Ordinal))
                    {
                        return false;
                    }

                    Assert.Fail($"The policy job finished although the aggregate's catalog row was held: {_run.Exception?.GetBaseException().Message ?? "no error"}");
                }

                Assert.True(deadline.Elapsed < Bound, $"The policy job did not register its window and wait for the held row within {Bound.TotalSeconds} s.");
                await Task.Delay(50);
            }
        }

        private async Task LetGoAsync()
        {
            if (_lock is { } held)
            {
                _lock = null;
                await IgnoreFailureAsync(() => held.RollbackAsync());
                await held.DisposeAsync();
            }
        }

        private async Task SignalAsync(string function)
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT {function}({_pid})", connection);
            await command.ExecuteNonQueryAsync();
        }

        // The scheduler may have started the new policy before the test paused it: wait until no run of it is left.
        private async Task QuietAsync(Stopwatch deadline)
        {
            while (await _db.ScalarAsync<long>(
                $"""
                SELECT (SELECT count(*) FROM _timescaledb_catalog.continuous_aggs_jobs_refresh_ranges r
                        WHERE r.materialization_id = {_matId} AND EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = r.pid))
                     + (SELECT count(*) FROM timescaledb_information.job_stats WHERE job_id = {_jobId} AND job_status = 'Running')
                """) > 0)
            {
                Assert.True(deadline.Elapsed < Bound, $"A run of job {_jobId} other than the test's was still refreshing after {Bound.TotalSeconds} s.");
                await Task.Delay(100);
            }
        }

        private static async Task<bool> FinishesWithinAsync(Task task, TimeSpan timeout)
        {
            await IgnoreFailureAsync(() => task.WaitAsync(timeout));
            return task.IsCompleted;
        }

        private static async Task IgnoreFailureAsync(Func<Task> action)
        {
            try
            {
                await action();
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
            {
                // Cleanup only: the tests assert the outcomes they care about.
            }
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

        // The scheduler stays out of it: the test runs the policy job itself, at the moment it chooses. One batch: the
        // window the run registers is then the whole policy window, which holds the test's window (batched, it would
        // register the newest batch first, far from the test's rows).
        var jobId = await Db.ScalarAsync<int>($"""
            SELECT j.job_id
            FROM timescaledb_information.continuous_aggregates c
            JOIN _timescaledb_catalog.hypertable h ON h.schema_name = c.materialization_hypertable_schema AND h.table_name = c.materialization_hypertable_name
            JOIN timescaledb_information.jobs j ON j.proc_name = 'policy_refresh_continuous_aggregate' AND (j.config ->> 'mat_hypertable_id')::int = h.id
            WHERE c.view_schema = current_schema() AND c.view_name = '{view}'
            """);
        await Db.ExecuteAsync($$"""SELECT alter_job({{jobId}}, scheduled => false, config => config || '{"buckets_per_batch": 0}') FROM timescaledb_information.jobs WHERE job_id = {{jobId}}""");
        return (context, rows, jobId);
    }

    private static async Task AssertConflictAsync(TestDatabase db, HeldPolicyRefresh held, string view, DateTime from, DateTime to)
    {
        Assert.True(held.Window.From <= from && to <= held.Window.To, $"The policy registered [{held.Window.From:O}, {held.Window.To:O}), which does not hold [{from:O}, {to:O}).");

        // The conflict exists: a plain refresh of the window right now is refused by the server (bounded, should it wait instead).
        await using var connection = await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"CALL refresh_continuous_aggregate('{view}', '{from:yyyy-MM-dd HH:mm:ss}+00', '{to:yyyy-MM-dd HH:mm:ss}+00')",
            connection) { CommandTimeout = 10 };
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, refused.SqlState);
        Assert.Contains("concurrent refresh", refused.MessageText, StringComparison.Ordinal);
    }

    [NativeTimescaleFact("a second session running the refresh policy job while the test refreshes")]
    public async Task A_refresh_that_meets_a_running_policy_refresh_waits_for_it_and_then_materializes_its_window()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions | NativeNeeds.Superuser);
        var (context, rows, jobId) = await AggregateWithPolicyAsync("rc_wait", "rc_wait_hourly");
        await using var _ = context;
        var from = rows.Min(r => r.Time);
        var to = from.AddHours(5);

        Task refresh = Task.CompletedTask;
        var clock = new Stopwatch();
        await using (var held = await HeldPolicyRefresh.StartAsync(Db, jobId))
        {
            try
            {
                await AssertConflictAsync(Db, held, "rc_wait_hourly", from, to);
                clock.Start();
                refresh = context.RefreshContinuousAggregateAsync<HourlyMetric>(new DateTimeOffset(from), new DateTimeOffset(to));
                await Task.Delay(TimeSpan.FromSeconds(2));
                Assert.False(refresh.IsCompleted, refresh.Exception?.ToString() ?? "The refresh returned while the policy was still refreshing.");

                await held.ReleaseAsync();
                await refresh.WaitAsync(Bound);
            }
            finally
            {
                // The context must not be disposed with its refresh still in flight.
                await Task.WhenAny(refresh, Task.Delay(Bound));
            }
        }

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"returned after {clock.Elapsed}");
        var actual = await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).ThenBy(m => m.DeviceId).ToListAsync();
        var expected = CaggModels.Expected(rows);
        Assert.Equal(expected.Select(e => (e.Bucket, e.DeviceId, e.AvgValue, e.MaxValue)), actual.Select(a => (a.Bucket.ToUniversalTime(), a.DeviceId, a.AvgValue, a.MaxValue)));
    }

    [NativeTimescaleFact("a second session running the refresh policy job while the test refreshes")]
    public async Task A_policy_refresh_that_outlasts_the_command_timeout_is_reported_clearly_and_a_later_call_works()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions | NativeNeeds.Superuser);
        var (context, rows, jobId) = await AggregateWithPolicyAsync("rc_timeout", "rc_timeout_hourly");
        await using var _ = context;
        var from = rows.Min(r => r.Time);
        var to = from.AddHours(5);
        context.Database.SetCommandTimeout(TimeSpan.FromSeconds(2));

        await using (var held = await HeldPolicyRefresh.StartAsync(Db, jobId))
        {
            await AssertConflictAsync(Db, held, "rc_timeout_hourly", from, to);
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<TimeoutException>(() => context.RefreshContinuousAggregateAsync<HourlyMetric>(new DateTimeOffset(from), new DateTimeOffset(to)));

            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
            Assert.Contains("Continuous aggregate 'rc_timeout_hourly' (entity 'HourlyMetric') could not be refreshed", error.Message, StringComparison.Ordinal);
            Assert.Contains("refresh policy", error.Message, StringComparison.Ordinal);
            Assert.Contains("concurrent refresh", error.Message, StringComparison.Ordinal);
            Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
            Assert.Equal(PostgresErrorCodes.LockNotAvailable, Assert.IsType<PostgresException>(error.InnerException).SqlState);

            // The policy's run was only delayed: released, it finishes without error.
            await held.ReleaseAsync();
        }

        // Nothing was left behind: the same call now runs.
        await context.RefreshContinuousAggregateAsync<HourlyMetric>(new DateTimeOffset(from), new DateTimeOffset(to));
        Assert.Equal(CaggModels.Expected(rows).Count, await context.Set<HourlyMetric>().CountAsync());
    }
}
