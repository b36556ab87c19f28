using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>
/// Production's setup: the application connects as a role without superuser, CREATEDB or CREATEROLE rights that owns
/// its schema (TimescaleDB itself created by an administrator). That role runs the migrations — hypertable,
/// columnstore, policies, a continuous aggregate, a job — and the ingest, and its jobs run as it.
/// </summary>
public sealed class ApplicationRoleTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [NativeTimescaleFact("login roles other than the embedded engine's one user, and background workers")]
    public async Task An_application_role_that_owns_its_schema_migrates_ingests_and_runs_its_jobs()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Superuser | NativeNeeds.Scheduler);
        var role = await fixture.Database.CreateRoleAsync("app");
        Assert.False(await fixture.Database.ScalarAsync<bool>($"SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = '{role.Name}'"));
        var options = new DbContextOptionsBuilder<RoleContext>()
            .UseNpgsql(role.ConnectionString, o => o.UseTimescale())
            .UseSnakeCaseNamingConvention()
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;
        await using var context = new RoleContext(options);

        await context.Database.MigrateAsync();

        var app = new TestDatabaseAs(role.ConnectionString);
        Assert.Equal(role.Name, await app.ScalarAsync<string>("SELECT tableowner::text FROM pg_tables WHERE tablename = 'role_metrics'"));
        Assert.Equal(role.Schema, await app.ScalarAsync<string>("SELECT hypertable_schema::text FROM timescaledb_information.hypertables WHERE hypertable_name = 'role_metrics'"));
        Assert.Equal(role.Schema, await app.ScalarAsync<string>("SELECT view_schema::text FROM timescaledb_information.continuous_aggregates WHERE view_name = 'role_hourly'"));
        Assert.Equal(
            ["app_rollup", "policy_compression", "policy_refresh_continuous_aggregate", "policy_retention"],
            await app.ColumnAsync($"SELECT proc_name::text FROM timescaledb_information.jobs WHERE owner::text = '{role.Name}' ORDER BY 1"));
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE job_id >= 1000 AND owner::text <> '{role.Name}'"));

        // Ingest as the role: ten days of rows, then an upsert that overlaps half of them.
        var start = DateTime.UtcNow.Date.AddDays(-10);
        var rows = CaggModels.Rows(start, hours: 240);
        Assert.Equal(rows.Count, await context.BulkInsertAsync(rows));
        var overlap = CaggModels.Rows(start.AddDays(5), hours: 240).Select(m => { m.Value += 100; return m; }).ToList();
        var upsert = await context.BulkUpsertAsync(overlap, c => c.DoUpdate(m => m.Value));
        Assert.Equal(new BulkUpsertResult(overlap.Count / 2, overlap.Count / 2, 0), upsert);
        Assert.Equal(rows.Count + (overlap.Count / 2), await context.Set<Metric>().CountAsync());

        // The role's policies and job run as the role: by hand, and by the scheduler.
        await context.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);
        Assert.Equal((240 + 120) * 3, await context.Set<HourlyMetric>().CountAsync());
        var compression = await app.ScalarAsync<int>("SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression'");

        // The scheduler runs a new policy at once; paused and idle, the run by hand is the only one.
        await app.ExecuteAsync($"SELECT alter_job({compression}, scheduled => false)");
        var idle = DateTime.UtcNow.AddMinutes(2);
        while (await app.ScalarAsync<bool>($"SELECT EXISTS (SELECT FROM timescaledb_information.job_stats WHERE job_id = {compression} AND job_status = 'Running')") && DateTime.UtcNow < idle)
        {
            await Task.Delay(100);
        }

        await app.ExecuteAsync($"CALL run_job({compression})");
        Assert.True(await app.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'role_metrics' AND is_compressed") >= 2);
        Assert.Equal(rows.Count + (overlap.Count / 2), await context.Set<Metric>().CountAsync());

        var job = await app.ScalarAsync<int>("SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'app_rollup'");
        var asked = await app.ScalarAsync<DateTime>($"SELECT clock_timestamp() FROM alter_job({job}, next_start => now())");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await app.ScalarAsync<long>("SELECT count(*) FROM app_job_runs") == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.Equal(role.Name, await app.ScalarAsync<string>("SELECT run_by FROM app_job_runs ORDER BY at LIMIT 1"));
        Assert.True(await app.ScalarAsync<DateTime>("SELECT min(at) FROM app_job_runs") >= asked);

        // And back down, still as the role.
        await context.GetService<IMigrator>().MigrateAsync("0");
        Assert.Equal(0, await app.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE owner::text = '{role.Name}'"));
        Assert.Equal(0, await app.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname IN ('role_metrics', 'role_hourly')"));
    }

    /// <summary>Plain SQL through the role's own connection string.</summary>
    private sealed class TestDatabaseAs(string connectionString)
    {
        public async Task<T> ScalarAsync<T>(string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        public async Task<List<string>> ColumnAsync(string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            var values = new List<string>();
            while (await reader.ReadAsync())
            {
                values.Add(reader.GetString(0));
            }

            return values;
        }
    }
}

public sealed class RoleContext(DbContextOptions<RoleContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => CaggModels.Model("role_metrics", "role_hourly")(modelBuilder);
}

[DbContext(typeof(RoleContext))]
[Migration("20261128000001_Initial")]
public sealed class RoleInitial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "role_metrics",
            columns: table => new
            {
                time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                device_id = table.Column<int>(type: "integer", nullable: false),
                value = table.Column<double>(type: "double precision", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_role_metrics", x => new { x.time, x.device_id }));
        migrationBuilder.CreateHypertable(name: "role_metrics", timeColumn: "time", chunkInterval: "1 day");
        migrationBuilder.SetColumnstore("role_metrics", segmentBy: "device_id", orderBy: "time DESC");
        migrationBuilder.AddColumnstorePolicy("role_metrics", after: "3 days");
        migrationBuilder.AddRetentionPolicy("role_metrics", dropAfter: "365 days");
        migrationBuilder.CreateContinuousAggregate(
            name: "role_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM role_metrics GROUP BY 1, 2",
            materializedOnly: true);
        migrationBuilder.AddContinuousAggregatePolicy(name: "role_hourly", startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour");
        migrationBuilder.RefreshContinuousAggregate(name: "role_hourly");
        migrationBuilder.Sql("""
            CREATE TABLE app_job_runs (job_id int, run_by text DEFAULT current_user, at timestamptz DEFAULT clock_timestamp());
            CREATE PROCEDURE app_rollup(job_id int, config jsonb) LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO app_job_runs (job_id) VALUES (job_id);
            END $$;
            """);
        migrationBuilder.AddJob("app_rollup", "1 day", config: "{\"days\": 2}", initialStart: DateTimeOffset.UtcNow.AddDays(1));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DeleteJob("app_rollup");
        migrationBuilder.Sql("DROP PROCEDURE app_rollup; DROP TABLE app_job_runs;");
        migrationBuilder.DropContinuousAggregate(name: "role_hourly");
        migrationBuilder.DropTable(name: "role_metrics");
    }
}
