using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// Migration classes as `dotnet ef migrations add` writes them, applied by EF's own migrator (<c>Database.MigrateAsync</c>,
/// with Npgsql's migration lock and transaction): the refresh runs outside the transaction, and Down goes back.
/// </summary>
public class ContinuousAggregateMigrateTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Database_migrate_creates_fills_changes_and_rolls_back_the_aggregate()
    {
        var db = fixture.Database;
        var options = new DbContextOptionsBuilder<CaggMigrateContext>()
            .UseNpgsql(db.ConnectionString, o => o.UseTimescale())
            .UseSnakeCaseNamingConvention()
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;
        await using var context = new CaggMigrateContext(options);
        var migrator = context.GetService<IMigrator>();

        await migrator.MigrateAsync(CaggMigrateInitial.Id);

        Assert.Equal(24, await db.ScalarAsync<long>("SELECT count(*) FROM mig_hourly"));
        Assert.Equal(1, await db.ScalarAsync<long>("""
            SELECT count(*) FROM timescaledb_information.continuous_aggregates c
            JOIN _timescaledb_catalog.hypertable h ON h.schema_name = c.materialization_hypertable_schema AND h.table_name = c.materialization_hypertable_name
            JOIN timescaledb_information.jobs j ON j.proc_name = 'policy_refresh_continuous_aggregate' AND (j.config ->> 'mat_hypertable_id')::int = h.id
            WHERE c.view_schema = current_schema() AND c.view_name = 'mig_hourly'
            """));
        var hourly = await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).ToListAsync();
        Assert.Equal(5.5, hourly[0].AvgValue, 9);

        await migrator.MigrateAsync(CaggMigrateMinimum.Id);

        Assert.Contains("min(", await db.ScalarAsync<string>("SELECT view_definition FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'mig_hourly'"), StringComparison.Ordinal);
        Assert.Equal(24, await db.ScalarAsync<long>("SELECT count(*) FROM mig_hourly"));
        Assert.Equal(1.0, (await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).FirstAsync()).MaxValue, 9);

        await migrator.MigrateAsync(CaggMigrateInitial.Id);
        Assert.Contains("max(", await db.ScalarAsync<string>("SELECT view_definition FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'mig_hourly'"), StringComparison.Ordinal);
        Assert.Equal(10.0, (await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).FirstAsync()).MaxValue, 9);

        await migrator.MigrateAsync("0");
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname IN ('mig_hourly', 'mig_metrics') AND relnamespace = current_schema()::regnamespace"));
    }
}

public sealed class CaggMigrateContext(DbContextOptions<CaggMigrateContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => CaggModels.Model("mig_metrics", "mig_hourly")(modelBuilder);
}

[DbContext(typeof(CaggMigrateContext))]
[Migration(Id)]
public sealed class CaggMigrateInitial : Migration
{
    public const string Id = "20261123000001_Initial";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "mig_metrics",
            columns: table => new
            {
                time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                device_id = table.Column<int>(type: "integer", nullable: false),
                value = table.Column<double>(type: "double precision", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_mig_metrics", x => new { x.time, x.device_id }));
        migrationBuilder.CreateHypertable(name: "mig_metrics", timeColumn: "time", chunkInterval: "1 day");

        // Rows before the view exists: the refresh below has to compute them (values 1..10 per hour and device).
        migrationBuilder.Sql("INSERT INTO mig_metrics (time, device_id, value) SELECT timestamptz '2026-01-05' + h * interval '1 hour' + v * interval '5 minutes', d, v FROM generate_series(0, 7) h, generate_series(1, 3) d, generate_series(1, 10) v;");
        migrationBuilder.CreateContinuousAggregate(
            name: "mig_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM mig_metrics GROUP BY 1, 2",
            materializedOnly: true);
        migrationBuilder.AddContinuousAggregatePolicy(name: "mig_hourly", startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour");
        migrationBuilder.RefreshContinuousAggregate(name: "mig_hourly");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropContinuousAggregate(name: "mig_hourly");
        migrationBuilder.DropTable(name: "mig_metrics");
    }
}

[DbContext(typeof(CaggMigrateContext))]
[Migration(Id)]
public sealed class CaggMigrateMinimum : Migration
{
    public const string Id = "20261123000002_Minimum";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropContinuousAggregate(name: "mig_hourly");
        migrationBuilder.CreateContinuousAggregate(
            name: "mig_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, min(value) AS max_value FROM mig_metrics GROUP BY 1, 2",
            materializedOnly: true);
        migrationBuilder.AddContinuousAggregatePolicy(name: "mig_hourly", startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour");
        migrationBuilder.RefreshContinuousAggregate(name: "mig_hourly");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropContinuousAggregate(name: "mig_hourly");
        migrationBuilder.CreateContinuousAggregate(
            name: "mig_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM mig_metrics GROUP BY 1, 2",
            materializedOnly: true);
        migrationBuilder.AddContinuousAggregatePolicy(name: "mig_hourly", startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour");
        migrationBuilder.RefreshContinuousAggregate(name: "mig_hourly");
    }
}
