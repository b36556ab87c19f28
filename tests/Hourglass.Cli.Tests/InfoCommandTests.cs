using System.Text.Json;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>`hourglass info` on TimescaleDB (embedded, or HOURGLASS_TEST_CONNECTION), filtered to this class's schema.</summary>
public sealed class InfoCommandTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Info_json_returns_exactly_the_hypertables_aggregates_and_jobs_of_the_database()
    {
        await Db.ExecuteAsync("""
            CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
            SELECT add_dimension('readings', by_hash('device', 2));
            INSERT INTO readings SELECT t, (i % 4), i FROM generate_series(now() - INTERVAL '3 days', now(), INTERVAL '10 minutes') WITH ORDINALITY AS g(t, i);
            ALTER TABLE readings SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device', timescaledb.orderby = 'time');
            CALL add_columnstore_policy('readings', after => INTERVAL '2 days');
            CREATE TABLE events (id bigint NOT NULL, payload text);
            SELECT create_hypertable('events', by_range('id', 1000));
            INSERT INTO events SELECT i, 'e' || i FROM generate_series(1, 2500) i;
            """);
        await Db.ExecuteAsync("CREATE MATERIALIZED VIEW readings_hourly WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', time) AS bucket, device, avg(value) AS avg_value FROM readings GROUP BY 1, 2 WITH NO DATA");
        await Db.ExecuteAsync("CREATE MATERIALIZED VIEW readings_daily WITH (timescaledb.continuous) AS SELECT time_bucket('1 day', time) AS bucket, count(*) AS n FROM readings GROUP BY 1 WITH NO DATA");
        await Db.ExecuteAsync("CALL refresh_continuous_aggregate('readings_hourly', NULL, NULL)");
        await Db.ExecuteAsync("SELECT add_continuous_aggregate_policy('readings_hourly', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour')");
        await Db.ExecuteAsync("CREATE PROCEDURE noop_job(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$");
        var customJob = await Db.ScalarAsync<int>("SELECT add_job('noop_job', INTERVAL '5 minutes')");
        var expectedJobs = await Db.ColumnAsync<int>("SELECT job_id FROM timescaledb_information.jobs WHERE coalesce(hypertable_schema, proc_schema) = current_schema() ORDER BY job_id");
        var expectedChunks = await Db.ScalarAsync<int>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = 'readings'");

        var (exitCode, json, output) = await CliJson.RunAsync("info", "--json", "--schema", Db.Schema, "--connection", Db.ConnectionString);

        Assert.True(exitCode == 0, output);
        Assert.True(json.GetProperty("timescaledb").GetProperty("installed").GetBoolean());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("timescaledb").GetProperty("version").GetString()));
        Assert.Equal(["events", "readings"], json.GetProperty("hypertables").Names());
        Assert.Equal(["readings_daily", "readings_hourly"], json.GetProperty("continuousAggregates").Names());
        Assert.Equal(expectedJobs, json.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt32()).ToList());
        Assert.Equal(3, expectedJobs.Count); // columnstore policy, refresh policy, the custom job
        Assert.Contains(customJob, expectedJobs);

        var readings = json.GetProperty("hypertables").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "readings");
        var dimensions = readings.GetProperty("dimensions").EnumerateArray().ToList();
        Assert.Equal(("time", "range", "1 day"), (dimensions[0].GetProperty("column").GetString(), dimensions[0].GetProperty("kind").GetString(), dimensions[0].GetProperty("interval").GetString()));
        Assert.Equal(("device", "hash", 2), (dimensions[1].GetProperty("column").GetString(), dimensions[1].GetProperty("kind").GetString(), dimensions[1].GetProperty("partitions").GetInt32()));
        Assert.Equal(expectedChunks, readings.GetProperty("chunks").GetInt32());
        Assert.True(readings.GetProperty("columnstoreEnabled").GetBoolean());
        Assert.True(readings.GetProperty("totalBytes").GetInt64() > 0);
        Assert.True(string.CompareOrdinal(readings.GetProperty("oldestChunk").GetProperty("start").GetString(), readings.GetProperty("newestChunk").GetProperty("start").GetString()) < 0);

        var events = json.GetProperty("hypertables").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "events");
        Assert.Equal("1000", events.GetProperty("dimensions")[0].GetProperty("interval").GetString());
        Assert.Equal("1000", events.GetProperty("oldestChunk").GetProperty("end").GetString());
        Assert.Equal(3, events.GetProperty("chunks").GetInt32());

        var aggregates = json.GetProperty("continuousAggregates").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!);
        Assert.True(aggregates["readings_hourly"].GetProperty("refreshed").GetBoolean());
        Assert.NotNull(aggregates["readings_hourly"].GetProperty("watermark").GetString());
        Assert.False(aggregates["readings_daily"].GetProperty("refreshed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, aggregates["readings_daily"].GetProperty("watermark").ValueKind);

        var (tableExit, tables) = await CliProcess.RunAsync(["info", "--schema", Db.Schema, "--connection", Db.ConnectionString]);
        Assert.True(tableExit == 0, tables);
        Assert.Contains("readings_hourly", tables, StringComparison.Ordinal);
        Assert.Contains("never refreshed", tables, StringComparison.Ordinal);
        Assert.Contains("time every 1 day", tables, StringComparison.Ordinal);
    }
}

/// <summary>`hourglass info` on a database without TimescaleDB: not on the server at all, or installable but not created.</summary>
public sealed class InfoWithoutTimescaleTests
{
    [Theory]
    [MemberData(nameof(WithoutTimescale.Cases), MemberType = typeof(WithoutTimescale))]
    public async Task Info_reports_timescaledb_missing_and_succeeds(string withoutTimescale)
    {
        await using var database = await WithoutTimescale.CreateDatabaseAsync(withoutTimescale, "info");
        var (exitCode, json, output) = await CliJson.RunAsync("info", "--json", "--connection", database.ConnectionString);

        Assert.True(exitCode == 0, output);
        Assert.False(json.GetProperty("timescaledb").GetProperty("installed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("timescaledb").GetProperty("version").ValueKind);
        Assert.Equal(0, json.GetProperty("hypertables").GetArrayLength());
        Assert.StartsWith(await database.ScalarAsync<string>("SELECT (current_setting('server_version_num')::int / 10000)::text || '.'"), json.GetProperty("server").GetProperty("version").GetString(), StringComparison.Ordinal);

        var (tableExit, tables) = await CliProcess.RunAsync(["info", "--connection", database.ConnectionString]);
        Assert.Equal(0, tableExit);
        Assert.Contains("not installed in this database", tables, StringComparison.Ordinal);
        if (withoutTimescale == WithoutTimescale.NotAvailable)
        {
            Assert.Contains("not available on the server", tables, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("is available: CREATE EXTENSION timescaledb", tables, StringComparison.Ordinal);
        }
    }
}
