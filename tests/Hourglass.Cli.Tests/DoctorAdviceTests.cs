using System.Text.Json;
using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// Every advice doctor prints, followed as written, clears its warning: the `hourglass ...` commands each warning names
/// are run as printed, and doctor then passes that check. Afterwards the CI line of docs/cli.md exits 0.
/// </summary>
public sealed partial class DoctorAdviceTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Each_warning_clears_when_its_advice_is_followed()
    {
        var db = fixture.Database;
        var server = await db.Server.GetCapabilitiesAsync();
        await db.ExecuteAsync("""
            CREATE TABLE adv_metrics (time timestamptz NOT NULL, device_id int NOT NULL, value float8);
            SELECT create_hypertable('adv_metrics', by_range('time', INTERVAL '1 day'));
            ALTER TABLE adv_metrics SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device_id', timescaledb.orderby = 'time');
            INSERT INTO adv_metrics SELECT t, d, d FROM generate_series(now() - INTERVAL '5 days', now() - INTERVAL '2 hours', INTERVAL '30 minutes') t, generate_series(1, 3) d;
            CREATE PROCEDURE adv_noop(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$;
            """);
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW adv_hourly WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value FROM adv_metrics GROUP BY 1, 2 WITH NO DATA");
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW adv_daily WITH (timescaledb.continuous) AS SELECT time_bucket('1 day', time) AS bucket, avg(value) AS avg_value FROM adv_metrics GROUP BY 1 WITH NO DATA");
        // A policy that first runs in an hour, so the scheduler of a native server does not refresh before doctor looks.
        var policy = await db.ScalarAsync<int>("SELECT add_continuous_aggregate_policy('adv_hourly', INTERVAL '30 days', INTERVAL '1 hour', INTERVAL '1 hour', initial_start => now() + INTERVAL '1 hour')");
        // Due an hour ago and never run: only where no scheduler starts it (the embedded engine) does it stay so.
        var job = await db.ScalarAsync<int>("SELECT add_job('adv_noop', INTERVAL '1 hour', initial_start => now() - INTERVAL '1 hour')");

        var before = await DoctorAsync(db);
        var warnings = before.Where(c => c.Value.Level == "warn").ToDictionary(c => c.Key, c => c.Value.Message);
        Assert.Contains("policies", warnings.Keys);
        Assert.Contains("aggregates", warnings.Keys);
        Assert.Contains($"{db.Schema}.adv_hourly: its refresh policy (job {policy})", warnings["aggregates"], StringComparison.Ordinal);
        Assert.Contains($"`hourglass jobs run {policy}`", warnings["aggregates"], StringComparison.Ordinal);
        Assert.Contains($"{db.Schema}.adv_daily has no refresh policy: refresh now with `hourglass refresh {db.Schema}.adv_daily`", warnings["aggregates"], StringComparison.Ordinal);
        Assert.DoesNotContain("add_continuous_aggregate_policy to", warnings["aggregates"], StringComparison.Ordinal);
        if (!server.Scheduler)
        {
            Assert.Contains($"{job} (", warnings["jobs"], StringComparison.Ordinal);
            Assert.Contains("never runs by itself on this server without background workers", warnings["aggregates"], StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("first runs at", warnings["aggregates"], StringComparison.Ordinal);
        }

        foreach (var (check, message) in warnings)
        {
            var commands = Advice().Matches(message).Select(m => m.Groups[1].Value).ToList();
            Assert.True(commands.Count > 0, $"{check}: no command to follow in \"{message}\"");

            // One of the alternatives is enough; the aggregates line offers two per aggregate: take the first of each.
            foreach (var command in check == "aggregates" ? commands.Where(c => c.StartsWith("hourglass refresh", StringComparison.Ordinal)) : commands)
            {
                var arguments = command.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Concat(["--connection", db.ConnectionString]).ToArray();
                var (exitCode, output) = await CliProcess.RunAsync(arguments);
                Assert.True(exitCode == 0, $"{check}: `{command}` exited with {exitCode}:\n{output}");
            }

            var after = await DoctorAsync(db);
            Assert.True(after[check].Level == "pass", $"{check} after following \"{message}\": {after[check].Level} \"{after[check].Message}\"");
        }

        // The CI line of docs/cli.md: exit 0 once the database is healthy, also on the embedded engine.
        var (ciExit, ciOutput) = await CliProcess.RunAsync(["doctor", "--ignore", Doctor.ServerChecks, "--schema", db.Schema, "--connection", db.ConnectionString]);
        Assert.True(ciExit == 0, ciOutput);
    }

    private static async Task<Dictionary<string, (string Level, string Message)>> DoctorAsync(TestDatabase db)
    {
        var (_, json, _) = await CliJson.RunAsync("doctor", "--json", "--schema", db.Schema, "--ignore", Doctor.ServerChecks, "--connection", db.ConnectionString);
        return json.GetProperty("checks").EnumerateArray().ToDictionary(
            c => c.GetProperty("id").GetString()!,
            c => (c.GetProperty("level").GetString()!, c.GetProperty("message").GetString()!));
    }

    [GeneratedRegex("`(hourglass [^`]+)`")]
    private static partial Regex Advice();
}
