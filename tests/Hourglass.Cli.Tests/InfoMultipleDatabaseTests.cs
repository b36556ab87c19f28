using Hourglass.Testing;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>Two databases with TimescaleDB on one native server: `hourglass info` reports only the one it connects to.</summary>
public sealed class InfoMultipleDatabaseTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static string Objects(string prefix) => $"""
        CREATE TABLE {prefix}_readings (time timestamptz NOT NULL, device int NOT NULL, value float8);
        SELECT create_hypertable('{prefix}_readings', by_range('time', INTERVAL '1 day'));
        INSERT INTO {prefix}_readings SELECT timestamptz '2026-01-01' + i * INTERVAL '6 hours', i % 3, i FROM generate_series(1, 20) i;
        SELECT add_retention_policy('{prefix}_readings', drop_after => INTERVAL '3650 days');
        CREATE MATERIALIZED VIEW {prefix}_daily WITH (timescaledb.continuous) AS SELECT time_bucket('1 day', time) AS bucket, count(*) AS n FROM {prefix}_readings GROUP BY 1 WITH NO DATA;
        """;

    [NativeTimescaleFact("several databases with TimescaleDB on one server")]
    public async Task Info_without_a_schema_filter_lists_only_the_connected_database()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Databases);
        var mine = fixture.Database;
        await using var other = await (await TestServers.Timescale).CreateDatabaseAsync("otherinfo");
        await mine.ExecuteAsync(Objects("mine"));
        await other.ExecuteAsync(Objects("theirs"));

        var (exitCode, json, output) = await CliJson.RunAsync("info", "--json", "--connection", mine.ConnectionString);

        Assert.True(exitCode == 0, output);
        Assert.Equal(["mine_readings"], json.GetProperty("hypertables").Names());
        Assert.Equal(["mine_daily"], json.GetProperty("continuousAggregates").Names());
        var jobTargets = json.GetProperty("jobs").EnumerateArray().Select(j => j.ToString()).ToList();
        Assert.Contains(jobTargets, j => j.Contains("mine_readings", StringComparison.Ordinal));
        Assert.DoesNotContain(jobTargets, j => j.Contains("theirs", StringComparison.Ordinal));
        Assert.DoesNotContain("theirs", output, StringComparison.Ordinal);
    }
}
