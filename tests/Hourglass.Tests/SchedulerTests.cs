using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Tests;

/// <summary>
/// With a native TimescaleDB whose scheduler runs for the test database: a paused job is not started, a resumed one is,
/// and the errors of a job that fails under the scheduler are read back.
/// </summary>
public sealed class SchedulerTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>, IAsyncLifetime
{
    private readonly string _schema = $"hgsch{Guid.NewGuid():N}"[..14];
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        await ExecuteAsync($"CREATE SCHEMA {_schema}");
    }

    public async Task DisposeAsync()
    {
        await ExecuteAsync($"DELETE FROM _timescaledb_config.bgw_job WHERE proc_schema = '{_schema}'");
        await ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        await _dataSource.DisposeAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task RequireSchedulerAsync()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        Assert.True((await _dataSource.Timescale().GetServerAsync()).IsSchedulerRunning);
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return await condition();
    }

    [NativeTimescaleFact("background workers that run jobs by themselves")]
    public async Task A_paused_job_is_not_run_by_the_scheduler_and_a_resumed_one_is()
    {
        await RequireSchedulerAsync();

        await ExecuteAsync($"""
            CREATE TABLE {_schema}.ticks (at timestamptz NOT NULL DEFAULT clock_timestamp());
            CREATE PROCEDURE {_schema}.tick(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN INSERT INTO {_schema}.ticks DEFAULT VALUES; END $$;
            SELECT add_job('{_schema}.tick', interval '1 second');
            """);
        var client = _dataSource.Timescale();
        var ticks = $"SELECT count(*) FROM {_schema}.ticks";
        Assert.True(await EventuallyAsync(async () => await CountAsync(ticks) >= 2, TimeSpan.FromSeconds(60)), "the scheduler never ran the job");

        var paused = await client.PauseJobAsync(JobSelector.Named($"{_schema}.tick"));
        Assert.False(paused.Scheduled);
        await Task.Delay(TimeSpan.FromSeconds(2)); // a run that had started before the pause may still finish
        var atPause = await CountAsync(ticks);
        var runsAtPause = (await client.GetJobAsync(paused.Id)).TotalRuns;
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Equal(atPause, await CountAsync(ticks));
        Assert.Equal(runsAtPause, (await client.GetJobAsync(paused.Id)).TotalRuns);

        await client.ResumeJobAsync(paused.Id);
        Assert.True(await EventuallyAsync(async () => await CountAsync(ticks) > atPause, TimeSpan.FromSeconds(60)), "the resumed job did not run again");
    }

    [NativeTimescaleFact("background workers that run jobs by themselves")]
    public async Task Pausing_a_job_cancels_its_run_in_progress()
    {
        await RequireSchedulerAsync();

        // Each run records its start, then takes 30 s before it records its end.
        await ExecuteAsync($"""
            CREATE TABLE {_schema}.runs (started timestamptz NOT NULL, ended timestamptz);
            CREATE PROCEDURE {_schema}.slow(job_id int, config jsonb) LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {_schema}.runs (started) VALUES (clock_timestamp());
                COMMIT;
                PERFORM pg_sleep(30);
                UPDATE {_schema}.runs SET ended = clock_timestamp() WHERE ended IS NULL;
            END $$;
            SELECT add_job('{_schema}.slow', interval '1 hour');
            """);
        var client = _dataSource.Timescale();
        var job = JobSelector.Named($"{_schema}.slow");
        Assert.True(await EventuallyAsync(async () => await CountAsync($"SELECT count(*) FROM {_schema}.runs") == 1, TimeSpan.FromSeconds(60)), "the scheduler never started the job");
        Assert.True(await EventuallyAsync(async () => (await client.GetJobAsync(job)).JobStatus == "Running", TimeSpan.FromSeconds(10)), "the run never showed as running");

        var paused = await client.PauseJobAsync(job);

        Assert.False(paused.Scheduled);
        Assert.True(await EventuallyAsync(async () => (await client.GetJobAsync(job)).JobStatus != "Running", TimeSpan.FromSeconds(15)), "the run went on after the pause");
        Assert.Equal(0L, await CountAsync($"SELECT count(*) FROM {_schema}.runs WHERE ended IS NOT NULL"));
    }

    [NativeTimescaleFact("background workers that run jobs by themselves")]
    public async Task The_errors_of_a_job_failing_under_the_scheduler_are_read_back()
    {
        await RequireSchedulerAsync();

        await ExecuteAsync($"""
            CREATE PROCEDURE {_schema}.fail(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full in %', config->>'tag' USING ERRCODE = '53100'; END $$;
            SELECT add_job('{_schema}.fail', interval '1 hour', config => jsonb_build_object('tag', '{_schema}'));
            """);
        var client = _dataSource.Timescale();
        var job = JobSelector.Named($"{_schema}.fail");
        Assert.True(await EventuallyAsync(async () => (await client.GetJobErrorsAsync(job)).Count > 0, TimeSpan.FromSeconds(60)), "no error recorded");

        var error = (await client.GetJobErrorsAsync(job))[0];
        Assert.Equal($"disk full in {_schema}", error.Message);
        Assert.Equal("53100", error.SqlState);
        Assert.Equal("fail", error.ProcedureName);
        Assert.NotNull(error.StartedAt);
        Assert.True(await EventuallyAsync(async () => (await client.GetJobAsync(job)).IsFailing, TimeSpan.FromSeconds(10)));
        var failing = await client.GetJobAsync(job);
        Assert.True(failing.TotalFailures >= 1);
        Assert.Equal(failing.Id, error.JobId);
        Assert.Contains(error, await client.GetJobErrorsAsync());
    }
}
