using System.Diagnostics;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>
/// Proves the harness is a real TimescaleDB: these run on the embedded server, or unchanged on
/// HOURGLASS_TEST_CONNECTION when it is set.
/// </summary>
public sealed class TimescaleSmokeTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private readonly TestDatabase _db = fixture.Database;

    [Fact]
    public async Task Create_hypertable_with_by_range_registers_the_dimension()
    {
        await _db.ExecuteAsync("""
            CREATE TABLE smoke_dim (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('smoke_dim', by_range('time', INTERVAL '6 hours'));
            """);

        await using var connection = await _db.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT column_name, time_interval FROM timescaledb_information.dimensions WHERE hypertable_schema = current_schema() AND hypertable_name = 'smoke_dim'",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("time", reader.GetString(0));
        Assert.Equal(TimeSpan.FromHours(6), reader.GetTimeSpan(1));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task Ef_core_SaveChanges_of_5000_rows_is_batched_and_stored()
    {
        await _db.ExecuteAsync("""
            CREATE TABLE smoke_readings (time timestamptz NOT NULL, device int NOT NULL, value float8 NOT NULL, PRIMARY KEY (device, time));
            SELECT create_hypertable('smoke_readings', by_range('time', INTERVAL '1 day'));
            """);
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var options = new DbContextOptionsBuilder<SmokeContext>().UseNpgsql(_db.ConnectionString).Options;
        await using (var context = new SmokeContext(options))
        {
            context.Readings.AddRange(Enumerable.Range(0, 5000).Select(i => new SmokeReading { Time = start.AddMinutes(i), Device = i % 10, Value = i * 0.5 }));
            Assert.Equal(5000, await context.SaveChangesAsync());
        }

        await using (var context = new SmokeContext(options))
        {
            Assert.Equal(5000, await context.Readings.CountAsync());
            Assert.Equal(Enumerable.Range(0, 5000).Sum(i => i * 0.5), await context.Readings.SumAsync(r => r.Value), precision: 6);
            Assert.True(await _db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = 'smoke_readings'") >= 3);
        }
    }

    [Fact]
    public async Task Binary_copy_of_100k_rows_round_trips_through_binary_export()
    {
        await _db.ExecuteAsync("""
            CREATE TABLE smoke_copy (time timestamptz NOT NULL, device int NOT NULL, value float8, label text);
            SELECT create_hypertable('smoke_copy', by_range('time', INTERVAL '1 day'));
            """);
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var rows = Enumerable.Range(0, 100_000)
            .Select(i => (Time: start.AddSeconds(i * 7), Device: i % 50, Value: i % 13 == 0 ? (double?)null : i / 3.0, Label: i % 17 == 0 ? null : $"label-{i}"))
            .ToList();

        await using var connection = await _db.OpenAsync();
        await using (var import = await connection.BeginBinaryImportAsync("COPY smoke_copy (time, device, value, label) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                await import.StartRowAsync();
                await import.WriteAsync(row.Time, NpgsqlDbType.TimestampTz);
                await import.WriteAsync(row.Device, NpgsqlDbType.Integer);
                if (row.Value is { } v) { await import.WriteAsync(v, NpgsqlDbType.Double); } else { await import.WriteNullAsync(); }
                if (row.Label is { } l) { await import.WriteAsync(l, NpgsqlDbType.Text); } else { await import.WriteNullAsync(); }
            }

            Assert.Equal(100_000UL, await import.CompleteAsync());
        }

        var exported = new List<(DateTime, int, double?, string?)>(rows.Count);
        await using (var export = await connection.BeginBinaryExportAsync("COPY (SELECT time, device, value, label FROM smoke_copy ORDER BY time) TO STDOUT (FORMAT BINARY)"))
        {
            while (await export.StartRowAsync() != -1)
            {
                var time = await export.ReadAsync<DateTime>(NpgsqlDbType.TimestampTz);
                var device = await export.ReadAsync<int>(NpgsqlDbType.Integer);
                double? value = export.IsNull ? null : null;
                if (export.IsNull) { await export.SkipAsync(); } else { value = await export.ReadAsync<double>(NpgsqlDbType.Double); }
                string? label = null;
                if (export.IsNull) { await export.SkipAsync(); } else { label = await export.ReadAsync<string>(NpgsqlDbType.Text); }
                exported.Add((time, device, value, label));
            }
        }

        Assert.Equal(rows.Count, exported.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal((rows[i].Time, rows[i].Device, rows[i].Value, rows[i].Label), exported[i]);
        }
    }

    [Fact]
    public async Task Columnstore_converts_chunks()
    {
        await _db.ExecuteAsync("""
            CREATE TABLE smoke_cs (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('smoke_cs', by_range('time', INTERVAL '1 day'));
            INSERT INTO smoke_cs SELECT t, (extract(epoch FROM t)::int / 60) % 5, random()
              FROM generate_series('2025-01-01'::timestamptz, '2025-01-03 23:59'::timestamptz, INTERVAL '1 minute') t;
            ALTER TABLE smoke_cs SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device', timescaledb.orderby = 'time DESC');
            """);
        var before = await _db.ScalarAsync<double>("SELECT sum(value) FROM smoke_cs");
        await _db.ExecuteAsync("""
            DO $$ DECLARE c regclass; BEGIN
              FOR c IN SELECT format('%I.%I', chunk_schema, chunk_name)::regclass FROM timescaledb_information.chunks
                       WHERE hypertable_schema = current_schema() AND hypertable_name = 'smoke_cs' LOOP
                CALL convert_to_columnstore(c);
              END LOOP; END $$;
            """);

        Assert.Equal(3L, await _db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = 'smoke_cs' AND is_compressed"));
        Assert.Equal(before, await _db.ScalarAsync<double>("SELECT sum(value) FROM smoke_cs"), precision: 6);
        Assert.Equal(3 * 24 * 60L, await _db.ScalarAsync<long>("SELECT count(*) FROM smoke_cs"));
    }

    [Fact]
    public async Task Continuous_aggregate_is_created_and_refreshed()
    {
        await _db.ExecuteAsync("""
            CREATE TABLE smoke_ca (time timestamptz NOT NULL, device int NOT NULL, value float8 NOT NULL);
            SELECT create_hypertable('smoke_ca', by_range('time', INTERVAL '1 day'));
            INSERT INTO smoke_ca SELECT t, 1, 2.0 FROM generate_series('2025-01-01'::timestamptz, '2025-01-01 05:59'::timestamptz, INTERVAL '1 minute') t;
            """);
        await _db.ExecuteAsync("""
            CREATE MATERIALIZED VIEW smoke_ca_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
              SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, device, count(*) AS n, avg(value) AS mean
              FROM smoke_ca GROUP BY bucket, device WITH NO DATA
            """);
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM smoke_ca_hourly"));

        await _db.ExecuteAsync("CALL refresh_continuous_aggregate('smoke_ca_hourly', '2025-01-01', '2025-01-02')");

        Assert.Equal(6L, await _db.ScalarAsync<long>("SELECT count(*) FROM smoke_ca_hourly"));
        Assert.Equal(60L, await _db.ScalarAsync<long>("SELECT min(n) FROM smoke_ca_hourly"));
    }

    [Fact]
    public async Task Retention_policy_drops_old_chunks_when_run_with_run_job()
    {
        await _db.ExecuteAsync("""
            CREATE TABLE smoke_ret (time timestamptz NOT NULL, value float8);
            SELECT create_hypertable('smoke_ret', by_range('time', INTERVAL '1 day'));
            INSERT INTO smoke_ret SELECT now() - d * INTERVAL '1 day', d FROM generate_series(0, 29) d;
            """);
        var job = await _db.ScalarAsync<int>("SELECT add_retention_policy('smoke_ret', drop_after => INTERVAL '10 days')");

        await _db.ExecuteAsync($"CALL run_job({job})");

        var oldest = await _db.ScalarAsync<double>("SELECT max(value) FROM smoke_ret");
        Assert.InRange(oldest, 9, 11);
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM smoke_ret WHERE time < now() - INTERVAL '12 days'"));
    }

    [Fact]
    public async Task Two_clients_one_after_the_other_and_concurrently()
    {
        await _db.ExecuteAsync("CREATE TABLE smoke_clients (id int PRIMARY KEY, who text)");
        await using (var first = await _db.OpenAsync())
        {
            await using var insert = new NpgsqlCommand("INSERT INTO smoke_clients VALUES (1, 'first')", first);
            await insert.ExecuteNonQueryAsync();
        }

        await using (var second = await _db.OpenAsync())
        {
            await using var insert = new NpgsqlCommand("INSERT INTO smoke_clients VALUES (2, 'second')", second);
            await insert.ExecuteNonQueryAsync();
        }

        await using var holder = await _db.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO smoke_clients VALUES (3, 'in transaction')", holder, transaction))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        var waiter = Task.Run(async () =>
        {
            await using var other = await _db.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM smoke_clients", other);
            return ((long)(await count.ExecuteScalarAsync())!, clock.Elapsed);
        });
        await Task.Delay(700);
        var finishedEarly = waiter.IsCompleted;
        await transaction.CommitAsync();
        var (rows, elapsed) = await waiter;

        if (!TestServers.UsingExternalTimescale)
        {
            // The embedded engine has one session: the second client waited for the transaction.
            Assert.False(finishedEarly);
            Assert.True(elapsed >= TimeSpan.FromMilliseconds(600), $"second client finished after {elapsed}");
            Assert.Equal(3, rows);
        }
        else
        {
            Assert.InRange(rows, 2, 3);
        }

        Assert.Equal(3L, await _db.ScalarAsync<long>("SELECT count(*) FROM smoke_clients"));
    }

    private sealed class SmokeContext(DbContextOptions<SmokeContext> options) : DbContext(options)
    {
        public DbSet<SmokeReading> Readings => Set<SmokeReading>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<SmokeReading>(e =>
        {
            e.ToTable("smoke_readings");
            e.HasKey(r => new { r.Device, r.Time });
            e.Property(r => r.Time).HasColumnName("time");
            e.Property(r => r.Device).HasColumnName("device");
            e.Property(r => r.Value).HasColumnName("value");
        });
    }

    private sealed class SmokeReading
    {
        public DateTime Time { get; set; }

        public int Device { get; set; }

        public double Value { get; set; }
    }
}

/// <summary>Native PostgreSQL (Debian's) is a real server without TimescaleDB.</summary>
public sealed class PostgresSmokeTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Timescaledb_extension_is_absent()
    {
        var db = fixture.Database;
        Assert.DoesNotContain("Emscripten", await db.ScalarAsync<string>("SELECT version()"), StringComparison.Ordinal);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'"));
    }
}
