using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Tests;

/// <summary>
/// `hourglass info` showed ~2,880 rows for 15,840: approximate_row_count reads the statistics of the last ANALYZE.
/// The library now says how many rows changed since (n_mod_since_analyze over the chunks), so a stale estimate is seen.
/// </summary>
public sealed class StaleRowEstimateTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    /// <summary>Native only: the embedded engine (PostgreSQL in WebAssembly, one session) keeps no cumulative statistics, so pg_stat_user_tables reads 0 there.</summary>
    [NativeTimescaleFact("cumulative statistics (pg_stat_user_tables), which the embedded engine does not keep")]
    public async Task Rows_changed_since_ANALYZE_are_reported_and_cleared_by_ANALYZE()
    {
        var db = fixture.Database;
        // Separate statements, each its own transaction: changes reach the statistics at commit.
        await db.ExecuteAsync("""
            CREATE TABLE stale_metrics (time timestamptz NOT NULL, value float8);
            SELECT create_hypertable('stale_metrics', by_range('time', INTERVAL '1 day'));
            """);
        await db.ExecuteAsync("INSERT INTO stale_metrics SELECT t, 1 FROM generate_series(timestamptz '2026-01-01', timestamptz '2026-01-01' + INTERVAL '2879 minutes', INTERVAL '1 minute') t");
        await ReadAsync(db, h => h.RowsModifiedSinceAnalyze == 2_880);
        await db.ExecuteAsync("ANALYZE stale_metrics");
        await ReadAsync(db, h => h.RowsModifiedSinceAnalyze == 0);
        await db.ExecuteAsync("INSERT INTO stale_metrics SELECT t, 1 FROM generate_series(timestamptz '2026-01-03', timestamptz '2026-01-03' + INTERVAL '12959 minutes', INTERVAL '1 minute') t");
        var total = await db.ScalarAsync<long>("SELECT count(*) FROM stale_metrics");
        Assert.Equal(15_840, total);

        var stale = await ReadAsync(db, h => h.RowsModifiedSinceAnalyze > 0);
        Assert.Equal(2_880, stale.ApproximateRowCount);
        Assert.Equal(total - stale.ApproximateRowCount, stale.RowsModifiedSinceAnalyze);

        await db.ExecuteAsync("ANALYZE stale_metrics");
        var fresh = await ReadAsync(db, h => h.RowsModifiedSinceAnalyze == 0);
        Assert.Equal(total, fresh.ApproximateRowCount);
    }

    /// <summary>PostgreSQL's cumulative statistics reach pg_stat_user_tables shortly after a commit: read until they did (bounded).</summary>
    private static async Task<Hypertable> ReadAsync(TestDatabase db, Func<Hypertable, bool> settled)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var hypertable = (await connection.Timescale().GetHypertablesAsync([db.Schema])).Single(h => h.Name == "stale_metrics");
            if (settled(hypertable) || DateTime.UtcNow > deadline)
            {
                return hypertable;
            }

            await Task.Delay(250);
        }
    }
}
