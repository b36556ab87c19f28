using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// `doctor` sees a refresh that Hourglass's EF migrator recorded with an applied migration and could not run (here the
/// aggregate's query divides by zero), and stops warning once the next migration run has finished it.
/// </summary>
public sealed class DoctorPendingRefreshTests
{
    [Fact]
    public async Task Doctor_warns_about_a_refresh_a_migration_left_pending_until_the_next_run_finishes_it()
    {
        await using var db = await (await TestServers.Timescale).CreateDatabaseAsync("doctorpending");
        var options = new DbContextOptionsBuilder<DoctorPendingContext>()
            .UseNpgsql(db.ConnectionString, o => o.UseTimescale())
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;
        await using var context = new DoctorPendingContext(options);
        await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.MigrateAsync());

        var (exitCode, json, output) = await CliJson.RunAsync("doctor", "--json", "--schema", db.Schema, "--ignore", Doctor.ServerChecks, "--connection", db.ConnectionString);

        Assert.True(exitCode == 1, output);
        var aggregates = json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "aggregates");
        Assert.Equal("warn", aggregates.GetProperty("level").GetString());
        Assert.Contains($"{db.Schema}.doctor_pending_hourly (pending since", aggregates.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Run the migrations again", aggregates.GetProperty("message").GetString(), StringComparison.Ordinal);

        await db.ExecuteAsync("DELETE FROM doctor_pending_metrics WHERE value = 13");
        await context.Database.MigrateAsync();
        (exitCode, json, output) = await CliJson.RunAsync("doctor", "--json", "--schema", db.Schema, "--ignore", Doctor.ServerChecks, "--connection", db.ConnectionString);

        Assert.Equal("pass", Doctor.Levels(json)["aggregates"]);
    }
}

public sealed class DoctorPendingContext(DbContextOptions<DoctorPendingContext> options) : DbContext(options);

[DbContext(typeof(DoctorPendingContext))]
[Migration("20261129000001_Hourly")]
public sealed class DoctorPendingHourly : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("CREATE TABLE doctor_pending_metrics (time timestamptz NOT NULL, value int NOT NULL);");
        migrationBuilder.CreateHypertable(name: "doctor_pending_metrics", timeColumn: "time", chunkInterval: "1 day");
        migrationBuilder.Sql("INSERT INTO doctor_pending_metrics SELECT timestamptz '2026-01-05' + h * interval '1 hour', h FROM generate_series(0, 20) h;");
        migrationBuilder.CreateContinuousAggregate(
            name: "doctor_pending_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, sum(100 / (value - 13)) AS spread FROM doctor_pending_metrics GROUP BY 1",
            materializedOnly: true);
        migrationBuilder.RefreshContinuousAggregate(name: "doctor_pending_hourly");
    }
}
