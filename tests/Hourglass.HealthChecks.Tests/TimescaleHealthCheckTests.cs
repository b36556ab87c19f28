using Hourglass.HealthChecks;
using Hourglass.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Xunit;

namespace Hourglass.HealthChecks.Tests;

internal static class Health
{
    /// <summary>Runs the registered checks the way an application's health endpoint does.</summary>
    public static async Task<HealthReportEntry> CheckAsync(Action<IHealthChecksBuilder> register, Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection().AddLogging();
        services?.Invoke(collection);
        register(collection.AddHealthChecks());
        await using var provider = collection.BuildServiceProvider();
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["timescaledb"];
    }
}

public class TimescaleHealthCheckTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task A_reachable_timescaledb_is_healthy_and_reports_its_version_and_edition()
    {
        var version = await Db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        var license = await Db.ScalarAsync<string>("SELECT current_setting('timescaledb.license')");

        var entry = await Health.CheckAsync(h => h.AddTimescaleDb(Db.ConnectionString, o => o.ExpectScheduler = false));

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(version, entry.Data["timescaledb"]);
        Assert.Equal(license, entry.Data["license"]);
        Assert.Contains($"TimescaleDB {version}", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_data_source_registered_in_the_application_is_used()
    {
        var entry = await Health.CheckAsync(
            h => h.AddTimescaleDb(o => o.ExpectScheduler = false),
            s => s.AddSingleton(_ => NpgsqlDataSource.Create(Db.ConnectionString)));

        Assert.Equal(HealthStatus.Healthy, entry.Status);
    }

    [Fact]
    public async Task Without_a_data_source_the_check_says_how_to_register_one()
    {
        var entry = await Health.CheckAsync(h => h.AddTimescaleDb());

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("needs an NpgsqlDataSource service", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scheduled_jobs_without_a_scheduler_degrade_unless_jobs_are_run_by_hand()
    {
        const string Schedulers = "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type ILIKE '%TimescaleDB Background Worker Scheduler%' OR application_name ILIKE '%TimescaleDB Background Worker Scheduler%'";
        var schedulers = await Db.ScalarAsync<int>(Schedulers);
        var scheduled = await Db.ScalarAsync<int>("SELECT count(*)::int FROM timescaledb_information.jobs WHERE scheduled");
        var schedulerHere = await Db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND backend_type ILIKE '%TimescaleDB Background Worker Scheduler%')");

        var entry = await Health.CheckAsync(h => h.AddTimescaleDb(Db.ConnectionString));

        // The count is server-wide, and other test classes create and drop databases (each with its own scheduler)
        // meanwhile: exact only on a server without schedulers, else at least this database's one and at most a worker each.
        var reported = Assert.IsType<int>(entry.Data["schedulers"]);
        if (schedulers == 0 && await Db.ScalarAsync<int>(Schedulers) == 0)
        {
            Assert.Equal(0, reported);
        }
        else
        {
            Assert.InRange(reported, schedulerHere ? 1 : 0, await Db.ScalarAsync<int>("SELECT current_setting('max_worker_processes')::int"));
        }

        Assert.Equal(scheduled, entry.Data["scheduled_jobs"]);
        Assert.Equal(schedulerHere, entry.Data["scheduler_running"]);
        if (scheduled > 0 && !schedulerHere)
        {
            // The embedded TimescaleDB: no background workers at all.
            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Contains("no TimescaleDB scheduler is running", entry.Description, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("no TimescaleDB scheduler", entry.Description ?? "", StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_failing_job_degrades_the_check_and_is_named()
    {
        await Db.ExecuteAsync("CREATE PROCEDURE health_broken(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'broken'; END $$");
        var jobId = await Db.ScalarAsync<int>("SELECT add_job('health_broken', INTERVAL '1 hour', scheduled => false)");
        try
        {
            await Assert.ThrowsAsync<PostgresException>(() => Db.ExecuteAsync($"CALL run_job({jobId})"));

            // CALL run_job records no statistics (the scheduler does); record the failed run as the scheduler would.
            await Db.ExecuteAsync($"""
                UPDATE _timescaledb_internal.bgw_job_stat
                SET last_start = now() - INTERVAL '1 minute', last_finish = now(), last_run_success = false,
                    total_runs = total_runs + 1, total_failures = total_failures + 1, consecutive_failures = consecutive_failures + 1
                WHERE job_id = {jobId}
                """);

            var entry = await Health.CheckAsync(h => h.AddTimescaleDb(Db.ConnectionString, o => o.ExpectScheduler = false));
            var ignored = await Health.CheckAsync(h => h.AddTimescaleDb(Db.ConnectionString, o => { o.ExpectScheduler = false; o.FailingJobsDegrade = false; }));

            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Contains($"job {jobId} ({Db.Schema}.health_broken) failed 1 time(s)", entry.Description, StringComparison.Ordinal);
            Assert.Equal(HealthStatus.Healthy, ignored.Status);
        }
        finally
        {
            await Db.ExecuteAsync($"SELECT delete_job({jobId})");
        }
    }
}

public class PlainPostgresHealthCheckTests
{
    [Theory]
    [MemberData(nameof(WithoutTimescale.Cases), MemberType = typeof(WithoutTimescale))]
    public async Task Plain_postgresql_is_unhealthy_unless_allowed(string withoutTimescale)
    {
        await using var database = await WithoutTimescale.CreateDatabaseAsync(withoutTimescale, "health");
        var required = await Health.CheckAsync(h => h.AddTimescaleDb(database.ConnectionString));
        var allowed = await Health.CheckAsync(h => h.AddTimescaleDb(database.ConnectionString, o => o.RequireTimescale = false));
        var degraded = await Health.CheckAsync(h => h.AddTimescaleDb(database.ConnectionString, failureStatus: HealthStatus.Degraded));

        Assert.Equal(HealthStatus.Unhealthy, required.Status);
        Assert.Contains("timescaledb extension is not installed", required.Description, StringComparison.Ordinal);
        Assert.Equal(await database.ScalarAsync<string>("SELECT current_setting('server_version')"), required.Data["postgresql"]);

        Assert.Equal(HealthStatus.Healthy, allowed.Status);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
    }

    [Fact]
    public async Task An_unreachable_server_is_unhealthy_with_the_cause()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var entry = await Health.CheckAsync(h => h.AddTimescaleDb($"Host=127.0.0.1;Port={port};Username=postgres;Timeout=3"));

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("TimescaleDB cannot be reached", entry.Description, StringComparison.Ordinal);
        Assert.NotNull(entry.Exception);
    }
}

/// <summary>On a native TimescaleDB started with timescaledb.license = 'apache' (the Apache-licensed edition).</summary>
public class ApacheEditionHealthCheckTests
{
    [ApacheEditionFact("a second native TimescaleDB started with timescaledb.license=apache (HOURGLASS_TIMESCALEDB_HOME)")]
    public async Task The_apache_edition_is_healthy_and_reported_and_its_license_failing_job_does_not_degrade_it()
    {
        await using var db = await (await TestServers.RequireNativeApacheAsync()).CreateDatabaseAsync("apachehealth");
        await db.ExecuteAsync("CREATE TABLE metrics (time timestamptz NOT NULL, v float8); SELECT create_hypertable('metrics', by_range('time'));");

        // TimescaleDB's own job-history retention job is community-licensed: the scheduler runs it once it starts and it fails.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await db.ScalarAsync<bool>("SELECT EXISTS (SELECT FROM timescaledb_information.job_stats s JOIN timescaledb_information.jobs j USING (job_id) WHERE j.proc_name = 'policy_job_stat_history_retention' AND s.last_run_status = 'Failed')"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The job-history retention job did not run (and fail) within 60 s of CREATE EXTENSION on the Apache edition.");
            await Task.Delay(250);
        }

        var entry = await Health.CheckAsync(h => h.AddTimescaleDb(db.ConnectionString));

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("apache", entry.Data["license"]);
        Assert.Equal("Apache", entry.Data["edition"]);
        Assert.True((bool)entry.Data["scheduler_running"]);
        Assert.False(entry.Data.ContainsKey("failing_jobs"));
        Assert.Contains("(apache)", entry.Description, StringComparison.Ordinal);
    }
}

/// <summary>
/// TimescaleDB's telemetry job failing (a server without internet, or a build without SSL) never degrades the health
/// check: the database is fine. The check stays Healthy and says how to turn telemetry off.
/// </summary>
public class TelemetryHealthCheckTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [NativeTimescaleFact("TimescaleDB's telemetry job as the server's scheduler keeps it (its default telemetry setting)")]
    public async Task A_failing_telemetry_job_never_degrades_the_check()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        var db = fixture.Database;
        await using var connection = await db.OpenAsync();
        var telemetry = (await connection.Timescale().GetJobsAsync()).Single(j => j.Kind == JobKind.Telemetry);
        try
        {
            await using var run = new NpgsqlCommand($"CALL run_job({telemetry.Id})", connection);
            await run.ExecuteNonQueryAsync();
        }
        catch (PostgresException)
        {
            // Without SSL or network the run raises (2.29 built without OpenSSL) or only records the failure (2.28).
        }

        var telemetryOn = await db.ScalarAsync<string>("SELECT current_setting('timescaledb.telemetry_level')") != "off";

        // The scheduler may run the telemetry job at any moment, so the job's state is read on both sides of the check
        // and the check is judged against a state that held throughout it.
        bool failed;
        HealthReportEntry entry;
        var attempts = 0;
        do
        {
            failed = (await SettledAsync(connection, telemetry.Id)).IsFailing;
            entry = await Health.CheckAsync(h => h.AddTimescaleDb(db.ConnectionString));
        }
        while ((await SettledAsync(connection, telemetry.Id)).IsFailing != failed && ++attempts < 10);

        Assert.True(entry.Status == HealthStatus.Healthy, entry.Description);
        Assert.False(entry.Data.ContainsKey("failing_jobs"), entry.Description);
        if (failed && telemetryOn)
        {
            Assert.Contains($"telemetry job (job {telemetry.Id})", entry.Description, StringComparison.Ordinal);
            Assert.Contains("ALTER SYSTEM SET timescaledb.telemetry_level = off", entry.Description, StringComparison.Ordinal);
            var description = entry.Description!;
            Assert.Equal(description[description.IndexOf("Note:", StringComparison.Ordinal)..], entry.Data["telemetry"]);
        }
        else
        {
            Assert.DoesNotContain("telemetry", entry.Description, StringComparison.Ordinal);
        }
    }

    /// <summary>The job once its run (by hand, or the scheduler's first one) has been recorded and is over.</summary>
    private static async Task<Job> SettledAsync(NpgsqlConnection connection, int jobId)
    {
        for (var attempt = 0; ; attempt++)
        {
            var job = await connection.Timescale().GetJobAsync(jobId);
            if ((job.LastRunStartedAt is not null && job.JobStatus != "Running") || attempt == 120)
            {
                return job;
            }

            await Task.Delay(500);
        }
    }
}
