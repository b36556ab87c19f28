using System.Text.Json;
using Hourglass.Cli.Doctor;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>Upgrade advice that fits the server's PostgreSQL major (TimescaleDB 2.29 dropped PostgreSQL 15).</summary>
public sealed class DoctorVersionAdviceTests
{
    private static TimescaleServer Server(string postgres, string timescale, string? available = null) => new(
        Version.Parse(postgres), postgres, "db", "user", Version.Parse(timescale), timescale, available ?? timescale, "timescale", TimescaleEdition.Community,
        "timescaledb", true, 8, 16, 8, true, 1, 128L << 20, 4L << 30);

    [Fact]
    public void The_last_release_for_PostgreSQL_15_passes_and_points_at_a_PostgreSQL_upgrade_for_more()
    {
        var check = DoctorChecks.CheckVersion(Server("15.18", "2.28.3"));
        Assert.Equal(CheckLevel.Pass, check.Level);
        Assert.Contains("PostgreSQL 15", check.Message, StringComparison.Ordinal);
        Assert.Contains("2.29 needs PostgreSQL 16 or later (it supports 16–18)", check.Message, StringComparison.Ordinal);
        Assert.Contains("2.28.x is the last release line for PostgreSQL 15", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_older_patch_of_the_last_PostgreSQL_15_line_is_told_to_take_its_newest_patch()
    {
        var check = DoctorChecks.CheckVersion(Server("15.18", "2.28.1"));
        Assert.Equal(CheckLevel.Warn, check.Level);
        Assert.Contains("older than 2.28.3, the newest patch release of the 2.28 line", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_older_release_on_PostgreSQL_15_is_told_to_go_to_2_28_not_2_29()
    {
        var check = DoctorChecks.CheckVersion(Server("15.18", "2.23.0"));
        Assert.Equal(CheckLevel.Warn, check.Level);
        Assert.Contains("older than 2.28.3, the newest release for PostgreSQL 15", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void On_PostgreSQL_17_the_newest_release_is_the_target()
    {
        Assert.Contains("older than 2.29.2, the newest release for PostgreSQL 17", DoctorChecks.CheckVersion(Server("17.5", "2.23.0")).Message, StringComparison.Ordinal);
        var current = DoctorChecks.CheckVersion(Server("17.2", "2.29.2"));
        Assert.Equal(CheckLevel.Pass, current.Level);
        Assert.Contains("newest release for PostgreSQL 17", current.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("needs PostgreSQL", current.Message, StringComparison.Ordinal);
        var previousPatch = DoctorChecks.CheckVersion(Server("17.2", "2.29.1"));
        Assert.Equal(CheckLevel.Warn, previousPatch.Level);
        Assert.Contains("older than 2.29.2", previousPatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_newer_package_on_the_server_asks_for_ALTER_EXTENSION_first()
    {
        var check = DoctorChecks.CheckVersion(Server("15.18", "2.27.0", "2.28.3"));
        Assert.Equal(CheckLevel.Warn, check.Level);
        Assert.Contains("ALTER EXTENSION timescaledb UPDATE", check.Message, StringComparison.Ordinal);
    }
}

/// <summary>info: unknown rows for never-analyzed hypertables, charts and their numbers in --json.</summary>
public sealed class InfoRowsAndChartsTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Never_analyzed_rows_are_unknown_and_the_charts_carry_the_json_numbers()
    {
        var db = fixture.Database;
        await db.ExecuteAsync("""
            CREATE TABLE fresh (time timestamptz NOT NULL, device int NOT NULL, value float8) WITH (autovacuum_enabled = false);
            SELECT create_hypertable('fresh', by_range('time', INTERVAL '1 day'));
            INSERT INTO fresh SELECT t, i % 3, i FROM generate_series(now() - INTERVAL '3 days', now(), INTERVAL '1 minute') WITH ORDINALITY AS g(t, i);
            ALTER TABLE fresh SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device', timescaledb.orderby = 'time');
            CREATE TABLE counted (time timestamptz NOT NULL, value float8);
            SELECT create_hypertable('counted', by_range('time', INTERVAL '1 day'));
            INSERT INTO counted SELECT t, 1 FROM generate_series(now() - INTERVAL '1 day', now(), INTERVAL '1 minute') t;
            ANALYZE counted;
            """);
        await db.ExecuteAsync("SELECT compress_chunk(c) FROM show_chunks('fresh', older_than => INTERVAL '1 day') c");

        var (exitCode, json, output) = await CliJson.RunAsync("info", "--json", "--schema", db.Schema, "--connection", db.ConnectionString);
        Assert.True(exitCode == 0, output);
        Assert.Equal(2, json.GetProperty("formatVersion").GetInt32());
        var hypertables = json.GetProperty("hypertables").EnumerateArray().ToDictionary(h => h.GetProperty("name").GetString()!);
        var counted = hypertables["counted"];
        Assert.True(counted.GetProperty("rowsAnalyzed").GetBoolean());
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM counted"), counted.GetProperty("approximateRows").GetInt64());

        var fresh = hypertables["fresh"];
        var chunkBytes = fresh.GetProperty("chunkSizes").EnumerateArray().Select(c => c.GetProperty("bytes").GetInt64()).ToList();
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(DISTINCT range_start) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = 'fresh'"), chunkBytes.Count);
        Assert.Equal(await db.ScalarAsync<long>("SELECT sum(total_bytes)::bigint FROM chunks_detailed_size('fresh')"), chunkBytes.Sum());
        Assert.True(fresh.GetProperty("columnstoreRatio").GetDouble() > 1);
        Assert.Contains(fresh.GetProperty("chunkSizes").EnumerateArray(), c => c.GetProperty("columnstore").GetBoolean());

        // Compressed chunks count as known rows; a hypertable with only never-analyzed rowstore chunks does not.
        await db.ExecuteAsync("""
            CREATE TABLE untouched (time timestamptz NOT NULL, value float8) WITH (autovacuum_enabled = false);
            SELECT create_hypertable('untouched', by_range('time', INTERVAL '1 day'));
            INSERT INTO untouched SELECT t, 1 FROM generate_series(now() - INTERVAL '2 days', now(), INTERVAL '1 minute') t;
            """);
        var (_, json2, _) = await CliJson.RunAsync("info", "--json", "--schema", db.Schema, "--connection", db.ConnectionString);
        var untouched = json2.GetProperty("hypertables").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "untouched");
        Assert.False(untouched.GetProperty("rowsAnalyzed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, untouched.GetProperty("approximateRows").ValueKind);

        var (textExit, text) = await CliProcess.RunAsync(["info", "--schema", db.Schema, "--connection", db.ConnectionString]);
        Assert.Equal(0, textExit);
        Assert.Contains("unknown, not analyzed", text, StringComparison.Ordinal);
        Assert.Contains("Columnstore ratio", text, StringComparison.Ordinal);
        Assert.Contains($"Chunk sizes of {db.Schema}.fresh", text, StringComparison.Ordinal);
    }
}

/// <summary>doctor on a native TimescaleDB: the telemetry job is not "never ran"; the worker check says what it counts.</summary>
public sealed class DoctorNativeTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [NativeTimescaleFact("background workers and TimescaleDB's own jobs")]
    public async Task Telemetry_is_not_never_ran_and_workers_count_databases_with_the_extension()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler);
        var (_, json, output) = await CliJson.RunAsync("doctor", "--json", "--connection", fixture.Database.ConnectionString);
        var checks = json.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("message").GetString()!);
        Assert.DoesNotContain("never ran", checks["jobs"], StringComparison.Ordinal);
        // Whatever the worker check reports, a count of databases is one of databases with the extension.
        Assert.DoesNotMatch(@"\d+ database\(s\)(?! with TimescaleDB)", checks["workers"]);
        // The advice fits the server's PostgreSQL major: 2.29 supports PostgreSQL 16–18 only, so on an older major it names
        // 2.29 only to say what it needs.
        await using var connection = await fixture.Database.OpenAsync();
        var server = await connection.Timescale().GetServerAsync();
        Assert.Contains($"PostgreSQL {server.PostgresMajor}", checks["version"], StringComparison.Ordinal);
        if (server.PostgresMajor < 16)
        {
            Assert.DoesNotContain("2.29", checks["version"].Replace("2.29 needs PostgreSQL 16", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        Assert.True(output.Length > 0);
    }
}
