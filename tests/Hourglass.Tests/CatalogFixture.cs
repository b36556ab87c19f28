using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Tests;

/// <summary>
/// A database with known contents in two schemas of its own:
/// A.metrics (1-day chunks, 2 hash partitions on device, columnstore segmented by device, columnstore and retention
/// policies, analyzed), A.metrics_hourly (refreshed aggregate with a refresh policy), B.events (7-day chunks, never
/// analyzed), B.counters (integer time, chunks of 1000), B.metrics_daily (aggregate on A.metrics, never refreshed) and
/// a user job B.noop.
/// </summary>
public sealed class CatalogFixture : TimescaleDatabaseFixture, IAsyncLifetime
{
    private const string DaysConfig = "{\"days\": 7}";

    public string A { get; private set; } = "";

    public string B { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <summary>The days (UTC midnight) that hold rows of A.metrics.</summary>
    public IReadOnlyList<DateTimeOffset> MetricDays { get; private set; } = [];

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var prefix = $"hgcat{Guid.NewGuid():N}"[..12];
        A = prefix + "_a";
        B = prefix + "_b";
        DataSource = NpgsqlDataSource.Create(Database.ConnectionString);
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        MetricDays = [today.AddDays(-4), today.AddDays(-3), today.AddDays(-1)];
        await Database.ExecuteAsync($"""
            CREATE SCHEMA {A}; CREATE SCHEMA {B};
            CREATE TABLE {A}.metrics (time timestamptz NOT NULL, device int NOT NULL, value double precision) WITH (autovacuum_enabled = false);
            SELECT create_hypertable('{A}.metrics', by_range('time', interval '1 day'));
            SELECT add_dimension('{A}.metrics', by_hash('device', 2));
            INSERT INTO {A}.metrics
              SELECT d + (i * interval '10 minutes'), dev, i * 0.5 + dev
              FROM unnest(ARRAY[timestamptz '{MetricDays[0]:O}', timestamptz '{MetricDays[1]:O}', timestamptz '{MetricDays[2]:O}']) d,
                   generate_series(0, 143) i, generate_series(1, 4) dev;
            ALTER TABLE {A}.metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device', timescaledb.compress_orderby = 'time DESC');
            SELECT add_compression_policy('{A}.metrics', interval '7 days');
            SELECT add_retention_policy('{A}.metrics', interval '30 days');
            ANALYZE {A}.metrics;

            CREATE TABLE {B}.events (id bigint NOT NULL, at timestamptz NOT NULL, payload text) WITH (autovacuum_enabled = false);
            SELECT create_hypertable('{B}.events', by_range('at', interval '7 days'));
            INSERT INTO {B}.events SELECT i, now() - i * interval '1 hour', repeat('x', 100) FROM generate_series(1, 300) i;

            CREATE TABLE {B}.counters (n bigint NOT NULL, v int);
            SELECT create_hypertable('{B}.counters', by_range('n', 1000));
            INSERT INTO {B}.counters SELECT i, i FROM generate_series(0, 2499) i;
            ANALYZE {B}.counters;

            CREATE PROCEDURE {B}.noop(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$;
            SELECT add_job('{B}.noop', interval '1 hour', config => '{DaysConfig}', scheduled => false);
            """);
        await Database.ExecuteAsync($"""
            CREATE MATERIALIZED VIEW {A}.metrics_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
              SELECT time_bucket(interval '1 hour', time) AS bucket, device, avg(value) AS avg_value FROM {A}.metrics GROUP BY 1, 2 WITH NO DATA
            """);
        await Database.ExecuteAsync($"CALL refresh_continuous_aggregate('{A}.metrics_hourly', NULL, NULL)");
        await Database.ExecuteAsync($"SELECT add_continuous_aggregate_policy('{A}.metrics_hourly', start_offset => interval '10 days', end_offset => interval '1 hour', schedule_interval => interval '1 hour')");
        await Database.ExecuteAsync($"""
            CREATE MATERIALIZED VIEW {B}.metrics_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
              SELECT time_bucket(interval '1 day', time) AS day, count(*) AS n FROM {A}.metrics GROUP BY 1 WITH NO DATA
            """);
    }

    public new async Task DisposeAsync()
    {
        try
        {
            await Database.ExecuteAsync($"DROP SCHEMA IF EXISTS {B} CASCADE; DROP SCHEMA IF EXISTS {A} CASCADE");
        }
        finally
        {
            await DataSource.DisposeAsync();
            await base.DisposeAsync();
        }
    }

    public async Task<List<object?[]>> RowsAsync(string sql)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
