using System.CommandLine;
using Hourglass.Cli.Connection;
using Npgsql;
using Spectre.Console;

namespace Hourglass.Cli.Backup;

/// <summary>
/// <c>hourglass restore FILE</c>: pg_restore wrapped in timescaledb_pre_restore() / timescaledb_post_restore(),
/// refusing a TimescaleDB version other than the backup's and a non-empty database unless told otherwise.
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var file = new Argument<FileInfo>("FILE") { Description = "Backup made by 'hourglass backup' (pg_dump custom format with FILE.meta.json next to it)." };
        var force = new Option<bool>("--force")
        {
            Description = "Restore even if the server's TimescaleDB version differs from the backup's, or FILE.meta.json is missing.",
        };
        var clean = new Option<bool>("--clean")
        {
            Description = "Allow restoring into a database that already has tables: objects in the backup are dropped first (pg_restore --clean --if-exists).",
        };
        var acrossVersions = new Option<bool>("--across-versions")
        {
            Description = "Restore a backup of another TimescaleDB version (the embedded engine of hourglass dev) into this server's TimescaleDB: the backup is restored into a scratch embedded engine of its own version, then copied logically (hypertables, columnstore, rows, aggregates, policies and jobs). The database must be empty.",
        };
        var pgBin = BackupCommand.PgBinOption();
        var command = new Command("restore", "Restore a backup into the database (which must exist): checks the TimescaleDB version against the backup's, then timescaledb_pre_restore(), pg_restore, timescaledb_post_restore().")
        {
            file,
            force,
            clean,
            acrossVersions,
            pgBin,
        };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var backup = result.GetValue(file)!;
            if (!backup.Exists)
            {
                throw new CliException($"Backup file {backup.FullName} does not exist.");
            }

            var metadata = BackupMetadata.TryRead(backup.FullName);
            var forced = result.GetValue(force);
            if (metadata is null && !forced)
            {
                throw new CliException($"{BackupMetadata.PathFor(backup.FullName)} is missing or unreadable, so the backup's TimescaleDB version is unknown. Pass --force to restore anyway.");
            }

            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            var dumpMajor = metadata is null ? 0 : DumpMajor(metadata.PgDumpVersion);
            var pgRestore = await PgTool.LocateAsync("pg_restore", result.GetValue(pgBin), Math.Max(dumpMajor, 0), "the pg_dump that wrote this backup", cancellationToken);
            var entries = 0;
            var listing = await pgRestore.RunAsync(["--list", backup.FullName], resolved, line => entries += line.Contains(" TABLE DATA ", StringComparison.Ordinal) ? 1 : 0, cancellationToken);
            if (listing.ExitCode != 0)
            {
                throw new CliException($"{backup.FullName} is not a backup pg_restore can read (a pg_dump custom-format archive): {string.Join(" ", listing.Tail.TakeLast(3))}");
            }

            var target = await DatabaseFacts.ReadAsync(resolved, cancellationToken);
            if (result.GetValue(acrossVersions))
            {
                if (result.GetValue(clean) || forced)
                {
                    throw new CliException("--across-versions cannot be combined with --clean or --force: it copies into an empty database only, so that a failure leaves nothing behind. Restore into a new, empty database.");
                }

                if (metadata?.TimescaledbVersion is not { } backupVersion)
                {
                    throw new CliException($"{BackupMetadata.PathFor(backup.FullName)} {(metadata is null ? "is missing or unreadable" : "records no TimescaleDB")}, so --across-versions does not apply: restore without it.");
                }

                var targetVersion = target.TimescaledbVersion ?? target.TimescaledbAvailable;
                if (!string.Equals(targetVersion, backupVersion, StringComparison.Ordinal))
                {
                    return await CrossVersionRestore.RunAsync(backup, metadata, resolved, target, pgRestore, cancellationToken);
                }

                AnsiConsole.MarkupLineInterpolated($"The target has the backup's TimescaleDB {backupVersion}: restoring it directly (--across-versions is not needed).");
            }

            CheckVersions(metadata, target, forced);
            if (target.UserObjects > 0 && !result.GetValue(clean))
            {
                throw new CliException($"Database {target.Database} is not empty ({target.UserObjects} tables, views, sequences or functions). Restore into an empty database, or pass --clean to drop the backup's objects first.");
            }

            // pg_restore --clean drops the timescaledb extension and creates it again; TimescaleDB allows that only as the first
            // command of a new session, which a server with one session for all connections never has: the drop would succeed,
            // the create fail, and the database be left without TimescaleDB and without the backup's data. Refused before
            // anything changes.
            if (result.GetValue(clean) && target.TimescaledbVersion is not null && await BackupCommand.SessionsTakeTurnsAsync(resolved, cancellationToken))
            {
                throw new CliException(
                    $"--clean cannot be used on this server: its connections share one session (the embedded engine of hourglass dev), and pg_restore --clean drops the timescaledb extension, which TimescaleDB recreates only in a new session. " +
                    $"Nothing was changed. Restore into a fresh server instead (stop hourglass dev and start it again without --data, or with a new --data directory), then run restore without --clean.");
            }

            // Forced past a missing TimescaleDB, there is nothing to prepare: pg_restore reports what cannot be created.
            var timescale = target.TimescaledbVersion is not null || (metadata?.TimescaledbVersion is not null && target.TimescaledbInstallable.Count > 0);
            if (timescale)
            {
                await PrepareTimescaleAsync(resolved, target, metadata, cancellationToken);
            }

            try
            {
                var arguments = new List<string> { "--verbose", "--dbname=" + target.Database };
                if (result.GetValue(clean))
                {
                    arguments.AddRange(["--clean", "--if-exists"]);
                }

                arguments.Add(backup.FullName);
                var outcome = await BackupCommand.WithProgressAsync($"Restoring into {target.Database}", entries, "processing data for table", progress =>
                    pgRestore.RunAsync(arguments, resolved, progress, cancellationToken, timescale ? RestoringMode : null));

                // pg_restore --clean drops and recreates TimescaleDB with its catalog tables; sessions opened before keep
                // the old catalog's OIDs in TimescaleDB's caches ("could not open relation with OID ..."), so every
                // statement from here on (post_restore too, also after a failure) runs in a new session.
                NpgsqlConnection.ClearAllPools();
                if (outcome.ExitCode != 0)
                {
                    throw new CliException($"pg_restore failed (exit code {outcome.ExitCode}):{Environment.NewLine}{string.Join(Environment.NewLine, outcome.Tail.Where(l => !l.Contains("processing", StringComparison.Ordinal)).TakeLast(8))}");
                }

                // Verified before timescaledb_post_restore() starts the scheduler again: restored jobs have no run
                // history (TimescaleDB keeps job statistics out of dumps), so they all run right after it and may
                // write to the very tables being verified.
                if (metadata?.Checksums is { } expected)
                {
                    await VerifyAsync(resolved, expected, timescale, cancellationToken);
                }
            }
            finally
            {
                if (timescale)
                {
                    await ExecuteAsync(resolved, "SELECT timescaledb_post_restore()", CancellationToken.None);
                }
            }

            var restored = await DatabaseFacts.ReadAsync(resolved, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"[green]Restored[/] {backup.Name} into {restored.Database}: {restored.Tables} tables, {restored.TimescaleState}.");
            if (timescale)
            {
                AnsiConsole.MarkupLine("Ran timescaledb_pre_restore() before and timescaledb_post_restore() after pg_restore.");
                if (result.GetValue(clean) && target.TimescaledbVersion is not null)
                {
                    AnsiConsole.MarkupLineInterpolated(
                        $"[yellow]Note:[/] --clean dropped and recreated the timescaledb extension in {restored.Database}: sessions opened before the restore must reconnect (they still know the old extension's catalog and fail with 'could not open relation with OID').");
                }
            }

            return 0;
        }));
        return command;
    }

    private static async Task VerifyAsync(ResolvedConnection resolved, SortedDictionary<string, TableChecksum> expected, bool timescale, CancellationToken cancellationToken)
    {
        await using var connection = await resolved.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        if (timescale)
        {
            // The database is still in restoring mode, where TimescaleDB stays out of queries and rows in the
            // columnstore are invisible; this transaction alone reads the hypertables as TimescaleDB does.
            await using var restoring = new NpgsqlCommand("SET LOCAL timescaledb.restoring = off", connection, transaction);
            await restoring.ExecuteNonQueryAsync(cancellationToken);
        }

        var actual = await BackupCommand.WithProgressAsync("Verifying row counts and checksums", 0, "", progress =>
            TableChecksums.ComputeAsync(connection, transaction, progress, cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        var differences = TableChecksums.Compare(expected, actual);
        if (differences.Count > 0)
        {
            throw new CliException($"The restored data differs from the backup: {string.Join("; ", differences)}.");
        }

        AnsiConsole.MarkupLineInterpolated($"[green]Verified[/] {expected.Count} table(s): row counts and checksums match the backup ({expected.Values.Sum(c => c.Rows):N0} rows).");
    }

    /// <summary>
    /// pg_restore's own session in TimescaleDB's restoring mode: timescaledb_pre_restore() sets it for new sessions of the
    /// database, which a server whose connections share one session (the embedded engine) never starts.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> RestoringMode = new Dictionary<string, string> { ["PGOPTIONS"] = "-c timescaledb.restoring=on" };

    private const string AcrossVersionsHint =
        "A backup of hourglass dev (the embedded engine) restores into another TimescaleDB version, into an empty database, with --across-versions (a logical copy through a scratch embedded engine).";

    internal static int DumpMajor(string version) => int.TryParse(version.Split('.')[0], out var major) ? major : 0;

    private static void CheckVersions(BackupMetadata? metadata, DatabaseFacts target, bool forced)
    {
        var backupVersion = metadata?.TimescaledbVersion;
        if (backupVersion is null || forced)
        {
            return;
        }

        if (target.TimescaledbVersion is { } installed)
        {
            if (!string.Equals(backupVersion, installed, StringComparison.Ordinal))
            {
                throw new CliException($"The backup was made with TimescaleDB {backupVersion}, but database {target.Database} has TimescaleDB {installed}. Restore into a database with TimescaleDB {backupVersion} (then ALTER EXTENSION timescaledb UPDATE), or pass --force. {AcrossVersionsHint}");
            }

            return;
        }

        if (target.TimescaledbInstallable.Count == 0)
        {
            throw new CliException($"The backup was made with TimescaleDB {backupVersion}, but TimescaleDB is not available on this server (it is neither created in database {target.Database} nor installable: no timescaledb in pg_available_extensions). Restore into a server with the TimescaleDB {backupVersion} package installed, or pass --force.");
        }

        if (!target.TimescaledbInstallable.Contains(backupVersion, StringComparer.Ordinal))
        {
            throw new CliException($"The backup was made with TimescaleDB {backupVersion}, but this server has TimescaleDB {string.Join(", ", target.TimescaledbInstallable)}. Restore into a server with TimescaleDB {backupVersion} (then ALTER EXTENSION timescaledb UPDATE), or pass --force. {AcrossVersionsHint}");
        }
    }

    internal static async Task PrepareTimescaleAsync(ResolvedConnection resolved, DatabaseFacts target, BackupMetadata? metadata, CancellationToken cancellationToken)
    {
        if (target.TimescaledbVersion is null)
        {
            // The backup's version when the server has it (pg_restore's own CREATE EXTENSION IF NOT EXISTS is then a no-op),
            // else the server's default (only reachable with --force).
            var version = metadata?.TimescaledbVersion;
            var exact = version is not null && target.TimescaledbInstallable.Contains(version, StringComparer.Ordinal);
            var create = exact
                ? $"CREATE EXTENSION IF NOT EXISTS timescaledb VERSION '{version!.Replace("'", "''", StringComparison.Ordinal)}'"
                : "CREATE EXTENSION IF NOT EXISTS timescaledb";
            try
            {
                await ExecuteAsync(resolved, create, cancellationToken);
            }
            catch (PostgresException denied) when (denied.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                throw new CliException(
                    $"TimescaleDB is not created in database {target.Database}, and {resolved.Builder.Username ?? "this role"} may not create it ({denied.MessageText}): " +
                    $"only a superuser can. Have one run {create} in {target.Database}, then restore again. Nothing was restored.", denied);
            }

            AnsiConsole.MarkupLineInterpolated(
                $"TimescaleDB is installable on this server but was not created in database {target.Database}: created it ({(exact ? "version " + version : "the server's default version")}) before restoring.");
        }

        try
        {
            await ExecuteAsync(resolved, "SELECT timescaledb_pre_restore()", cancellationToken);
        }
        catch (PostgresException denied) when (denied.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // It sets timescaledb.restoring (a superuser setting) for the whole database and stops its background
            // workers; without it pg_restore would fire TimescaleDB's triggers and create chunks twice.
            throw new CliException(
                $"Restoring a TimescaleDB backup needs a superuser: timescaledb_pre_restore() failed for {resolved.Builder.Username ?? "this role"} ({denied.MessageText}). " +
                "It switches the database into restoring mode (the superuser setting timescaledb.restoring) and stops its background workers. " +
                "Run restore with a superuser connection; the application role keeps owning its objects, as pg_restore restores the owners recorded in the backup. Nothing was restored.", denied);
        }
    }

    internal static async Task ExecuteAsync(ResolvedConnection resolved, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await resolved.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
