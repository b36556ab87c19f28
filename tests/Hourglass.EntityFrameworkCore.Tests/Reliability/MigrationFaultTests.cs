using System.Diagnostics;
using System.Globalization;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Reliability;

/// <summary>Migrations under faults: a process killed mid-migration, and two application instances migrating at once.</summary>
[Collection(ReliabilityTests.Name)]
public sealed class MigrationFaultTests
{
    /// <summary>
    /// The migration has a transactional part (table, hypertable, rows, the aggregate created empty, its policy, the
    /// record of its refresh) and a step that runs after the commit (the refresh). Two instances start together on an
    /// empty database, on both servers: on the embedded one Hourglass's advisory lock cannot exclude the second client.
    /// </summary>
    [Fact]
    public async Task Two_instances_migrating_at_once_leave_one_correct_schema()
    {
        var server = await TestServers.Timescale;
        await using var database = await server.CreateDatabaseAsync("migrate2");

        using var start = new Barrier(2);
        var instances = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var options = new DbContextOptionsBuilder<CaggMigrateContext>()
                .UseNpgsql(database.ConnectionString, o => o.UseTimescale())
                .UseSnakeCaseNamingConvention()
                .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
                .Options;
            await using var context = new CaggMigrateContext(options);
            var migrator = context.GetService<IMigrator>();
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            try
            {
                await migrator.MigrateAsync(CaggMigrateInitial.Id);
                return (Exception?)null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        })).ToList();
        var errors = await Task.WhenAll(instances);

        var history = await database.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\"");
        var tables = await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'mig_metrics'");
        var hypertables = await database.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = 'mig_metrics'");
        var rows = await database.ScalarAsync<long>("SELECT count(*) FROM mig_metrics");
        var aggregates = await database.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'mig_hourly'");
        var buckets = await database.ScalarAsync<long>("SELECT count(*) FROM mig_hourly");
        var policies = await database.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate' AND hypertable_schema = current_schema()");
        var pendingLeft = await database.ScalarAsync<bool>("SELECT to_regclass('\"__HourglassPendingRefreshes\"') IS NOT NULL");

        var failed = errors.Where(e => e is not null).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        Assert.Equal(1, history);
        Assert.Equal(1, tables);
        Assert.Equal(1, hypertables);
        Assert.Equal(8 * 3 * 10, rows);
        Assert.Equal(1, aggregates);
        Assert.Equal(24, buckets);
        Assert.Equal(1, policies);
        Assert.False(pendingLeft);

        var serverName = server.IsNative ? "native TimescaleDB" : "embedded TimescaleDB";
        await ReliabilityDoc.MatchesAsync($"concurrent-migrate-{(server.IsNative ? "native" : "embedded")}", string.Join("\n",
            $"{serverName}: two instances of an application called `Database.MigrateAsync()` on an empty database at the same moment (two contexts, " +
            "two connections). The migration creates a table, makes it a hypertable, inserts 240 rows, creates a continuous aggregate " +
            "empty with its refresh policy and records its refresh, all inside EF's transaction; the refresh runs after the commit. " +
            (server.IsNative
                ? "Npgsql's migration lock lasts one transaction; Hourglass holds a session-level advisory lock around the whole " +
                  "`MigrateAsync`, refresh included, so the second instance waits for the first and then finds the migration applied and nothing pending."
                : "The embedded engine has one session, which holds every client's advisory locks, so Hourglass's lock does not exclude the " +
                  "second instance there. The migration, its history row and the refresh's record are one transaction, and clients take turns " +
                  "per transaction: the second instance finds the migration applied; both may finish the recorded refresh, which is safe to run twice."),
            "",
            ReliabilityDoc.Table(["measured", "value"],
            [
                ["instances that failed", failed.Count.ToString(CultureInfo.InvariantCulture)],
                ["rows in __EFMigrationsHistory", history.ToString(CultureInfo.InvariantCulture)],
                ["tables / hypertables mig_metrics", $"{tables} / {hypertables}"],
                ["rows in mig_metrics (240 when inserted once)", rows.ToString(CultureInfo.InvariantCulture)],
                ["continuous aggregates / refresh policies", $"{aggregates} / {policies}"],
                ["buckets in the aggregate (24 expected)", buckets.ToString(CultureInfo.InvariantCulture)],
                ["refreshes left pending", pendingLeft ? "some" : "none"],
            ])));
    }

    /// <summary>
    /// The migrating session is terminated by the server mid-migration. The caller gets that error, not the error of
    /// releasing the migration lock on the broken connection afterwards, and the next run applies the migration.
    /// </summary>
    [NativeTimescaleFact("pg_terminate_backend from a second session")]
    public async Task A_migration_whose_session_is_terminated_reports_the_termination_and_the_next_run_applies_it()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        await using var database = await server.CreateDatabaseAsync("migterm");
        var victim = database.TagSessions("migration-victim");
        var options = new DbContextOptionsBuilder<TerminatedMigrationContext>()
            .UseNpgsql(victim.ConnectionString, o => o.UseTimescale())
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;

        Exception failure;
        await using (var context = new TerminatedMigrationContext(options))
        {
            var migrate = Task.Run(() => context.Database.MigrateAsync());
            var terminated = false;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!terminated && DateTime.UtcNow < deadline)
            {
                terminated = await database.ScalarAsync<bool>(
                    $"SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity WHERE {victim.Backends} AND query LIKE '%terminate me%' AND state = 'active'");
            }

            Assert.True(terminated, "the migration's statement was not seen running");
            failure = await Assert.ThrowsAnyAsync<Exception>(() => migrate);
        }

        // Npgsql's execution strategy wraps it as a transient failure; the server's error is the one inside.
        var postgres = failure as Npgsql.PostgresException ?? failure.InnerException as Npgsql.PostgresException;
        Assert.True(postgres?.SqlState == Npgsql.PostgresErrorCodes.AdminShutdown, failure.ToString());
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'terminated_metrics'"));

        await using (var rerun = new TerminatedMigrationContext(options))
        {
            TerminatedMigration.Sleep = false;
            try
            {
                await rerun.Database.MigrateAsync();
            }
            finally
            {
                TerminatedMigration.Sleep = true;
            }
        }

        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'terminated_metrics'"));
    }

    /// <summary>Where the migrating process is killed: the step the kill target announces before sending its statement.</summary>
    public static TheoryData<string> KillPoints() => new() { "transaction", "refresh" };

    /// <summary>
    /// `database update` in a child process, killed with SIGKILL while a step's statement runs on the server, then run
    /// again. On the native server a second session sees the statement running before the kill; the embedded engine runs
    /// one statement at a time, so there the kill comes a moment after the statement was sent, and the state after the
    /// kill shows that it landed inside the step.
    /// </summary>
    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task Sigkill_during_database_update_then_update_again_completes_with_nothing_half_applied(string step)
    {
        var server = await TestServers.Timescale;
        var native = server.IsNative;
        // Native 2.29 refreshed 1,000,000 rows so fast that the run once ended between the statement being seen and the kill:
        // the refresh step on a native server gets three times the rows.
        var readingsPerDevice = native && step == "refresh" ? 300_000 : 100_000;
        var totalRows = readingsPerDevice * 10L;
        await using var database = await server.CreateDatabaseAsync("killmig");
        var killed = database.TagSessions("killed-update");

        using (var child = Process.Start(KillTargets.Start("Hourglass.Migrations.KillTarget", killed.ConnectionString, readingsPerDevice.ToString(CultureInfo.InvariantCulture)))!)
        {
            var stderr = child.StandardError.ReadToEndAsync();
            string? line;
            do
            {
                // The steps before the kill point insert up to 3,000,000 rows: minutes on a loaded machine, never a hang.
                line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(5));
            }
            while (line is not null && line != $"step {step}");
            if (line is null)
            {
                Assert.Fail($"the kill target ended before the step {step}: {await stderr}");
            }

            if (native)
            {
                // Wait until the server runs the step's statement, so that the kill lands inside it.
                var pattern = step == "refresh" ? "CALL refresh_continuous_aggregate%" : "%kill point: in the transaction%";
                var seen = false;
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (!seen && DateTime.UtcNow < deadline)
                {
                    seen = await database.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE {killed.Backends} AND state = 'active' AND query LIKE '{pattern}'") == 1;
                }

                Assert.True(seen, $"the step {step} was not seen running");
            }
            else
            {
                // A moment for the statement to reach the engine, far shorter than the statement itself: the refresh now
                // runs last, so a refresh that ended before the kill let the whole run end (seen once with 100 ms and
                // 500,000 rows).
                await Task.Delay(25);
            }

            child.Kill(entireProcessTree: true); // SIGKILL: no rollback, no goodbye to the server
            await child.WaitForExitAsync();
            if (child.ExitCode == 0)
            {
                Assert.Fail($"the kill target ended by itself before it was killed: {await child.StandardOutput.ReadToEndAsync()}");
            }
        }

        // The server aborts the killed session's transaction once it notices the closed socket.
        if (native)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await database.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE {killed.Backends}") > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        var afterKill = await StateAsync(database);
        if (step == "transaction")
        {
            // Nothing of the first migration's transaction is left, and the second never started.
            Assert.Equal(new MigrationState(0, null, false, 0, 0, null, null), afterKill);
        }
        else
        {
            // Both migrations are recorded, each with everything its transaction held: the second's plain table, the
            // aggregate created empty, its policy, and the record of the refresh it asked for, which is still there.
            // The server finishes the refresh it was running (PostgreSQL notices a vanished client only when it next
            // talks to it, unless client_connection_check_interval is set; the embedded engine drops the output): the
            // aggregate is filled.
            var buckets = await database.ScalarAsync<long>("SELECT count(*) FROM (SELECT DISTINCT time_bucket('1 hour', time), device FROM kill_readings) b");
            Assert.Equal(new MigrationState(2, totalRows, true, 1, 1, buckets, 1), afterKill);
        }

        using var rerun = Process.Start(KillTargets.Start("Hourglass.Migrations.KillTarget", database.ConnectionString, readingsPerDevice.ToString(CultureInfo.InvariantCulture)))!;
        var rerunError = rerun.StandardError.ReadToEndAsync();
        var rerunOutput = await rerun.StandardOutput.ReadToEndAsync();
        await rerun.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(rerun.ExitCode == 0, $"the second `database update` failed ({rerun.ExitCode}): {rerunOutput}\n{await rerunError}");
        // The rerun says that it finishes what the killed run left pending, and only then.
        Assert.Equal(step == "refresh", rerunOutput.Contains("interrupted before it finished the refresh of continuous aggregate", StringComparison.Ordinal));

        var final = await StateAsync(database);
        var expectedBuckets = await database.ScalarAsync<long>("SELECT count(*) FROM (SELECT DISTINCT time_bucket('1 hour', time), device FROM kill_readings) b");
        var wrongBuckets = await database.ScalarAsync<long>("""
            SELECT count(*) FROM (SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS samples FROM kill_readings GROUP BY 1, 2) r
            FULL JOIN kill_hourly a USING (bucket, device) WHERE a.samples IS DISTINCT FROM r.samples
            """);
        Assert.Equal(new MigrationState(2, totalRows, true, 1, 1, expectedBuckets, null), final);
        Assert.Equal(0, wrongBuckets);

        var where = step == "transaction"
            ? "while the first migration's `INSERT` ran inside EF's transaction"
            : "while the second migration's `CALL refresh_continuous_aggregate` ran, outside the transaction, after the migration (a plain table, the aggregate's `CREATE MATERIALIZED VIEW ... WITH NO DATA`, its policy and the record of the pending refresh) had been committed with its history row";
        var serverName = native ? "native TimescaleDB" : "embedded TimescaleDB";
        await ReliabilityDoc.MatchesAsync($"kill-{step}-{(native ? "native" : "embedded")}", string.Join("\n",
            $"{serverName}: `Database.MigrateAsync()` in a child process (as `dotnet ef database update` runs it) was killed with SIGKILL " +
            $"{where}, then run again. The first migration creates a hypertable and inserts {totalRows.ToString("N0", CultureInfo.InvariantCulture)} rows; " +
            "the second creates a plain table (EF's `CreateTable`) and a continuous aggregate with a refresh policy, and refreshes the aggregate. " +
            (step == "transaction"
                ? "The server finished the running statement, then found the client gone and rolled the transaction back."
                : "Hourglass records the refresh inside the migration's transaction and runs it once the migration is committed, so the kill left both migrations recorded and the refresh recorded as pending (the server itself finished the running refresh: a server notices a vanished client only when it next talks to it). The rerun finds no migration to apply, runs the pending refresh again with a `PendingStepResumed` warning, and drops the record."),
            "",
            ReliabilityDoc.Table(["measured", "after the kill", "after running again"],
            [
                ["migrations in __EFMigrationsHistory (of 2)", afterKill.History.ToString(CultureInfo.InvariantCulture), final.History.ToString(CultureInfo.InvariantCulture)],
                ["rows in kill_readings", Count(afterKill.Rows, "no table"), Count(final.Rows, "no table")],
                ["table kill_devices (the second migration's `CreateTable`)", afterKill.Devices ? "exists" : "absent", final.Devices ? "exists" : "absent"],
                ["continuous aggregates / refresh policies", $"{afterKill.Aggregates} / {afterKill.Policies}", $"{final.Aggregates} / {final.Policies}"],
                ["buckets in the aggregate", Count(afterKill.Buckets, "no aggregate"), $"{Count(final.Buckets, "no aggregate")} (the source has {expectedBuckets.ToString("N0", CultureInfo.InvariantCulture)}; {wrongBuckets} differ)"],
                ["refreshes recorded as pending", Count(afterKill.PendingRefreshes, "none (no table)"), Count(final.PendingRefreshes, "none (no table)")],
                ["exit code of the second run", "", rerun.ExitCode.ToString(CultureInfo.InvariantCulture)],
            ])));
    }

    private static string Count(long? value, string none) => value?.ToString("N0", CultureInfo.InvariantCulture) ?? none;

    private sealed record MigrationState(long History, long? Rows, bool Devices, long Aggregates, long Policies, long? Buckets, long? PendingRefreshes);

    private static async Task<MigrationState> StateAsync(TestDatabase database)
    {
        var hasHistory = await database.ScalarAsync<bool>("SELECT to_regclass('\"__EFMigrationsHistory\"') IS NOT NULL");
        var hasTable = await database.ScalarAsync<bool>("SELECT to_regclass('kill_readings') IS NOT NULL");
        var aggregates = await database.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'kill_hourly'");
        var hasPending = await database.ScalarAsync<bool>("SELECT to_regclass('\"__HourglassPendingRefreshes\"') IS NOT NULL");
        return new MigrationState(
            hasHistory ? await database.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\"") : 0,
            hasTable ? await database.ScalarAsync<long>("SELECT count(*) FROM kill_readings") : null,
            await database.ScalarAsync<bool>("SELECT to_regclass('kill_devices') IS NOT NULL"),
            aggregates,
            await database.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate' AND hypertable_schema = current_schema()"),
            aggregates == 1 ? await database.ScalarAsync<long>("SELECT count(*) FROM kill_hourly") : null,
            hasPending ? await database.ScalarAsync<long>("SELECT count(*) FROM \"__HourglassPendingRefreshes\"") : null);
    }
}

public sealed class TerminatedMigrationContext(DbContextOptions<TerminatedMigrationContext> options) : DbContext(options);

[DbContext(typeof(TerminatedMigrationContext))]
[Migration("20261129000001_Terminated")]
public sealed class TerminatedMigration : Migration
{
    /// <summary>Whether the migration waits long enough for a second session to terminate it.</summary>
    public static bool Sleep { get; set; } = true;

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("CREATE TABLE terminated_metrics (time timestamptz NOT NULL, value double precision);");
        migrationBuilder.Sql($"SELECT pg_sleep({(Sleep ? 30 : 0)}) /* terminate me */;");
    }
}
