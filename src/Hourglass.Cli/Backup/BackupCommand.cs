using System.CommandLine;
using System.Globalization;
using Hourglass.Cli.Connection;
using Hourglass.Cli.Info;
using Npgsql;
using Spectre.Console;

namespace Hourglass.Cli.Backup;

/// <summary><c>hourglass backup FILE</c>: pg_dump in custom format plus a FILE.meta.json recording the TimescaleDB version.</summary>
internal static class BackupCommand
{
    public static Option<DirectoryInfo?> PgBinOption() => new("--pg-bin")
    {
        HelpName = "DIR",
        Description = "Folder holding pg_dump/pg_restore. Default: the folder HOURGLASS_PG_BIN names, else PATH, then /usr/lib/postgresql/<newest>/bin and other usual folders; the tools must be at least the server's major version.",
    };

    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var file = new Argument<string>("FILE")
        {
            Description = "Backup file to write (pg_dump custom format). '{timestamp}' in the name becomes the UTC time, e.g. backups/app_{timestamp}.dump.",
        };
        var keep = new Option<int?>("--keep")
        {
            HelpName = "N",
            Description = "After the backup, keep only the newest N backups of this database in the same folder (those with an hourglass .meta.json) and delete the older ones.",
        };
        var checksums = new Option<bool>("--checksums")
        {
            Description = "Also record every table's row count and checksum (read in pg_dump's own snapshot) in FILE.meta.json; restore then verifies them. Reads all data a second time.",
        };
        var pgBin = PgBinOption();
        var command = new Command("backup", "Back up the database with pg_dump (custom format); the TimescaleDB version goes into FILE.meta.json so that restore can check it.")
        {
            file,
            keep,
            checksums,
            pgBin,
        };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var keepCount = result.GetValue(keep);
            if (keepCount is < 1)
            {
                throw new CliException("--keep must be 1 or more (the backup just made is always kept).");
            }

            var path = Path.GetFullPath(result.GetValue(file)!.Replace("{timestamp}", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture), StringComparison.Ordinal));
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            var source = await DatabaseFacts.ReadAsync(resolved, cancellationToken);
            var pgDump = await PgTool.LocateAsync("pg_dump", result.GetValue(pgBin), source.ServerMajor, "the server", cancellationToken);

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var partial = path + ".partial";
            var arguments = new List<string> { "--format=custom", "--verbose", "--file=" + partial, "--dbname=" + source.Database };

            // With --checksums, pg_dump reads the snapshot the checksums were computed in, so both describe the same data
            // even while the application keeps writing; the exporting transaction stays open until pg_dump is done. A server
            // whose clients take turns on one session (the embedded engine) cannot serve pg_dump while that transaction is
            // open: there the checksums are read before and after pg_dump, and must agree.
            var withChecksums = result.GetValue(checksums);
            var turns = withChecksums && await SessionsTakeTurnsAsync(resolved, cancellationToken);
            DumpOutcome outcome;
            try
            {
                for (var attempt = 1; ; attempt++)
                {
                    outcome = await DumpAsync(resolved, source.Database, source.Tables, pgDump, arguments, withChecksums, turns, attempt, cancellationToken);
                    if (outcome.LockCycle is null)
                    {
                        break;
                    }

                    File.Delete(partial);
                    if (attempt == MaxDumpAttempts)
                    {
                        throw new CliException(
                            $"pg_dump waited for a table lock behind {outcome.LockCycle}, which itself waited for a lock held by the snapshot the checksums were read in; "
                            + $"the backup was tried {MaxDumpAttempts} times. Run it again when that session is done (a TimescaleDB job: pause it with 'hourglass jobs pause'), or back up without --checksums.");
                    }

                    AnsiConsole.WriteLine($"pg_dump waited for a table lock behind {outcome.LockCycle}, which waited for the checksum snapshot's locks: starting over (attempt {attempt + 1} of {MaxDumpAttempts}).");
                }
            }
            catch (Exception e) when (e is OperationCanceledException or CliException)
            {
                File.Delete(partial);
                throw;
            }

            var (exitCode, tail, tableChecksums) = (outcome.ExitCode, outcome.Tail, outcome.Checksums);
            if (exitCode != 0)
            {
                File.Delete(partial);
                throw new CliException($"pg_dump failed (exit code {exitCode}):{Environment.NewLine}{string.Join(Environment.NewLine, tail.TakeLast(8))}");
            }

            File.Move(partial, path, overwrite: true);
            var metadata = new BackupMetadata(BackupMetadata.CurrentFormat, DateTimeOffset.UtcNow, source.Database, source.ServerVersion, source.ServerVersionNumber,
                source.TimescaledbVersion, pgDump.Version, Path.GetFileName(path), new FileInfo(path).Length, source.Tables, tableChecksums);
            metadata.Write(path);
            AnsiConsole.MarkupLineInterpolated($"[green]Backed up[/] {source.Database} ({source.Tables} tables, {InfoCommand.Bytes(metadata.Bytes)}) to {path}");
            AnsiConsole.MarkupLineInterpolated($"PostgreSQL {source.ServerVersion}, {source.TimescaleState}; metadata in {BackupMetadata.PathFor(path)}");
            if (tableChecksums is not null)
            {
                AnsiConsole.MarkupLineInterpolated($"Recorded row counts and checksums of {tableChecksums.Count} table(s); restore will verify them.");
            }

            if (keepCount is { } n)
            {
                Prune(path, source.Database, n);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>How often a backup is started over after its pg_dump and its checksum snapshot waited for each other.</summary>
    private const int MaxDumpAttempts = 3;

    /// <summary>One pg_dump run; with checksums, also the checksums, read in the snapshot pg_dump dumps.</summary>
    /// <param name="ExitCode">pg_dump's exit code.</param>
    /// <param name="Tail">pg_dump's last stderr lines.</param>
    /// <param name="Checksums">The checksums, with --checksums.</param>
    /// <param name="LockCycle">Set when the run was stopped because pg_dump waited behind this session, which waited for the snapshot's locks.</param>
    private sealed record DumpOutcome(int ExitCode, IReadOnlyList<string> Tail, SortedDictionary<string, TableChecksum>? Checksums, string? LockCycle);

    private static async Task<DumpOutcome> DumpAsync(ResolvedConnection resolved, string database, int tables, PgTool pgDump, IReadOnlyList<string> dumpArguments,
        bool withChecksums, bool turns, int attempt, CancellationToken cancellationToken)
    {
        var arguments = dumpArguments.ToList();
        await using var snapshotConnection = withChecksums ? await resolved.OpenAsync(cancellationToken) : null;
        await using var snapshot = snapshotConnection is null ? null : await snapshotConnection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        SortedDictionary<string, TableChecksum>? tableChecksums = null;
        if (snapshotConnection is not null && snapshot is not null)
        {
            if (!turns)
            {
                await using var export = new NpgsqlCommand("SELECT pg_export_snapshot()", snapshotConnection, snapshot);
                arguments.Add("--snapshot=" + (string)(await export.ExecuteScalarAsync(cancellationToken))!);
            }

            tableChecksums = await WithProgressAsync($"Checksumming {database}", 0, "", progress =>
                TableChecksums.ComputeAsync(snapshotConnection, snapshot, progress, cancellationToken));
            if (turns)
            {
                await snapshot.CommitAsync(cancellationToken);
            }
        }

        // The snapshot's transaction holds a share lock on every table it checksummed until pg_dump is done. A session
        // that asks for an exclusive lock on one of them meanwhile (a retention or columnstore job, a migration) waits
        // for it, and pg_dump's own share lock on that table then queues behind that session: each waits for the other,
        // and only through this process, so PostgreSQL's deadlock detector cannot see it. The watch sees it and
        // stops pg_dump; the caller rolls back and starts over, after the other session got its lock.
        var watchSnapshot = snapshotConnection is not null && !turns;
        // An attempt of its own: the session of a stopped attempt's pg_dump may linger until it notices.
        var applicationName = $"hourglass backup {Environment.ProcessId}.{attempt}";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = watchSnapshot ? WatchForLockCycleAsync(resolved, applicationName, snapshotConnection!.ProcessID, stop.Token) : Task.FromResult<string?>(null);
        int exitCode;
        IReadOnlyList<string> tail;
        try
        {
            var dump = WithProgressAsync($"Backing up {database}", tables, "dumping contents of table", progress =>
                pgDump.RunAsync(arguments, resolved, progress, stop.Token, new Dictionary<string, string> { ["PGAPPNAME"] = applicationName }));
            if (await Task.WhenAny(dump, watch) == watch && watch.IsCompletedSuccessfully && watch.Result is { } cycle)
            {
                await stop.CancelAsync();
                await WaitOutAsync(dump);
                return new DumpOutcome(-1, [], null, cycle);
            }

            (exitCode, tail) = await dump;
        }
        finally
        {
            // The watch is a guard: its own failure (it polls on a connection of its own) does not fail the backup.
            await stop.CancelAsync();
            await WaitOutAsync(watch);
        }

        if (snapshot is not null && !turns)
        {
            await snapshot.CommitAsync(cancellationToken);
        }

        if (exitCode == 0 && turns && snapshotConnection is not null && tableChecksums is not null)
        {
            await using var after = await snapshotConnection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            var again = await WithProgressAsync($"Checksumming {database} again", 0, "", progress =>
                TableChecksums.ComputeAsync(snapshotConnection, after, progress, cancellationToken));
            await after.CommitAsync(cancellationToken);
            var changed = tableChecksums.Keys.Union(again.Keys).Where(t => !tableChecksums.TryGetValue(t, out var a) || !again.TryGetValue(t, out var b) || a != b).ToList();
            if (changed.Count > 0)
            {
                throw new CliException($"The data changed while pg_dump ran ({string.Join(", ", changed.Take(5))}{(changed.Count > 5 ? ", ..." : "")}): on this server clients take turns on one session, so the checksums could not be read in pg_dump's own snapshot. Run the backup again while nothing writes, or without --checksums.");
            }
        }

        return new DumpOutcome(exitCode, tail, tableChecksums, null);
    }

    /// <summary>
    /// Polls until pg_dump's session (by its application name) waits, directly or through a queue of waiters, for a
    /// session that waits for <paramref name="snapshotPid"/>; returns that session, described. Never ends otherwise.
    /// </summary>
    private static async Task<string?> WatchForLockCycleAsync(ResolvedConnection resolved, string applicationName, int snapshotPid, CancellationToken cancellationToken)
    {
        await using var connection = await resolved.OpenAsync(cancellationToken);
        // pg_blocking_pids names the holders of conflicting locks and the waiters queued ahead with conflicting requests.
        await using var command = new NpgsqlCommand(
            """
            WITH RECURSIVE waits(blocker, waiter) AS (
                SELECT b.pid, a.pid FROM pg_stat_activity a CROSS JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS b(pid)
                WHERE a.datname = current_database() AND a.application_name = @application
                UNION
                SELECT b.pid, w.blocker FROM waits w CROSS JOIN LATERAL unnest(pg_blocking_pids(w.blocker)) AS b(pid)
            )
            SELECT format('%s (pid %s%s)', coalesce(nullif(a.application_name, ''), a.backend_type), a.pid,
                          CASE WHEN a.query <> '' THEN ': ' || left(a.query, 120) ELSE '' END)
            FROM waits w JOIN pg_stat_activity a ON a.pid = w.waiter
            WHERE w.blocker = @snapshot
            LIMIT 1
            """, connection);
        command.Parameters.AddWithValue("application", applicationName);
        command.Parameters.AddWithValue("snapshot", snapshotPid);
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            if (await command.ExecuteScalarAsync(cancellationToken) is string cycle)
            {
                return cycle;
            }
        }
    }

    /// <summary>Waits for a task that was told to stop; how it ends (cancelled, failed) no longer matters to the caller.</summary>
    private static async Task WaitOutAsync(Task task)
        => await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>
    /// Whether the server serves its clients in turns on one backend (the embedded engine): two connections open at once
    /// see the same pid, so a transaction held by one keeps every other client, pg_dump included, waiting.
    /// </summary>
    /// <summary>Whether the server's connections take turns on one backend session (the embedded engine).</summary>
    internal static async Task<bool> SessionsTakeTurnsAsync(ResolvedConnection resolved, CancellationToken cancellationToken)
    {
        await using var first = await resolved.OpenAsync(cancellationToken);
        await using var second = await resolved.OpenAsync(cancellationToken);
        await using var one = new NpgsqlCommand("SELECT pg_backend_pid()", first);
        await using var two = new NpgsqlCommand("SELECT pg_backend_pid()", second);
        return Equals(await one.ExecuteScalarAsync(cancellationToken), await two.ExecuteScalarAsync(cancellationToken));
    }

    private static void Prune(string current, string database, int keep)
    {
        var folder = Path.GetDirectoryName(current)!;
        var backups = Directory.GetFiles(folder, "*.meta.json")
            .Select(meta => meta[..^".meta.json".Length])
            .Select(file => (File: file, Metadata: BackupMetadata.TryRead(file)))
            .Where(b => b.Metadata is not null && b.Metadata.Database == database && File.Exists(b.File))
            .OrderByDescending(b => b.Metadata!.CreatedAt)
            .ToList();
        var pruned = 0;
        foreach (var old in backups.Skip(keep).Where(b => !string.Equals(b.File, current, StringComparison.Ordinal)))
        {
            File.Delete(old.File);
            File.Delete(BackupMetadata.PathFor(old.File));
            pruned++;
        }

        AnsiConsole.MarkupLineInterpolated($"Kept the newest {Math.Min(keep, backups.Count)} backup(s) of {database} in {folder}; deleted {pruned}.");
    }

    /// <summary>Spectre progress driven by the tool's --verbose lines: one step per table.</summary>
    internal static async Task<T> WithProgressAsync<T>(string description, int steps, string stepMarker, Func<Action<string>, Task<T>> run, string unit = "table(s)")
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // No live bar in a pipe or CI log: one line per step instead.
            AnsiConsole.WriteLine(steps > 0 ? $"{description}: {steps} {unit}" : description);
            var done = 0;
            return await run(line =>
            {
                var at = line.IndexOf(stepMarker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    done++;
                    AnsiConsole.WriteLine($"  [{done}{(steps > 0 ? $"/{steps}" : "")}] {line[(at + stepMarker.Length)..].Trim().Trim('"')}");
                }
            });
        }

        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(description, maxValue: Math.Max(1, steps));
                var value = await run(line =>
                {
                    if (line.Contains(stepMarker, StringComparison.Ordinal))
                    {
                        task.Increment(1);
                    }
                });
                task.Value = task.MaxValue;
                return value;
            });
    }
}

/// <summary>What backup and restore need to know about a database before calling pg_dump / pg_restore.</summary>
// TimescaledbInstallable: every TimescaleDB version the server could install (images often ship several).
internal sealed record DatabaseFacts(string Database, string ServerVersion, int ServerVersionNumber, string? TimescaledbVersion, string? TimescaledbAvailable, int Tables, int UserObjects, IReadOnlyList<string> TimescaledbInstallable)
{
    public int ServerMajor => ServerVersionNumber / 10000;

    /// <summary>TimescaleDB in this database: created (its version), installable but not created, or not on the server at all.</summary>
    public string TimescaleState => TimescaledbVersion is { } version
        ? $"TimescaleDB {version}"
        : TimescaledbAvailable is { } available
            ? $"TimescaleDB not created in this database ({available} installable)"
            : "TimescaleDB not available on this server";

    public static async Task<DatabaseFacts> ReadAsync(ResolvedConnection resolved, CancellationToken cancellationToken)
    {
        await using var connection = await resolved.OpenAsync(cancellationToken);
        // User objects: relations, routines and types outside system schemas that no extension owns
        // (an installed, empty TimescaleDB does not make a database "non-empty").
        await using var command = new NpgsqlCommand(
            """
            WITH system AS (SELECT oid FROM pg_namespace
                            WHERE nspname IN ('pg_catalog', 'information_schema') OR nspname LIKE 'pg\_toast%' OR nspname LIKE 'pg\_temp%'
                               OR nspname LIKE '\_timescaledb%' OR nspname LIKE 'timescaledb\_%'),
                 extension_owned AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
            SELECT current_database(), current_setting('server_version'), current_setting('server_version_num')::int,
                   (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'),
                   (SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'),
                   (SELECT count(*)::int FROM pg_class c WHERE c.relkind IN ('r', 'p', 'm')
                       AND c.relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg\_%' OR nspname = 'information_schema')),
                   (SELECT count(*)::int FROM pg_class c WHERE c.relkind IN ('r', 'p', 'm', 'v', 'S', 'f')
                       AND c.relnamespace NOT IN (SELECT oid FROM system) AND c.oid NOT IN (SELECT objid FROM extension_owned))
                 + (SELECT count(*)::int FROM pg_proc p WHERE p.pronamespace NOT IN (SELECT oid FROM system) AND p.oid NOT IN (SELECT objid FROM extension_owned)),
                   ARRAY(SELECT version FROM pg_available_extension_versions WHERE name = 'timescaledb' ORDER BY version)
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new DatabaseFacts(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6),
            reader.GetFieldValue<string[]>(7));
    }
}
