using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Tests;

/// <summary>
/// On a native TimescaleDB started with timescaledb.license = 'apache' (the Apache-licensed edition): the server read
/// reports the edition, hypertables and chunks read and drop, and community-only calls fail with the server's reason.
/// </summary>
public sealed class ApacheEditionTests
{
    [ApacheEditionFact("a second native TimescaleDB started with timescaledb.license=apache (HOURGLASS_TIMESCALEDB_HOME)")]
    public async Task The_server_read_reports_the_apache_edition_and_hypertables_chunks_and_jobs_read()
    {
        await using var db = await (await TestServers.RequireNativeApacheAsync()).CreateDatabaseAsync("apachecore");
        await db.ExecuteAsync("""
            CREATE TABLE metrics (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('metrics', by_range('time', INTERVAL '1 day'));
            INSERT INTO metrics SELECT timestamptz '2026-01-01' + i * INTERVAL '6 hours', i % 3, i FROM generate_series(0, 19) i;
            """);
        await using var dataSource = NpgsqlDataSource.Create(db.ConnectionString);
        var client = dataSource.Timescale();

        var server = await client.GetServerAsync();
        Assert.True(server.IsInstalled);
        Assert.Equal("apache", server.License);
        Assert.Equal(TimescaleEdition.Apache, server.Edition);
        Assert.Equal(await db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"), server.TimescaleVersionText);

        var hypertable = Assert.Single(await client.GetHypertablesAsync());
        Assert.Equal("metrics", hypertable.Name);
        Assert.Equal(5, hypertable.ChunkCount);
        Assert.False(hypertable.ColumnstoreEnabled);
        Assert.Equal(5, (await client.GetChunksAsync("metrics")).Count);
        Assert.Empty(await client.GetContinuousAggregatesAsync());

        // drop_chunks is Apache-licensed: it works here.
        var dropped = await client.DropChunksAsync("metrics", new ChunkFilter { OlderThan = new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero) });
        Assert.Equal(2, dropped.Count);
        Assert.Equal(3, (await client.GetChunksAsync("metrics")).Count);
        Assert.Equal(12, await db.ScalarAsync<long>("SELECT count(*) FROM metrics"));

        // TimescaleDB's own job-history retention job is community-licensed, so under this license it fails at every run.
        var history = Assert.Single(await client.GetJobsAsync(), j => j.Kind == JobKind.JobHistoryRetention);
        Assert.True(server.LicenseForbids(history));
        Assert.DoesNotContain(await client.GetJobsAsync(), j => j.Kind != JobKind.JobHistoryRetention && server.LicenseForbids(j));

        // The columnstore is community-licensed: converting says so (enabling it first would fail too).
        var error = await Assert.ThrowsAsync<TimescaleException>(() => client.ConvertChunksToColumnstoreAsync("metrics"));
        Assert.Contains("ConvertChunksToColumnstoreAsync(\"metrics\")", error.Message, StringComparison.Ordinal);
        Assert.Contains("Apache edition (timescaledb.license = 'apache')", error.Message, StringComparison.Ordinal);
        Assert.Contains("Set timescaledb.license = 'timescale'", error.Message, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("ALTER TABLE metrics SET (timescaledb.enable_columnstore)"));
        Assert.Contains("not supported under the current \"apache\" license", refused.MessageText, StringComparison.Ordinal);
    }
}
