using System.Text.Json;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Cli.Tests;

internal static class Doctor
{
    public static Dictionary<string, string> Levels(JsonElement json) =>
        json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("level").GetString()!);

    /// <summary>
    /// Checks about the server rather than the database: the embedded server has no background workers and no
    /// shared_preload_libraries entry, and its TimescaleDB is older than the newest release; those lines are
    /// truthful warnings there, so the database-health tests ignore them.
    /// </summary>
    public const string ServerChecks = "version,preload,workers";
}

/// <summary>A healthy database: recent data only, columnstore on, the aggregate refreshed, no jobs.</summary>
public sealed class DoctorHealthyTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Doctor_passes_a_healthy_database_with_exit_code_0()
    {
        var db = fixture.Database;
        await db.ExecuteAsync("""
            CREATE TABLE metrics (time timestamptz NOT NULL, value float8);
            SELECT create_hypertable('metrics', by_range('time', INTERVAL '7 days'));
            ALTER TABLE metrics SET (timescaledb.enable_columnstore, timescaledb.orderby = 'time');
            INSERT INTO metrics SELECT t, 1 FROM generate_series(now() - INTERVAL '1 hour', now(), INTERVAL '1 minute') t;
            """);
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW metrics_hourly WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', time) AS bucket, avg(value) FROM metrics GROUP BY 1 WITH NO DATA");
        await db.ExecuteAsync("CALL refresh_continuous_aggregate('metrics_hourly', NULL, NULL)");

        var (exitCode, json, output) = await CliJson.RunAsync("doctor", "--json", "--schema", db.Schema, "--ignore", Doctor.ServerChecks, "--connection", db.ConnectionString);

        Assert.True(exitCode == 0, output);
        Assert.Equal(0, json.GetProperty("exitCode").GetInt32());
        var levels = Doctor.Levels(json);
        Assert.Equal("pass", levels["extension"]);
        Assert.Equal("pass", levels["license"]);
        Assert.Equal("pass", levels["jobs"]);
        Assert.Equal("pass", levels["policies"]);
        Assert.Equal("pass", levels["chunk-size"]);
        Assert.Equal("pass", levels["aggregates"]);
        Assert.Equal("skip", levels["workers"]);
    }

    [Fact]
    public async Task Doctor_reports_the_missing_background_workers_of_the_embedded_server_as_a_warning()
    {
        var (exitCode, output) = await CliProcess.RunAsync(["doctor", "--schema", fixture.Database.Schema, "--connection", fixture.Database.ConnectionString]);

        if (TestServers.UsingExternalTimescale)
        {
            // A real server has workers; whatever its version, nothing in this empty-ish schema fails.
            Assert.True(exitCode is 0 or 1, output);
            return;
        }

        Assert.True(exitCode == 1, output);
        Assert.Contains("warn  workers", output, StringComparison.Ordinal);
        Assert.Contains("no TimescaleDB background workers", output, StringComparison.Ordinal);
        Assert.Contains("warn  preload", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("Exit code 1.", output, StringComparison.Ordinal);
    }
}

/// <summary>A database whose custom job fails, plus an unmanaged hypertable and a never-refreshed aggregate.</summary>
public sealed class DoctorFailingJobTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Doctor_fails_with_exit_code_2_on_a_failing_job()
    {
        var db = fixture.Database;
        await db.ExecuteAsync("CREATE PROCEDURE broken_job(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the broken job broke'; END $$");
        var jobId = await db.ScalarAsync<int>("SELECT add_job('broken_job', INTERVAL '1 hour')");

        var ex = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.ExecuteAsync($"CALL run_job({jobId})"));
        Assert.Contains("the broken job broke", ex.MessageText, StringComparison.Ordinal);

        // CALL run_job runs the job in the foreground and, unlike the background scheduler, records no job
        // statistics (the embedded server has no scheduler at all). Record the failed run the way the
        // scheduler does, in its own catalog table, so the doctor reads a genuinely failed job.
        await db.ExecuteAsync($"""
            UPDATE _timescaledb_internal.bgw_job_stat
            SET last_start = now() - INTERVAL '1 minute', last_finish = now(), last_run_success = false,
                total_runs = total_runs + 1, total_failures = total_failures + 1, consecutive_failures = consecutive_failures + 1
            WHERE job_id = {jobId}
            """);

        var (exitCode, json, output) = await CliJson.RunAsync("doctor", "--json", "--schema", db.Schema, "--ignore", Doctor.ServerChecks, "--connection", db.ConnectionString);

        Assert.True(exitCode == 2, output);
        var jobs = json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "jobs");
        Assert.Equal("fail", jobs.GetProperty("level").GetString());
        Assert.Contains($"job {jobId}", jobs.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("broken_job", jobs.GetProperty("message").GetString(), StringComparison.Ordinal);

        var (textExit, text) = await CliProcess.RunAsync(["doctor", "--schema", db.Schema, "--connection", db.ConnectionString]);
        Assert.Equal(2, textExit);
        Assert.Contains("FAIL  jobs", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_warns_about_unmanaged_old_chunks_and_never_refreshed_aggregates()
    {
        await using var db = await (await TestServers.Timescale).CreateDatabaseAsync("doctorwarn");
        await db.ExecuteAsync("""
            CREATE TABLE old_metrics (time timestamptz NOT NULL, value float8);
            SELECT create_hypertable('old_metrics', by_range('time', INTERVAL '1 day'));
            INSERT INTO old_metrics SELECT t, 1 FROM generate_series(now() - INTERVAL '10 days', now(), INTERVAL '1 hour') t;
            """);
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW old_daily WITH (timescaledb.continuous) AS SELECT time_bucket('1 day', time) AS bucket, max(value) FROM old_metrics GROUP BY 1 WITH NO DATA");

        var (exitCode, json, output) = await CliJson.RunAsync("doctor", "--json", "--schema", db.Schema, "--ignore", Doctor.ServerChecks, "--connection", db.ConnectionString);

        Assert.True(exitCode == 1, output);
        var levels = Doctor.Levels(json);
        Assert.Equal("warn", levels["policies"]);
        Assert.Equal("warn", levels["aggregates"]);
        Assert.Equal("pass", levels["jobs"]);
        Assert.Contains("old_metrics", output, StringComparison.Ordinal);
        Assert.Contains("old_daily", output, StringComparison.Ordinal);
    }
}

/// <summary>No TimescaleDB in the database: not on the server at all (PostgreSQL 15), or installable but not created.</summary>
public sealed class DoctorWithoutTimescaleTests
{
    [Theory]
    [MemberData(nameof(WithoutTimescale.Cases), MemberType = typeof(WithoutTimescale))]
    public async Task Doctor_fails_with_exit_code_2_when_the_extension_is_missing_and_says_whether_it_is_installable(string withoutTimescale)
    {
        await using var database = await WithoutTimescale.CreateDatabaseAsync(withoutTimescale, "doctor");
        var (exitCode, output) = await CliProcess.RunAsync(["doctor", "--connection", database.ConnectionString]);

        Assert.True(exitCode == 2, output);
        Assert.Contains("FAIL  extension", output, StringComparison.Ordinal);
        if (withoutTimescale == WithoutTimescale.NotAvailable)
        {
            Assert.Contains("not available on this server", output, StringComparison.Ordinal);
            Assert.Contains("install the timescaledb package", output, StringComparison.Ordinal);
        }
        else
        {
            var installable = await database.ScalarAsync<string>("SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'");
            Assert.Contains($"TimescaleDB {installable} is installable on this server but not created in database '{database.DatabaseName}'", output, StringComparison.Ordinal);
            Assert.Contains("CREATE EXTENSION timescaledb", output, StringComparison.Ordinal);
            Assert.DoesNotContain("not available", output, StringComparison.Ordinal);
        }
    }
}
