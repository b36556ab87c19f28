using Hourglass.Testing;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>`hourglass info` and `hourglass doctor` on a native TimescaleDB started with timescaledb.license = 'apache'.</summary>
public sealed class ApacheEditionCliTests
{
    private const string Why = "a second native TimescaleDB started with timescaledb.license=apache (HOURGLASS_TIMESCALEDB_HOME)";

    private static async Task<TestDatabase> DatabaseAsync(string hint)
    {
        var db = await (await TestServers.RequireNativeApacheAsync()).CreateDatabaseAsync(hint);
        await db.ExecuteAsync("""
            CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
            INSERT INTO readings SELECT now() - i * INTERVAL '6 hours', i % 3, i FROM generate_series(0, 19) i;
            """);

        // TimescaleDB's own job-history retention job runs as soon as the database's scheduler starts, and fails here.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await db.ScalarAsync<bool>("SELECT EXISTS (SELECT FROM timescaledb_information.job_stats s JOIN timescaledb_information.jobs j USING (job_id) WHERE j.proc_name = 'policy_job_stat_history_retention' AND s.last_run_status = 'Failed')"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The job-history retention job did not run (and fail) within 60 s of CREATE EXTENSION on the Apache edition.");
            await Task.Delay(250);
        }

        return db;
    }

    [ApacheEditionFact(Why)]
    public async Task Chunks_move_to_says_the_apache_edition_lacks_move_chunk()
    {
        await using var db = await DatabaseAsync("apachemove");

        // pg_default exists and the chunks are already there: the edition is what stops it, not the tablespace.
        var (exitCode, output) = await CliProcess.RunAsync(["chunks", "readings", "--move-to", "pg_default", "--older-than", "1h", "--yes", "--connection", db.ConnectionString]);

        Assert.Equal(2, exitCode);
        Assert.Contains("move_chunk is a community-licensed function", output, StringComparison.Ordinal);
        Assert.Contains("timescaledb.license = 'timescale'", output, StringComparison.Ordinal);
    }

    [ApacheEditionFact(Why)]
    public async Task Info_shows_the_apache_license_and_the_hypertable()
    {
        await using var db = await DatabaseAsync("apacheinfo");
        var chunks = await db.ScalarAsync<int>("SELECT count(*)::int FROM timescaledb_information.chunks WHERE hypertable_name = 'readings'");

        var (exitCode, json, output) = await CliJson.RunAsync("info", "--json", "--connection", db.ConnectionString);

        Assert.True(exitCode == 0, output);
        var timescale = json.GetProperty("timescaledb");
        Assert.True(timescale.GetProperty("installed").GetBoolean());
        Assert.Equal("apache", timescale.GetProperty("license").GetString());
        Assert.Equal(["readings"], json.GetProperty("hypertables").Names());
        var readings = json.GetProperty("hypertables").EnumerateArray().Single();
        Assert.Equal(chunks, readings.GetProperty("chunks").GetInt32());
        Assert.Empty(json.GetProperty("continuousAggregates").EnumerateArray());

        var (textExit, text) = await CliProcess.RunAsync(["info", "--connection", db.ConnectionString]);
        Assert.True(textExit == 0, text);
        Assert.Contains("license apache", text, StringComparison.Ordinal);
        Assert.Contains("readings", text, StringComparison.Ordinal);
    }

    [ApacheEditionFact(Why)]
    public async Task Doctor_warns_about_the_license_and_does_not_fail_on_the_job_the_license_cannot_run()
    {
        await using var db = await DatabaseAsync("apachedoctor");

        var (exitCode, json, output) = await CliJson.RunAsync("doctor", "--json", "--connection", db.ConnectionString);

        var checks = json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => (Level: c.GetProperty("level").GetString()!, Message: c.GetProperty("message").GetString()!));
        Assert.Equal("warn", checks["license"].Level);
        Assert.Contains("License 'apache'", checks["license"].Message, StringComparison.Ordinal);

        // The job-history retention job fails at every run under this license: named, not a failure to fix.
        // The telemetry job (TimescaleDB's default telemetry) may fail too on a server without internet: at most a warning, saying so.
        Assert.True(checks["jobs"].Level == "pass" || (checks["jobs"].Level == "warn" && checks["jobs"].Message.Contains("TimescaleDB's telemetry job", StringComparison.Ordinal)), checks["jobs"].Message);
        Assert.DoesNotContain("Failing jobs", checks["jobs"].Message, StringComparison.Ordinal);
        Assert.Contains("which the 'apache' license cannot run", checks["jobs"].Message, StringComparison.Ordinal);

        // Chunks older than a day and no policy: the advice fits the edition (no columnstore or retention policy here).
        Assert.Equal("warn", checks["policies"].Level);
        Assert.Contains("public.readings", checks["policies"].Message, StringComparison.Ordinal);
        Assert.Contains("no columnstore or policies", checks["policies"].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("add_retention_policy (or compress", checks["policies"].Message, StringComparison.Ordinal);

        Assert.DoesNotContain(checks.Values, c => c.Level == "fail");
        Assert.True(exitCode == 1, output);
        Assert.Equal(1, json.GetProperty("exitCode").GetInt32());
    }
}
