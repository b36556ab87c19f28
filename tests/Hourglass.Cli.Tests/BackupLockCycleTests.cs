using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// <c>backup --checksums</c> holds share locks on the tables it checksummed until pg_dump is done. A session that asks for
/// an exclusive lock on one of them meanwhile (a retention or columnstore job, a migration) waits for those, and
/// pg_dump's share lock then queues behind that session: a wait cycle through the hourglass process that PostgreSQL's
/// deadlock detector cannot see. Seen in CI as a backup that hung until its timeout while a TimescaleDB job waited.
/// </summary>
public sealed class BackupLockCycleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-lockcycle-").FullName;

    [NativeTimescaleFact("pg_dump matching the server and sessions that wait for each other's locks")]
    public async Task A_session_that_waits_for_the_checksum_snapshot_while_pg_dump_waits_for_it_makes_the_backup_start_over_not_hang()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions | NativeNeeds.Databases | NativeNeeds.Superuser | NativeNeeds.ClientTools);
        await using var source = await server.CreateDatabaseAsync("lockcycle");
        await source.ExecuteAsync(
            """
            CREATE TABLE a (id int PRIMARY KEY, note text);
            CREATE TABLE b (id int PRIMARY KEY, note text);
            INSERT INTO a SELECT i, 'a' || i FROM generate_series(1, 100) i;
            INSERT INTO b SELECT i, 'b' || i FROM generate_series(1, 100) i;
            """);

        // The checksums read a, then b: holding b exclusively stops them after a, with a share lock on a held.
        await using var holdB = await source.OpenAsync();
        await using var holdBTransaction = await holdB.BeginTransactionAsync();
        await Execute(holdB, holdBTransaction, "LOCK TABLE b IN ACCESS EXCLUSIVE MODE");

        using var backup = CliProcess.Start(["backup", Path.Combine(_folder, "cycle.dump"), "--checksums", "--pg-bin", server.BinDirectory!, "--connection", source.ConnectionString]);
        await WaitForLockWaitAsync(source, "b", "AccessShareLock", backup);

        // The other session: wants a exclusively, so it waits for the backup's snapshot (and will write a row once it may).
        await using var wantA = await source.OpenAsync();
        await using var wantATransaction = await wantA.BeginTransactionAsync();
        var lockA = Execute(wantA, wantATransaction, "LOCK TABLE a IN ACCESS EXCLUSIVE MODE");
        await WaitForLockWaitAsync(source, "a", "AccessExclusiveLock", backup);

        // Let the checksums finish: pg_dump starts and its share lock on a queues behind the session waiting for the snapshot.
        await holdBTransaction.CommitAsync();

        // The backup notices, rolls its snapshot back (so the other session gets its lock) and starts over.
        await backup.WaitForLineAsync("pg_dump waited for a table lock behind", TimeSpan.FromMinutes(1));
        Assert.Contains("starting over (attempt 2 of 3)", backup.Output, StringComparison.Ordinal);
        await lockA.WaitAsync(TimeSpan.FromMinutes(1));
        await Execute(wantA, wantATransaction, "INSERT INTO a VALUES (101, 'written while the backup waited')");
        await wantATransaction.CommitAsync();

        await backup.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.True(backup.Process.ExitCode == 0, backup.Output);
        Assert.Contains("Recorded row counts and checksums of 2 table(s)", backup.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_folder, "*.partial"));

        // The backup that finished is the second attempt, one moment: its snapshot was taken before the other session's row
        // committed (its checksums then waited for that session's lock), and its checksums agree with what it dumped.
        await using var target = await server.CreateDatabaseAsync("lockcycle_restored", createExtension: false);
        var (restoreExit, restoreOutput) = await CliProcess.RunAsync(["restore", Path.Combine(_folder, "cycle.dump"), "--pg-bin", server.BinDirectory!, "--connection", target.ConnectionString]);
        Assert.True(restoreExit == 0, restoreOutput);
        Assert.Contains("Verified 2 table(s): row counts and checksums match the backup", restoreOutput, StringComparison.Ordinal);
        Assert.Equal(100, await target.ScalarAsync<long>("SELECT count(*) FROM a"));
        Assert.Equal(101, await source.ScalarAsync<long>("SELECT count(*) FROM a"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until some session waits for <paramref name="mode"/> on this database's table <paramref name="table"/>.</summary>
    private static async Task WaitForLockWaitAsync(TestDatabase database, string table, string mode, CliProcess backup)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!await database.ScalarAsync<bool>(
                   $"SELECT EXISTS (SELECT FROM pg_locks WHERE NOT granted AND relation = '{table}'::regclass AND mode = '{mode}' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"))
        {
            Assert.True(DateTime.UtcNow < deadline && !backup.Process.HasExited, $"No session waited for {mode} on {table}. Backup output:\n{backup.Output}");
            await Task.Delay(100);
        }
    }
}
