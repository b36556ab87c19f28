using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// A migration's refresh is recorded inside its transaction and run once the migration is committed: a refresh that
/// fails leaves the migration recorded and the refresh pending, said in the error, and the next run finishes it.
/// </summary>
public class PendingRefreshTests
{
    private const string PendingTable = "\"__HourglassPendingRefreshes\"";

    [Fact]
    public async Task A_refresh_that_fails_stays_pending_with_its_migration_recorded_and_the_next_run_finishes_it()
    {
        await using var db = await (await TestServers.Timescale).CreateDatabaseAsync("pendingfail");
        var logged = new List<string>();
        await using var context = new PendingRefreshContext(Options(db, logged));

        // The aggregate divides by (value - 13): the one row with value 13 makes the refresh fail.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.MigrateAsync());

        var schema = await db.ScalarAsync<string>("SELECT current_schema()");
        Assert.Contains($"The migrations were applied and recorded, but the refresh of continuous aggregate {schema}.pending_hourly", failure.Message, StringComparison.Ordinal);
        Assert.Contains("the next Migrate(), MigrateAsync() or `dotnet ef database update` runs it again", failure.Message, StringComparison.Ordinal);
        Assert.Equal("22012", Assert.IsType<Npgsql.PostgresException>(failure.InnerException).SqlState);
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM pending_devices"));
        Assert.Equal(1, await db.ScalarAsync<long>($"SELECT count(*) FROM {PendingTable} WHERE view_schema = current_schema() AND view_name = 'pending_hourly'"));
        Assert.Equal(1, await db.ScalarAsync<long>($"SELECT count(*) FROM {PendingTable}"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pending_hourly"));
        await using (var library = new Npgsql.NpgsqlConnection(db.ConnectionString))
        {
            var recorded = Assert.Single(await library.Timescale().GetPendingMigrationRefreshesAsync([schema]));
            Assert.Equal($"{schema}.pending_hourly", recorded.QualifiedName);
            Assert.Empty(await library.Timescale().GetPendingMigrationRefreshesAsync(["no_such_schema"]));
        }

        Assert.Empty(logged);

        // Scaffolding leaves the migrator's bookkeeping out, as EF leaves out its history table (EF skips both by itself).
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(context), db.ConnectionString, schema);
        Assert.Contains(scaffolded.AdditionalFiles, f => f.Path.Contains("PendingDevice", StringComparison.Ordinal));
        Assert.DoesNotContain(scaffolded.AdditionalFiles, f => f.Code.Contains("__HourglassPendingRefreshes", StringComparison.Ordinal));
        Assert.DoesNotContain("__HourglassPendingRefreshes", scaffolded.ContextFile.Code, StringComparison.Ordinal);

        // The cause fixed, the synchronous path finishes the refresh, says so, and forgets it.
        await db.ExecuteAsync("DELETE FROM pending_metrics WHERE value = 13");
        context.Database.Migrate();

        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.Equal(
            await db.ScalarAsync<long>("SELECT count(DISTINCT (time_bucket('1 hour', time), device_id)) FROM pending_metrics"),
            await db.ScalarAsync<long>("SELECT count(*) FROM pending_hourly"));
        Assert.False(await db.ScalarAsync<bool>($"SELECT to_regclass('{PendingTable}') IS NOT NULL"));
        await using (var library = new Npgsql.NpgsqlConnection(db.ConnectionString))
        {
            Assert.Empty(await library.Timescale().GetPendingMigrationRefreshesAsync([schema]));
        }

        var resumed = Assert.Single(logged);
        Assert.Contains($"interrupted before it finished the refresh of continuous aggregate {schema}.pending_hourly", resumed, StringComparison.Ordinal);

        // Nothing left: a third run has nothing to say.
        await context.Database.MigrateAsync();
        Assert.Single(logged);
    }

    /// <summary>Native only: a command timeout cancels the refresh on the server; the embedded engine runs it to the end.</summary>
    [NativeTimescaleFact("a command timeout that cancels a running refresh")]
    public async Task A_refresh_that_outlasts_the_command_timeout_stays_pending_and_says_to_raise_the_timeout()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        await using var db = await server.CreateDatabaseAsync("pendingtimeout");
        await db.ExecuteAsync("""
            CREATE TABLE pending_metrics (time timestamptz NOT NULL, device_id int NOT NULL, value int NOT NULL);
            SELECT create_hypertable('pending_metrics', by_range('time', INTERVAL '30 days'));
            INSERT INTO pending_metrics SELECT timestamptz '2025-01-01' + s * interval '1 second', s % 50, s % 1000 FROM generate_series(1, 4000000) s;
            """);
        await using var context = new PendingDropContext(Options<PendingDropContext>(db, []));
        context.Database.SetCommandTimeout(1);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.MigrateAsync("20261129000011_Create"));

        Assert.Contains("the refresh stays recorded", failure.Message, StringComparison.Ordinal);
        Assert.Contains("outlast the command timeout; raise it", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, await db.ScalarAsync<long>($"SELECT count(*) FROM {PendingTable}"));

        context.Database.SetCommandTimeout(0);
        await context.Database.MigrateAsync("20261129000011_Create");

        Assert.False(await db.ScalarAsync<bool>($"SELECT to_regclass('{PendingTable}') IS NOT NULL"));
        Assert.Equal(
            await db.ScalarAsync<long>("SELECT count(DISTINCT (time_bucket('1 hour', time), device_id)) FROM pending_metrics"),
            await db.ScalarAsync<long>("SELECT count(*) FROM pending_hourly"));
    }

    [Fact]
    public async Task An_aggregate_created_and_dropped_in_one_run_leaves_nothing_pending()
    {
        await using var db = await (await TestServers.Timescale).CreateDatabaseAsync("pendingdrop");
        await db.ExecuteAsync("CREATE TABLE pending_metrics (time timestamptz NOT NULL, device_id int NOT NULL, value int NOT NULL); SELECT create_hypertable('pending_metrics', by_range('time'));");
        var logged = new List<string>();
        await using var context = new PendingDropContext(Options<PendingDropContext>(db, logged));

        await context.Database.MigrateAsync();

        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.False(await db.ScalarAsync<bool>("SELECT to_regclass('pending_hourly') IS NOT NULL"));
        Assert.False(await db.ScalarAsync<bool>($"SELECT to_regclass('{PendingTable}') IS NOT NULL"));
        Assert.Empty(logged);
    }

    [Fact]
    public async Task Scripts_keep_the_refresh_as_a_command_outside_the_transaction_and_record_nothing()
    {
        await using var db = await (await TestServers.Timescale).CreateDatabaseAsync("pendingscript");
        await using var context = new PendingRefreshContext(Options(db, []));

        var script = context.GetService<IMigrator>().GenerateScript();

        Assert.Contains("CALL refresh_continuous_aggregate('pending_hourly', NULL, NULL);", script, StringComparison.Ordinal);
        Assert.DoesNotContain("__HourglassPendingRefreshes", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_migration_creating_an_aggregate_whose_name_is_taken_fails_and_applies_nothing()
    {
        await using var db = await (await TestServers.Timescale).CreateDatabaseAsync("pendingclash");
        await db.ExecuteAsync("CREATE TABLE clash_metrics (time timestamptz NOT NULL, value int NOT NULL); SELECT create_hypertable('clash_metrics', by_range('time'));");
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW clash_hourly WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', time) AS bucket, max(value) AS other FROM clash_metrics GROUP BY 1 WITH NO DATA");
        await using var context = new PendingClashContext(Options<PendingClashContext>(db, []));

        var failure = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => context.Database.MigrateAsync());

        Assert.Equal(Npgsql.PostgresErrorCodes.DuplicateTable, failure.SqlState);
        Assert.Contains("clash_hourly", failure.MessageText, StringComparison.Ordinal);
        Assert.False(await db.ScalarAsync<bool>("SELECT to_regclass('clash_devices') IS NOT NULL"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.Contains("max(", await db.ScalarAsync<string>("SELECT view_definition FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'clash_hourly'"), StringComparison.Ordinal);
    }

    private static DbContextOptions<PendingRefreshContext> Options(TestDatabase db, List<string> logged) => Options<PendingRefreshContext>(db, logged);

    private static DbContextOptions<T> Options<T>(TestDatabase db, List<string> logged)
        where T : DbContext
        => new DbContextOptionsBuilder<T>()
            .UseNpgsql(db.ConnectionString, o => o.UseTimescale())
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .LogTo(logged.Add, [TimescaleEventId.PendingStepResumed])
            .Options;
}

public sealed class PendingRefreshContext(DbContextOptions<PendingRefreshContext> options) : DbContext(options);

public sealed class PendingDropContext(DbContextOptions<PendingDropContext> options) : DbContext(options);

[DbContext(typeof(PendingRefreshContext))]
[Migration("20261129000001_Metrics")]
public sealed class PendingRefreshMetrics : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("CREATE TABLE pending_metrics (time timestamptz NOT NULL, device_id int NOT NULL, value int NOT NULL);");
        migrationBuilder.CreateHypertable(name: "pending_metrics", timeColumn: "time", chunkInterval: "1 day");
        migrationBuilder.Sql("INSERT INTO pending_metrics SELECT timestamptz '2026-01-05' + h * interval '1 hour', d, h * 10 + d FROM generate_series(0, 9) h, generate_series(1, 3) d;");
    }
}

/// <summary>A plain table beside the aggregate: recorded with the migration although the refresh fails.</summary>
[DbContext(typeof(PendingRefreshContext))]
[Migration("20261129000002_Hourly")]
public sealed class PendingRefreshHourly : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "pending_devices",
            columns: table => new { id = table.Column<int>(type: "integer", nullable: false) },
            constraints: table => table.PrimaryKey("pk_pending_devices", x => x.id));
        migrationBuilder.Sql("INSERT INTO pending_devices VALUES (1);");
        migrationBuilder.CreateContinuousAggregate(
            name: "pending_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, sum(100 / (value - 13)) AS spread FROM pending_metrics GROUP BY 1, 2",
            materializedOnly: true);
        migrationBuilder.RefreshContinuousAggregate(name: "pending_hourly");
    }
}

[DbContext(typeof(PendingDropContext))]
[Migration("20261129000011_Create")]
public sealed class PendingDropCreate : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateContinuousAggregate(
            name: "pending_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, sum(value) AS total FROM pending_metrics GROUP BY 1, 2",
            materializedOnly: true);
        migrationBuilder.RefreshContinuousAggregate(name: "pending_hourly");
    }
}

[DbContext(typeof(PendingDropContext))]
[Migration("20261129000012_Drop")]
public sealed class PendingDropDrop : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.DropContinuousAggregate(name: "pending_hourly");
}

public sealed class PendingClashContext(DbContextOptions<PendingClashContext> options) : DbContext(options);

[DbContext(typeof(PendingClashContext))]
[Migration("20261129000021_Clash")]
public sealed class PendingClashMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "clash_devices",
            columns: table => new { id = table.Column<int>(type: "integer", nullable: false) },
            constraints: table => table.PrimaryKey("pk_clash_devices", x => x.id));
        migrationBuilder.CreateContinuousAggregate(
            name: "clash_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, sum(value) AS total FROM clash_metrics GROUP BY 1",
            materializedOnly: true);
        migrationBuilder.RefreshContinuousAggregate(name: "clash_hourly");
    }
}
