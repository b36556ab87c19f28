using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>
/// <see cref="EmbeddedEngine.Native"/>: the product's native local server, started from the tree that
/// HOURGLASS_TIMESCALEDB_HOME names (each native pass runs these on its own tree). Each test starts a server of its own.
/// </summary>
public sealed class NativeEngineTests
{
    private const string Why = "a PostgreSQL with TimescaleDB installed (HOURGLASS_TIMESCALEDB_HOME)";

    [NativeTimescaleFact(Why)]
    public async Task Starts_a_native_timescaledb_with_many_sessions_and_background_workers()
    {
        await using var server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { Engine = EmbeddedEngine.Native, NativeHome = Home() });

        Assert.Equal(EmbeddedEngine.Native, server.Engine);
        Assert.Null(server.DataDirectory);
        Assert.True(File.Exists(Path.Combine(server.BinDirectory!, "pg_dump")), server.BinDirectory);
        await using var first = await OpenAsync(server.ConnectionString);
        await using var second = await OpenAsync(server.ConnectionString);
        Assert.NotEqual(await ScalarAsync<int>(first, "SELECT pg_backend_pid()"), await ScalarAsync<int>(second, "SELECT pg_backend_pid()"));
        Assert.Equal(server.TimescaleDbVersion, await ScalarAsync<string>(first, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"));
        Assert.Equal(server.ServerVersion, await ScalarAsync<string>(first, "SELECT current_setting('server_version')"));
        Assert.Contains("timescaledb", await ScalarAsync<string>(first, "SHOW shared_preload_libraries"), StringComparison.Ordinal);
        Assert.True(await ScalarAsync<int>(first, "SELECT current_setting('timescaledb.max_background_workers')::int") > 0);
        await WaitForAsync(async () => await ScalarAsync<long>(first,
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'TimescaleDB Background Worker Launcher' OR application_name = 'TimescaleDB Background Worker Launcher'") > 0,
            "the TimescaleDB background worker launcher to start");
    }

    [NativeTimescaleFact(Why)]
    public async Task Migrates_a_model_with_policies_and_the_scheduler_runs_one_by_itself()
    {
        await using var server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { Engine = EmbeddedEngine.Native, NativeHome = Home() });
        await using (var context = PolicyContext.Create(server.ConnectionString))
        {
            await context.Database.MigrateAsync();
            Assert.Equal([PolicyContext.MigrationId], await context.Database.GetAppliedMigrationsAsync());
        }

        await using var connection = await OpenAsync(server.ConnectionString);
        var jobs = await ColumnAsync<string>(connection, "SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = 'native_readings' ORDER BY proc_name");
        Assert.Equal(["policy_compression", "policy_retention"], jobs);

        // Both policies are paused: the columnstore policy so that only the retention run touches the chunks, and the
        // retention policy (whose first run the scheduler starts at once, whenever it gets to it) until the rows are in.
        await ExecuteAsync(connection, "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name = 'native_readings'");

        // Sixty days of hourly rows: the retention policy (30 days) has chunks to drop.
        await ExecuteAsync(connection, """
            INSERT INTO native_readings ("Time", "DeviceId", "Value")
            SELECT now() - i * interval '1 hour', i % 3, i FROM generate_series(0, 60 * 24 - 1) i
            """);
        var oldChunks = "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'native_readings' AND range_end <= now() - interval '30 days'";
        Assert.True(await ScalarAsync<long>(connection, oldChunks) > 0);
        var job = await ScalarAsync<int>(connection, "SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'native_readings' AND proc_name = 'policy_retention'");

        // Only its start moves to now; the server's scheduler runs it.
        var successes = $"SELECT coalesce((SELECT total_successes FROM timescaledb_information.job_stats WHERE job_id = {job}), 0)";
        var before = await ScalarAsync<long>(connection, successes);
        await ExecuteAsync(connection, $"SELECT alter_job({job}, scheduled => true, next_start => now())");
        await WaitForAsync(async () => await ScalarAsync<long>(connection, successes) > before, "the scheduler to run the retention policy");

        Assert.Equal(0, await ScalarAsync<long>(connection, oldChunks));
        Assert.Equal(0, await ScalarAsync<long>(connection, "SELECT count(*) FROM native_readings WHERE \"Time\" < now() - interval '31 days'"));
        Assert.True(await ScalarAsync<long>(connection, "SELECT count(*) FROM native_readings WHERE \"Time\" > now() - interval '29 days'") >= 29 * 24);
    }

    [NativeTimescaleFact(Why)]
    public async Task A_restart_on_the_same_data_directory_keeps_the_data()
    {
        var data = Path.Combine(Path.GetTempPath(), $"hourglass-native-test-{Guid.NewGuid():N}");
        try
        {
            var options = new EmbeddedTimescaleOptions { Engine = EmbeddedEngine.Native, NativeHome = Home(), DataDirectory = data };
            await using (var server = await EmbeddedTimescale.StartAsync(options))
            {
                Assert.Equal(Path.GetFullPath(data), server.DataDirectory);
                await using var connection = await OpenAsync(server.ConnectionString);
                await ExecuteAsync(connection, """
                    CREATE TABLE kept (at timestamptz NOT NULL, v int);
                    SELECT create_hypertable('kept', by_range('at'));
                    INSERT INTO kept SELECT now() - i * interval '1 day', i FROM generate_series(1, 100) i;
                    """);
            }

            Assert.True(File.Exists(Path.Combine(data, "PG_VERSION")));
            await using (var again = await EmbeddedTimescale.StartAsync(options))
            {
                await using var connection = await OpenAsync(again.ConnectionString);
                Assert.Equal(5050, await ScalarAsync<long>(connection, "SELECT sum(v) FROM kept"));
                Assert.Equal(1, await ScalarAsync<long>(connection, "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'kept'"));
            }
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_postgresql_without_timescaledb_is_refused_naming_what_is_missing()
    {
        // Debian's PostgreSQL without TimescaleDB, as the harness finds it for its plain PostgreSQL server.
        var bin = NativePostgresServer.LocateBinDirectory();

        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() =>
            EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { Engine = EmbeddedEngine.Native, NativeHome = bin }));

        Assert.Equal(EmbeddedTimescaleFailure.NativeMissing, error.Failure);
        Assert.Contains("timescaledb.control", error.Message, StringComparison.Ordinal);
        Assert.Contains(bin, error.Message, StringComparison.Ordinal);
        Assert.Contains("HOURGLASS_TIMESCALEDB_HOME", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_home_that_does_not_exist_is_refused_naming_it()
    {
        var home = Path.Combine(Path.GetTempPath(), $"no-such-postgres-{Guid.NewGuid():N}");

        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() =>
            EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { Engine = EmbeddedEngine.Native, NativeHome = home }));

        Assert.Equal(EmbeddedTimescaleFailure.NativeMissing, error.Failure);
        Assert.Contains(home, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    private static string Home() => Environment.GetEnvironmentVariable(NativeTimescaleServer.HomeVariable) is { Length: > 0 } home
        ? home
        : throw new InvalidOperationException($"This test starts the native engine from the tree {NativeTimescaleServer.HomeVariable} names, and it is not set.");

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<T>> ColumnAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited 2 minutes for {what}.");
            await Task.Delay(250);
        }
    }
}

/// <summary>A reading in the hypertable the migration below creates.</summary>
public sealed class NativeReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }
}

/// <summary>A model whose migration creates a hypertable with a columnstore and retention policy.</summary>
public sealed class PolicyContext(DbContextOptions<PolicyContext> options) : DbContext(options)
{
    public const string MigrationId = "20261206000000_NativeReadings";

    public static PolicyContext Create(string connectionString) => new(new DbContextOptionsBuilder<PolicyContext>()
        .UseNpgsql(connectionString, o => o.UseTimescale())
        // The migration below is written as `dotnet ef migrations add` writes one; this test keeps no snapshot.
        .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
        .Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<NativeReading>(reading =>
    {
        reading.ToTable("native_readings");
        reading.HasKey(r => new { r.DeviceId, r.Time });
        reading.IsHypertable(r => r.Time).WithChunkInterval(TimeSpan.FromDays(1))
            .WithColumnstore(c => c.SegmentBy(r => r.DeviceId))
            .WithColumnstorePolicy(after: TimeSpan.FromDays(7))
            .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(30));
    });
}

[DbContext(typeof(PolicyContext))]
[Migration(PolicyContext.MigrationId)]
public sealed class NativeReadingsMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "native_readings",
            columns: table => new
            {
                Time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                DeviceId = table.Column<int>(type: "integer", nullable: false),
                Value = table.Column<double>(type: "double precision", nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_native_readings", x => new { x.DeviceId, x.Time }));
        migrationBuilder.CreateHypertable(name: "native_readings", timeColumn: "Time", chunkInterval: "1 day");
        migrationBuilder.SetColumnstore("native_readings", segmentBy: "DeviceId");
        migrationBuilder.AddColumnstorePolicy("native_readings", "7 days");
        migrationBuilder.AddRetentionPolicy("native_readings", "30 days");
    }
}
