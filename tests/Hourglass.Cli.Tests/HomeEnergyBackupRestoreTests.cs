using System.Diagnostics;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// samples/HomeEnergy (seed 003), task 10: the seed's backup and restore scripts as `hourglass backup --keep 7` and
/// `hourglass restore` into a fresh database, checksums verified, on the native TimescaleDB with the sample's own
/// data (columnstore chunks, policies).
/// </summary>
public sealed class HomeEnergyBackupRestoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-homeenergy-backup-").FullName;

    [NativeTimescaleFact("pg_dump/pg_restore matching the server and a database per backup")]
    public async Task The_sample_database_is_backed_up_keeping_7_and_restored_into_a_fresh_database_with_checksums_verified()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Databases | NativeNeeds.Superuser | NativeNeeds.ClientTools);
        await using var source = await server.CreateDatabaseAsync("aetherlens");
        var sample = await RunSampleAsync(source.ConnectionString);
        Assert.Contains("Ingested 86,400 metrics", sample, StringComparison.Ordinal);
        var sourceMetrics = await source.ScalarAsync<long>("SELECT count(*) FROM aetherlens.metrics");
        var sourceColumnstore = await source.ScalarAsync<long>(
            "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = 'aetherlens' AND is_compressed");
        Assert.Equal(86_400, sourceMetrics);
        Assert.True(sourceColumnstore >= 3, $"{sourceColumnstore} chunks in the columnstore");
        const string Jobs = "SELECT proc_name::text || ' ' || coalesce(hypertable_name::text, '') FROM timescaledb_information.jobs WHERE job_id >= 1000 ORDER BY 1";
        var sourceJobs = await source.ColumnAsync<string>(Jobs);
        const string Buckets = "SELECT (SELECT count(*) FROM aetherlens.metrics_hourly) * 1000000 + (SELECT count(*) FROM aetherlens.metrics_daily)";
        var sourceBuckets = await source.ScalarAsync<long>(Buckets);
        Assert.Equal(7_200L * 1_000_000 + 300, sourceBuckets);
        // The seed's policies: columnstore and retention of metrics, refresh and retention of both aggregates.
        Assert.Equal(6, sourceJobs.Count);

        // The seed's backup_database.sh: a dated backup, the newest 7 kept.
        var (backupExit, backupOutput) = await CliProcess.RunAsync(
            ["backup", Path.Combine(_folder, "aetherlens_{timestamp}.dump"), "--keep", "7", "--checksums", "--pg-bin", server.BinDirectory!, "--connection", source.ConnectionString],
            describeHang: () => DescribeSessionsAsync(server, source, _folder));
        Assert.True(backupExit == 0, backupOutput);
        // One backup so far, so --keep 7 keeps it (the pruning itself: BackupRestoreTests.Keep_prunes_...).
        Assert.Contains($"Kept the newest 1 backup(s) of {source.DatabaseName}", backupOutput, StringComparison.Ordinal);
        Assert.Contains("Recorded row counts and checksums of", backupOutput, StringComparison.Ordinal);
        var dump = Assert.Single(Directory.GetFiles(_folder, "aetherlens_*.dump"));

        // The seed's restore_database.sh: into a fresh database (not even the extension in it).
        await using var target = await server.CreateDatabaseAsync("aetherlens_restored");
        await target.ExecuteAsync("DROP EXTENSION timescaledb");
        var (restoreExit, restoreOutput) = await CliProcess.RunAsync(
            ["restore", dump, "--pg-bin", server.BinDirectory!, "--connection", target.ConnectionString], timeout: TimeSpan.FromMinutes(5));
        Assert.True(restoreExit == 0, restoreOutput);
        NpgsqlConnection.ClearAllPools();
        Assert.Matches(@"Verified \d+ table\(s\): row counts and checksums match the backup", restoreOutput);

        Assert.Equal(sourceMetrics, await target.ScalarAsync<long>("SELECT count(*) FROM aetherlens.metrics"));
        Assert.Equal(sourceColumnstore, await target.ScalarAsync<long>(
            "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = 'aetherlens' AND is_compressed"));
        Assert.Equal(sourceJobs, await target.ColumnAsync<string>(Jobs));
        Assert.Equal(sourceBuckets, await target.ScalarAsync<long>(Buckets));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>What the database's sessions are doing and waiting for, the server log's end and how far the dump got.</summary>
    private static async Task<string> DescribeSessionsAsync(TestServer server, TestDatabase database, string folder)
    {
        var sessions = await database.ScalarAsync<string>(
            """
            SELECT coalesce(string_agg(format('pid %s (%s, %s, %s, started %s): %s/%s, %s, since %s: %s; blocked by %s', a.pid, a.datname, a.backend_type, a.application_name, a.backend_start,
                a.wait_event_type, a.wait_event, a.state, a.query_start, left(a.query, 300), pg_blocking_pids(a.pid)), E'\n'), 'none')
            FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid()
            """);
        var waits = await database.ScalarAsync<string>(
            """
            SELECT coalesce(string_agg(format('pid %s waits for %s %s (db %s, rel %s, obj %s)', l.pid, l.mode, l.locktype, l.database, l.relation, l.objid), E'\n'), 'none')
            FROM pg_locks l WHERE NOT l.granted
            """);
        var log = server is NativeServer native && File.Exists(native.LogFile)
            ? string.Join('\n', File.ReadLines(native.LogFile).TakeLast(80))
            : "(no server log here)";
        var files = string.Join('\n', new DirectoryInfo(folder).GetFiles().Select(f => $"  {f.Name}: {f.Length} bytes, written {f.LastWriteTimeUtc:HH:mm:ss.fff}"));
        return $"Sessions of the server while it still ran ({database.DatabaseName} is the source):\n{sessions}\nLock waits:\n{waits}\nServer log, last lines:\n{log}\nFiles in {folder} at {DateTime.UtcNow:HH:mm:ss.fff}:\n{files}";
    }

    private static async Task<string> RunSampleAsync(string connectionString)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "HomeEnergy.dll"));
        start.Environment["COLUMNS"] = "160";
        start.Environment["HOURGLASS_CONNECTION"] = connectionString;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"HomeEnergy exited with {process.ExitCode}.\n{await output}{await error}");
        return await output;
    }
}
