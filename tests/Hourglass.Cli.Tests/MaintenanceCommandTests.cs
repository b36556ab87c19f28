using System.Text.Json;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>`hourglass chunks`, `jobs` and `refresh`: output, effects (checked with SQL), exit codes, confirmation, no passwords.</summary>
public sealed class MaintenanceCommandTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    /// <summary>A connection string with a password the server ignores (trust), to prove it is never printed.</summary>
    private string Connection => new NpgsqlConnectionStringBuilder(Db.ConnectionString) { Password = "hunter2-not-for-logs" }.ConnectionString;

    private async Task<string> TableAsync(string name)
    {
        await Db.ExecuteAsync($"""
            CREATE TABLE {name} (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('{name}', by_range('time', INTERVAL '1 day'));
            INSERT INTO {name} SELECT date_trunc('day', now()) - d * INTERVAL '1 day' + i * INTERVAL '10 minutes', dev, i
              FROM generate_series(0, 4) d, generate_series(0, 143) i, generate_series(1, 3) dev;
            ALTER TABLE {name} SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device', timescaledb.orderby = 'time');
            """);
        return $"{Db.Schema}.{name}";
    }

    private Task<long> CompressedAsync(string name) =>
        Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = '{name}' AND is_compressed");

    [Fact]
    public async Task Chunks_lists_compresses_with_dry_run_first_and_decompresses()
    {
        var table = await TableAsync("cli_chunks");
        var (listExit, list, listOutput) = await CliJson.RunAsync("chunks", table, "--json", "--connection", Connection);
        Assert.True(listExit == 0, listOutput);
        Assert.Equal(await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')"), list.GetProperty("chunks").GetArrayLength());
        Assert.All(list.GetProperty("chunks").EnumerateArray(), c => Assert.True(c.GetProperty("totalBytes").GetInt64() > 0));

        var older = await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}', older_than => INTERVAL '1 day')");
        var (dryExit, dry, dryOutput) = await CliJson.RunAsync("chunks", table, "--compress", "--older-than", "1d", "--dry-run", "--json", "--connection", Connection);
        Assert.True(dryExit == 0, dryOutput);
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        Assert.Equal(older, dry.GetProperty("chunks").GetArrayLength());
        Assert.Equal(0, await CompressedAsync("cli_chunks"));

        var (exit, output) = await CliProcess.RunAsync(["chunks", table, "--compress", "--older-than", "1d", "--connection", Connection]);
        Assert.True(exit == 0, output);
        Assert.Contains($"converted {older} chunk(s)", output, StringComparison.Ordinal);
        Assert.Contains("x smaller", output, StringComparison.Ordinal);
        Assert.Equal(older, await CompressedAsync("cli_chunks"));
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);

        var (textExit, text) = await CliProcess.RunAsync(["chunks", table, "--connection", Connection]);
        Assert.Equal(0, textExit);
        Assert.Contains($"Chunks of {table}", text, StringComparison.Ordinal);
        Assert.Contains("rowstore", text, StringComparison.Ordinal);

        var (backExit, back, backOutput) = await CliJson.RunAsync("chunks", table, "--decompress", "--json", "--connection", Connection);
        Assert.True(backExit == 0, backOutput);
        Assert.Equal(older, back.GetProperty("done").GetArrayLength());
        Assert.Equal(0, await CompressedAsync("cli_chunks"));

        var (bothExit, both) = await CliProcess.RunAsync(["chunks", table, "--compress", "--drop", "--connection", Connection]);
        Assert.Equal(2, bothExit);
        Assert.Contains("Choose one of", both, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunks_drop_needs_a_bound_and_confirmation()
    {
        var table = await TableAsync("cli_drop");
        var before = await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')");
        var expired = await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}', older_than => INTERVAL '2 days')");

        var (noBound, noBoundOutput) = await CliProcess.RunAsync(["chunks", table, "--drop", "--yes", "--connection", Connection]);
        Assert.Equal(2, noBound);
        Assert.Contains("never drops every chunk", noBoundOutput, StringComparison.Ordinal);

        var (unconfirmed, unconfirmedOutput) = await CliProcess.RunAsync(["chunks", table, "--drop", "--older-than", "2d", "--connection", Connection]);
        Assert.Equal(2, unconfirmed);
        Assert.Contains("--yes", unconfirmedOutput, StringComparison.Ordinal);
        Assert.Equal(before, await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')"));

        var (dryExit, dryOutput) = await CliProcess.RunAsync(["chunks", table, "--drop", "--older-than", "2d", "--dry-run", "--connection", Connection]);
        Assert.Equal(0, dryExit);
        Assert.Contains($"would drop {expired} chunk(s)", dryOutput, StringComparison.Ordinal);
        Assert.Equal(before, await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')"));

        var (exit, json, output) = await CliJson.RunAsync("chunks", table, "--drop", "--older-than", "2d", "--yes", "--json", "--connection", Connection);
        Assert.True(exit == 0, output);
        Assert.Equal(expired, json.GetProperty("done").GetArrayLength());
        Assert.Equal(before - expired, await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')"));
        Assert.True(await Db.ScalarAsync<bool>($"SELECT min(time) >= date_trunc('day', now()) - INTERVAL '2 days' FROM {table}"));
    }

    [Fact]
    public async Task Jobs_list_pause_resume_run_errors_and_delete_by_table_and_kind()
    {
        var table = await TableAsync("cli_jobs");
        var jobId = await Db.ScalarAsync<int>($"SELECT add_retention_policy('{table}', INTERVAL '3 days')");
        string Scheduled() => $"SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = {jobId}";

        var (listExit, list, listOutput) = await CliJson.RunAsync("jobs", "--json", "--schema", Db.Schema, "--connection", Connection);
        Assert.True(listExit == 0, listOutput);
        var retention = list.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetInt32() == jobId);
        Assert.Equal("retention", retention.GetProperty("kind").GetString());
        Assert.Equal(table, retention.GetProperty("relation").GetString());

        var (pauseExit, pauseOutput) = await CliProcess.RunAsync(["jobs", "pause", table, "retention", "--connection", Connection]);
        Assert.True(pauseExit == 0, pauseOutput);
        Assert.Contains($"Job {jobId}", pauseOutput, StringComparison.Ordinal);
        Assert.False(await Db.ScalarAsync<bool>(Scheduled()));
        var (resumeExit, _) = await CliProcess.RunAsync(["jobs", "resume", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connection", Connection]);
        Assert.Equal(0, resumeExit);
        Assert.True(await Db.ScalarAsync<bool>(Scheduled()));

        var chunks = await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')");
        var expired = await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}', older_than => INTERVAL '3 days')");
        var (runExit, run, runOutput) = await CliJson.RunAsync("jobs", "run", table, "retention", "--json", "--connection", Connection);
        Assert.True(runExit == 0, runOutput);
        Assert.Equal(jobId, run.GetProperty("jobs")[0].GetProperty("id").GetInt32());
        Assert.Equal(chunks - expired, await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')"));

        var (errorsExit, errorsOutput) = await CliProcess.RunAsync(["jobs", "errors", "--connection", Connection]);
        Assert.True(errorsExit == 0, errorsOutput);

        var (badKind, badKindOutput) = await CliProcess.RunAsync(["jobs", "run", table, "vacuum", "--connection", Connection]);
        Assert.Equal(2, badKind);
        Assert.Contains("Unknown job kind 'vacuum'", badKindOutput, StringComparison.Ordinal);
        var (missing, missingOutput) = await CliProcess.RunAsync(["jobs", "run", "999999", "--connection", Connection]);
        Assert.Equal(2, missing);
        Assert.Contains("no job 999999", missingOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", missingOutput, StringComparison.Ordinal);

        var (unconfirmed, unconfirmedOutput) = await CliProcess.RunAsync(["jobs", "delete", table, "retention", "--connection", Connection]);
        Assert.Equal(2, unconfirmed);
        Assert.Contains("--yes", unconfirmedOutput, StringComparison.Ordinal);
        Assert.Equal(1L, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE job_id = {jobId}"));
        var (deleteExit, deleteOutput) = await CliProcess.RunAsync(["jobs", "delete", table, "retention", "--yes", "--connection", Connection]);
        Assert.True(deleteExit == 0, deleteOutput);
        Assert.Equal(0L, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE job_id = {jobId}"));
    }

    [Fact]
    public async Task Jobs_alter_sets_a_monthly_fixed_schedule_in_a_time_zone_and_keeps_the_zone()
    {
        var table = await TableAsync("cli_alter");
        var jobId = await Db.ScalarAsync<int>($"SELECT add_retention_policy('{table}', INTERVAL '3 days')");
        var jobTable = await Db.ScalarAsync<bool>("SELECT to_regclass('_timescaledb_catalog.bgw_job') IS NOT NULL") ? "_timescaledb_catalog.bgw_job" : "_timescaledb_config.bgw_job";
        string Settings() => $"SELECT concat_ws('|', j.schedule_interval::text, j.fixed_schedule, b.timezone, j.max_retries, j.retry_period::text) FROM timescaledb_information.jobs j JOIN {jobTable} b ON b.id = j.job_id WHERE j.job_id = {jobId}";

        var (alterExit, alter, alterOutput) = await CliJson.RunAsync(
            "jobs", "alter", table, "retention", "--every", "1 month", "--fixed", "--start", "2026-01-01T03:00:00+01:00", "--timezone", "Europe/Berlin", "--json", "--connection", Connection);
        Assert.True(alterExit == 0, alterOutput);
        Assert.Equal("1 mon", alter.GetProperty("jobs")[0].GetProperty("scheduleInterval").GetString());
        Assert.Equal("1 mon|t|Europe/Berlin|-1|00:05:00", await Db.ScalarAsync<string>(Settings()));

        var (retriesExit, retriesOutput) = await CliProcess.RunAsync(["jobs", "alter", table, "retention", "--max-retries", "3", "--retry-period", "10 minutes", "--connection", Connection]);
        Assert.True(retriesExit == 0, retriesOutput);
        Assert.Equal("1 mon|t|Europe/Berlin|3|00:10:00", await Db.ScalarAsync<string>(Settings()));

        var (badExit, badOutput) = await CliProcess.RunAsync(["jobs", "alter", table, "retention", "--every", "1 fortnight", "--connection", Connection]);
        Assert.Equal(2, badExit);
        Assert.Contains("--every '1 fortnight' is not a time length", badOutput, StringComparison.Ordinal);
        var (emptyExit, emptyOutput) = await CliProcess.RunAsync(["jobs", "alter", table, "retention", "--connection", Connection]);
        Assert.Equal(2, emptyExit);
        Assert.Contains("Nothing to change", emptyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_option_does_not_echo_the_password()
    {
        var (exit, output) = await CliProcess.RunAsync(["chunks", "metrics", "--older-thn", "7d", "--connection", Connection]);
        Assert.Equal(1, exit);
        Assert.Contains("--older-thn", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_materializes_a_window_and_reports_the_watermark()
    {
        var table = await TableAsync("cli_refresh");
        await Db.ExecuteAsync($"CREATE MATERIALIZED VIEW cli_refresh_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS SELECT time_bucket('1 hour', time) AS bucket, device, avg(value) AS v FROM {table} GROUP BY 1, 2 WITH NO DATA");
        var from = DateTime.UtcNow.Date.AddDays(-3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var to = DateTime.UtcNow.Date.AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var (dryExit, dryOutput) = await CliProcess.RunAsync(["refresh", "cli_refresh_hourly", "--from", from, "--to", to, "--dry-run", "--connection", Connection]);
        Assert.True(dryExit == 0, dryOutput);
        Assert.Contains("would refresh", dryOutput, StringComparison.Ordinal);
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM cli_refresh_hourly"));

        var (exit, json, output) = await CliJson.RunAsync("refresh", "cli_refresh_hourly", "--from", from, "--to", to, "--json", "--connection", Connection);
        Assert.True(exit == 0, output);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("watermarkBefore").ValueKind);
        Assert.Equal($"{to}T00:00:00Z", json.GetProperty("watermarkAfter").GetString());
        Assert.Equal(24L * 3, await Db.ScalarAsync<long>("SELECT count(*) FROM cli_refresh_hourly"));

        var (notAggregate, notAggregateOutput) = await CliProcess.RunAsync(["refresh", table, "--connection", Connection]);
        Assert.Equal(2, notAggregate);
        Assert.Contains("is not a continuous aggregate", notAggregateOutput, StringComparison.Ordinal);
    }
}
