using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Hourglass.EntityFrameworkCore.Infrastructure;

// Usage: Hourglass.Migrations.KillTarget <connection string> <readings per device>
// Applies the two migrations below as `dotnet ef database update` does (Database.MigrateAsync) and prints
// "step <name>" as each kill point's statement is sent, so the parent can kill it there; run again, it completes.
Size.ReadingsPerDevice = int.Parse(args[1], CultureInfo.InvariantCulture);
var options = new DbContextOptionsBuilder<KillMigrationContext>()
    // Inserting 3,000,000 rows took longer than EF's default 30 s command timeout on a loaded 2-core CI machine; the test
    // is about the kill, not about timeouts.
    .UseNpgsql(args[0], o => o.UseTimescale().CommandTimeout(600))
    .AddInterceptors(new StepAnnouncer())
    .LogTo(Console.WriteLine, [TimescaleEventId.PendingStepResumed])
    .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
    .Options;
await using var context = new KillMigrationContext(options);
await context.Database.MigrateAsync();
Console.WriteLine("migrated");
return 0;

internal static class Size
{
    public const int Devices = 10;

    public static int ReadingsPerDevice { get; set; }
}

/// <summary>Tells the parent which kill point's statement is about to run.</summary>
internal sealed class StepAnnouncer : DbCommandInterceptor
{
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Announce(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Announce(command);
        return ValueTask.FromResult(result);
    }

    private static void Announce(DbCommand command)
    {
        if (command.CommandText.Contains("kill point: in the transaction", StringComparison.Ordinal))
        {
            Console.WriteLine("step transaction");
        }
        else if (command.CommandText.Contains("CREATE MATERIALIZED VIEW", StringComparison.Ordinal))
        {
            Console.WriteLine("step create-aggregate");
        }
        else if (command.CommandText.Contains("refresh_continuous_aggregate", StringComparison.Ordinal))
        {
            Console.WriteLine("step refresh");
        }

        Console.Out.Flush();
    }
}

internal sealed class KillMigrationContext(DbContextOptions<KillMigrationContext> options) : DbContext(options);

/// <summary>All in the migration transaction: a table, a hypertable and its rows; the INSERT is a kill point.</summary>
[DbContext(typeof(KillMigrationContext))]
[Migration("20261128000001_Readings")]
internal sealed class Readings : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("CREATE TABLE kill_readings (time timestamptz NOT NULL, device int NOT NULL, value double precision NOT NULL, PRIMARY KEY (time, device));");
        migrationBuilder.CreateHypertable(name: "kill_readings", timeColumn: "time", chunkInterval: "7 days");
        migrationBuilder.Sql($"""
            INSERT INTO kill_readings /* kill point: in the transaction */
            SELECT timestamptz '2025-01-01 00:00:00+00' + s * interval '10 seconds', d, s % 100
            FROM generate_series(0, {Size.ReadingsPerDevice - 1}) s, generate_series(1, {Size.Devices}) d;
            """);
    }
}

/// <summary>
/// A plain EF table beside a continuous aggregate as the differ writes it: created empty with its refresh policy in the
/// transaction, then refreshed outside it once the migration is recorded; the refresh is a kill point. (EF alone would
/// commit the table before the refresh and record the migration after it, so a rerun after a kill there failed on the
/// table.)
/// </summary>
[DbContext(typeof(KillMigrationContext))]
[Migration("20261128000002_Hourly")]
internal sealed class Hourly : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "kill_devices",
            columns: table => new
            {
                id = table.Column<int>(type: "integer", nullable: false),
                name = table.Column<string>(type: "text", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_kill_devices", x => x.id));
        migrationBuilder.CreateContinuousAggregate(
            name: "kill_hourly",
            sql: "SELECT time_bucket('1 hour', time) AS bucket, device, avg(value) AS avg_value, count(*) AS samples FROM kill_readings GROUP BY 1, 2",
            materializedOnly: true);
        migrationBuilder.AddContinuousAggregatePolicy(name: "kill_hourly", startOffset: "30 days", endOffset: "1 hour", scheduleInterval: "1 hour");
        migrationBuilder.RefreshContinuousAggregate(name: "kill_hourly");
    }
}
