using System.Text;
using System.Text.RegularExpressions;
using Hourglass.Cli.Connection;
using Hourglass.Embedded;
using Npgsql;
using Spectre.Console;

namespace Hourglass.Cli.Backup;

/// <summary>
/// <c>hourglass restore FILE --across-versions</c>: a backup whose TimescaleDB version the target does not have. TimescaleDB's
/// catalog cannot move between versions, so the backup is restored into a scratch embedded engine (the engine
/// <c>hourglass dev</c> runs, hence the backup's own version), and copied from there logically into the target
/// (<see cref="TimescaleLogicalCopy"/>): the plain schema from the archive itself, then hypertables, rows, aggregates,
/// converted chunks and paused jobs in one transaction with the checksums verified before the commit; the aggregates'
/// refreshes and resuming the jobs follow it.
/// </summary>
internal static partial class CrossVersionRestore
{
    public static async Task<int> RunAsync(FileInfo backup, BackupMetadata metadata, ResolvedConnection resolved, DatabaseFacts target, PgTool pgRestore, CancellationToken cancellationToken)
    {
        var backupVersion = metadata.TimescaledbVersion!;
        if (target.UserObjects > 0)
        {
            throw new CliException($"Database {target.Database} is not empty ({target.UserObjects} tables, views, sequences or functions). --across-versions copies into an empty database only (so that a failure leaves nothing behind): create a new database and restore into it.");
        }

        if (target.TimescaledbVersion is null && target.TimescaledbAvailable is null)
        {
            throw new CliException($"TimescaleDB is not available on this server (neither created in database {target.Database} nor in pg_available_extensions). Install the timescaledb package for PostgreSQL {target.ServerMajor}, add it to shared_preload_libraries and restart, then restore again.");
        }

        AnsiConsole.MarkupLineInterpolated(
            $"The backup has TimescaleDB {backupVersion}, database {target.Database} {(target.TimescaledbVersion is { } v ? $"has {v}" : $"gets {target.TimescaledbAvailable}")}: copying across versions through a scratch embedded TimescaleDB {backupVersion}.");

        var work = Directory.CreateTempSubdirectory("hourglass-across-versions-");
        try
        {
            var scratchEngine = await AnsiConsole.Status().StartAsync("Starting a scratch embedded TimescaleDB...", _ =>
                EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { StartTimeout = TimeSpan.FromMinutes(4) }, cancellationToken));
            await using var scratch = new ResolvedConnection(scratchEngine.ConnectionString, "the scratch embedded TimescaleDB", scratchEngine);
            var scratchFacts = await DatabaseFacts.ReadAsync(scratch, cancellationToken);
            if (!string.Equals(scratchFacts.TimescaledbVersion, backupVersion, StringComparison.Ordinal))
            {
                throw new CliException(
                    $"The backup was made with TimescaleDB {backupVersion}, but --across-versions reads backups through Hourglass's embedded engine, which has TimescaleDB {scratchFacts.TimescaledbVersion}: it copies backups of hourglass dev only. " +
                    $"Restore this backup into a server with TimescaleDB {backupVersion} instead (then ALTER EXTENSION timescaledb UPDATE). Nothing was changed in {target.Database}.");
            }

            await ReadIntoScratchAsync(backup, scratch, scratchFacts, pgRestore, target.Database, cancellationToken);
            var scripts = await WriteSchemaScriptsAsync(backup, work.FullName, scratch, pgRestore, target, cancellationToken);

            await using var source = await scratch.OpenAsync(cancellationToken);
            var copy = await TimescaleLogicalCopy.ReadAsync(source, cancellationToken);
            var expected = metadata.Checksums;
            if (expected is null)
            {
                // No checksums in the backup: the copy is compared with what the scratch engine restored.
                await using var snapshot = await source.BeginTransactionAsync(cancellationToken);
                expected = await TableChecksums.ComputeAsync(source, snapshot, _ => { }, cancellationToken);
                await snapshot.CommitAsync(cancellationToken);
            }

            var createdExtension = false;
            if (target.TimescaledbVersion is null)
            {
                await RestoreCommand.ExecuteAsync(resolved, "CREATE EXTENSION IF NOT EXISTS timescaledb", cancellationToken);
                createdExtension = true;
                NpgsqlConnection.ClearAllPools();
            }

            IReadOnlyList<CopiedJob> jobs;
            long rows;
            int converted;
            await using (var connection = await resolved.OpenAsync(cancellationToken))
            {
                try
                {
                    (jobs, rows, converted) = await CopyInOneTransactionAsync(copy, source, connection, scripts, expected, cancellationToken);
                }
                catch (Exception failure) when (failure is not OperationCanceledException)
                {
                    if (createdExtension)
                    {
                        await RestoreCommand.ExecuteAsync(resolved, "DROP EXTENSION IF EXISTS timescaledb", CancellationToken.None);
                    }

                    throw new CliException($"The copy into {target.Database} failed and was rolled back: nothing was changed{(createdExtension ? " (the timescaledb extension it created was dropped again)" : "")}. {Describe(failure)}", failure);
                }
            }

            AnsiConsole.MarkupLineInterpolated(
                $"[green]Verified[/] {expected.Count} table(s): row counts and checksums match the backup ({rows:N0} rows).");

            // After the commit: TimescaleDB refreshes an aggregate only outside a transaction, and the jobs start once
            // the copy is verified and committed.
            var finished = new List<string>();
            try
            {
                await using var connection = await resolved.OpenAsync(cancellationToken);
                await BackupCommand.WithProgressAsync("Refreshing continuous aggregates to the backup's watermarks", copy.ContinuousAggregates.Count(a => a.IsRefreshed), "refreshing ", async progress =>
                {
                    await copy.RefreshContinuousAggregatesAsync(connection, aggregate => progress("refreshing " + aggregate), cancellationToken);
                    return 0;
                }, "aggregate(s)");
                finished.Add("aggregates refreshed");
                var resumed = await TimescaleLogicalCopy.ResumeJobsAsync(connection, jobs, cancellationToken);
                finished.Add($"{resumed} job(s) resumed");
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                var refresh = string.Join("; ", copy.ContinuousAggregates.Where(a => a.IsRefreshed).Select(a =>
                    $"hourglass refresh {a.QualifiedName} --to {(a.Watermark is { } w ? w.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : a.WatermarkInteger?.ToString(System.Globalization.CultureInfo.InvariantCulture))}"));
                var resume = string.Join("; ", jobs.Where(j => j.Source.Scheduled != false).Select(j => $"hourglass jobs resume {j.TargetId}"));
                throw new CliException(
                    $"The copy into {target.Database} is committed and verified (tables, {rows:N0} rows, hypertables, {converted} converted chunk(s), {jobs.Count} job(s) created paused), but finishing it failed: {Describe(failure)} " +
                    $"Done after the commit: {(finished.Count == 0 ? "nothing" : string.Join(", ", finished))}. Finish by hand: {refresh}{(refresh.Length > 0 && resume.Length > 0 ? "; " : "")}{resume}. Or drop and recreate the database and restore again.", failure);
            }

            var after = await DatabaseFacts.ReadAsync(resolved, cancellationToken);
            AnsiConsole.MarkupLineInterpolated(
                $"[green]Restored[/] {backup.Name} (TimescaleDB {backupVersion}) into {after.Database} ({after.TimescaleState}) across versions: {copy.Tables.Count} table(s), {copy.Hypertables.Count} hypertable(s), {converted} chunk(s) in the columnstore, {copy.ContinuousAggregates.Count} continuous aggregate(s) refreshed to the backup's watermarks, {jobs.Count} policy/job(s) with the backup's schedules.");
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<(IReadOnlyList<CopiedJob> Jobs, long Rows, int Converted)> CopyInOneTransactionAsync(
        TimescaleLogicalCopy copy, NpgsqlConnection source, NpgsqlConnection target, SchemaScripts scripts, SortedDictionary<string, TableChecksum> expected, CancellationToken cancellationToken)
    {
        await using var transaction = await target.BeginTransactionAsync(cancellationToken);
        AnsiConsole.WriteLine("Creating schemas, types, functions, tables, indexes and constraints (without TimescaleDB's own objects)");
        await RunScriptAsync(target, scripts.BeforeData, cancellationToken);
        await RunScriptAsync(target, scripts.Indexes, cancellationToken);
        AnsiConsole.WriteLine($"Creating {copy.Hypertables.Count} hypertable(s) with the backup's dimensions, intervals and columnstore settings");
        await copy.CreateHypertablesAsync(target, cancellationToken);
        var rows = await BackupCommand.WithProgressAsync("Copying rows", copy.Tables.Count, "copying rows of ", progress =>
            copy.CopyRowsAsync(source, target, table => progress("copying rows of " + table), cancellationToken));
        await RunScriptAsync(target, scripts.AfterData, cancellationToken);
        AnsiConsole.WriteLine($"Creating {copy.ContinuousAggregates.Count} continuous aggregate(s) from their definitions");
        await copy.CreateContinuousAggregatesAsync(target, cancellationToken);
        await RunScriptAsync(target, scripts.OnAggregates, cancellationToken);
        var converted = await BackupCommand.WithProgressAsync("Converting chunks to the columnstore as in the backup", copy.ColumnstoreChunkCount, "converting ", progress =>
            copy.ConvertChunksAsync(target, chunk => progress("converting " + chunk), cancellationToken), "chunk(s)");
        AnsiConsole.WriteLine($"Creating {copy.Jobs.Count} policy/job(s), paused until the copy is verified");
        var jobs = await copy.CreateJobsPausedAsync(target, cancellationToken);
        var actual = await BackupCommand.WithProgressAsync("Verifying row counts and checksums", 0, "", progress =>
            TableChecksums.ComputeAsync(target, transaction, progress, cancellationToken));
        var differences = TableChecksums.Compare(expected, actual);
        if (differences.Count > 0)
        {
            throw new CliException($"The copied data differs from the backup: {string.Join("; ", differences)}.");
        }

        await transaction.CommitAsync(cancellationToken);
        return (jobs, rows, converted);
    }

    private static async Task ReadIntoScratchAsync(FileInfo backup, ResolvedConnection scratch, DatabaseFacts facts, PgTool pgRestore, string targetDatabase, CancellationToken cancellationToken)
    {
        // Only rows are read from the scratch engine: the roles owners and grants name exist on the target, not there.
        await RestoreCommand.ExecuteAsync(scratch, "SELECT timescaledb_pre_restore()", cancellationToken);
        (int ExitCode, IReadOnlyList<string> Tail) outcome;
        try
        {
            outcome = await BackupCommand.WithProgressAsync("Reading the backup into the scratch engine", 0, "processing data for table", progress =>
                pgRestore.RunAsync(["--verbose", "--exit-on-error", "--no-owner", "--no-privileges", "--dbname=" + facts.Database, backup.FullName], scratch, progress, cancellationToken, RestoreCommand.RestoringMode), "table(s)");
        }
        finally
        {
            await RestoreCommand.ExecuteAsync(scratch, "SELECT timescaledb_post_restore()", CancellationToken.None);
        }

        if (outcome.ExitCode != 0)
        {
            throw new CliException($"pg_restore could not read the backup into the scratch embedded engine (exit code {outcome.ExitCode}); nothing was changed in {targetDatabase}:{Environment.NewLine}{string.Join(Environment.NewLine, outcome.Tail.Where(l => !l.Contains("processing", StringComparison.Ordinal)).TakeLast(8))}");
        }
    }

    private sealed record SchemaScripts(string BeforeData, string Indexes, string AfterData, string OnAggregates);

    /// <summary>
    /// The archive's plain schema as SQL (pg_restore writes it without a server): TimescaleDB's schemas, the extension,
    /// chunks, the aggregates' views and TimescaleDB's triggers left out, since the target's TimescaleDB creates its own.
    /// </summary>
    private static async Task<SchemaScripts> WriteSchemaScriptsAsync(FileInfo backup, string folder, ResolvedConnection scratch, PgTool pgRestore, DatabaseFacts target, CancellationToken cancellationToken)
    {
        var aggregates = new HashSet<(string, string)>();
        await using (var connection = await scratch.OpenAsync(cancellationToken))
        {
            foreach (var aggregate in await connection.Timescale().GetContinuousAggregateDefinitionsAsync(cancellationToken))
            {
                aggregates.Add((aggregate.Schema, aggregate.Name));
            }
        }

        var lines = new List<string>();
        var listing = await pgRestore.RunAsync(["--list", backup.FullName], scratch, lines.Add, cancellationToken);
        if (listing.ExitCode != 0)
        {
            throw new CliException($"pg_restore --list failed for {backup.FullName}: {string.Join(" ", listing.Tail.TakeLast(3))}");
        }

        var entries = lines.Select(ArchiveEntry.Parse).Where(e => e is not null && Keep(e, aggregates)).Select(e => e!).ToList();
        async Task<string> ScriptAsync(string name, string? section, Func<ArchiveEntry, bool> which, bool dropOnly = false)
        {
            var list = Path.Combine(folder, name + ".list");
            await File.WriteAllLinesAsync(list, entries.Where(which).Select(e => e.Line), cancellationToken);
            var sql = Path.Combine(folder, name + ".sql");
            string[] arguments = section is null ? ["--use-list=" + list, "--file=" + sql, backup.FullName] : ["--section=" + section, "--use-list=" + list, "--file=" + sql, backup.FullName];
            var run = await pgRestore.RunAsync(arguments, scratch, _ => { }, cancellationToken);
            if (run.ExitCode != 0)
            {
                throw new CliException($"pg_restore could not write the backup's {name} script: {string.Join(" ", run.Tail.TakeLast(3))}");
            }

            var text = await File.ReadAllTextAsync(sql, cancellationToken);
            return Clean(text, target.ServerMajor, dropOnly);
        }

        bool OnAggregate(ArchiveEntry e) => e.Type is "ACL" or "COMMENT" && aggregates.Contains((e.Schema, e.Tag.Split(' ')[^1]));
        // Grants and comments go with their object's section, or, without it in the list, to post-data: an aggregate's
        // are written on their own, all sections, and run after CREATE MATERIALIZED VIEW.
        var before = await ScriptAsync("schema", "pre-data", e => !OnAggregate(e));
        var indexes = await ScriptAsync("indexes", "post-data", e => e.Type != "FK CONSTRAINT" && !OnAggregate(e));
        var foreignKeys = await ScriptAsync("foreign-keys", "post-data", e => e.Type == "FK CONSTRAINT", dropOnly: true);
        var sequences = await ScriptAsync("sequences", "data", e => e.Type == "SEQUENCE SET");
        // Grants and comments of an aggregate's view (a view in pg_class, as in the backup): after CREATE MATERIALIZED VIEW.
        var onAggregates = await ScriptAsync("aggregate-grants", null, OnAggregate);
        return new SchemaScripts(before, indexes, foreignKeys + Environment.NewLine + sequences, onAggregates);
    }

    private static bool Keep(ArchiveEntry entry, HashSet<(string, string)> aggregates)
    {
        if (entry.Schema.StartsWith("_timescaledb", StringComparison.Ordinal) || entry.Schema.StartsWith("timescaledb_", StringComparison.Ordinal))
        {
            return false;
        }

        if (entry.Type is "EXTENSION" && entry.Tag == "timescaledb" || entry.Type is "COMMENT" && entry.Tag == "EXTENSION timescaledb")
        {
            return false;
        }

        if (entry.Type is "TABLE DATA")
        {
            return false;
        }

        if (entry.Type is "TRIGGER" && (entry.Tag.EndsWith(" ts_insert_blocker", StringComparison.Ordinal) || entry.Tag.EndsWith(" ts_cagg_invalidation_trigger", StringComparison.Ordinal)))
        {
            return false;
        }

        // The aggregates' views are created again by CREATE MATERIALIZED VIEW (their grants and comments follow it).
        return !(entry.Type is "VIEW" && aggregates.Contains((entry.Schema, entry.Tag)));
    }

    /// <summary>
    /// psql meta-commands cannot run through a driver, and the settings pg_restore's header makes must not outlive the
    /// script (its empty search_path above all); a setting the target's PostgreSQL lacks is left out.
    /// </summary>
    private static string Clean(string script, int targetMajor, bool foreignKeys)
    {
        var text = new StringBuilder();
        foreach (var line in script.Split('\n'))
        {
            if (line.StartsWith('\\') || (targetMajor < 17 && line.StartsWith("SET transaction_timeout", StringComparison.Ordinal)))
            {
                continue;
            }

            // A hypertable takes constraints only through its parent (TimescaleDB refuses ONLY on it); these tables have no
            // inheritance children of their own, so ONLY changes nothing else.
            text.Append(foreignKeys && line.StartsWith("ALTER TABLE ONLY ", StringComparison.Ordinal) ? "ALTER TABLE " + line["ALTER TABLE ONLY ".Length..] : line).Append('\n');
        }

        return text.ToString();
    }

    private static async Task RunScriptAsync(NpgsqlConnection connection, string script, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(script))
        {
            await using var command = new NpgsqlCommand(script, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var reset = new NpgsqlCommand("RESET ALL", connection);
        await reset.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Describe(Exception failure) => failure switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}{(pg.Where is { Length: > 0 } where ? $" ({where.Split('\n')[0]})" : "")}",
        CliException cli => cli.Message,
        _ => failure.Message,
    };

    /// <summary>One line of <c>pg_restore --list</c>: <c>id; tableoid oid TYPE schema tag owner</c>.</summary>
    private sealed partial record ArchiveEntry(string Line, string Type, string Schema, string Tag)
    {
        // The types pg_dump names in more than one word, longest first.
        private static readonly string[] s_types =
        [
            "MATERIALIZED VIEW DATA", "SEQUENCE OWNED BY", "DEFAULT ACL", "FK CONSTRAINT", "TABLE DATA", "SEQUENCE SET", "MATERIALIZED VIEW",
            "EVENT TRIGGER", "FOREIGN TABLE", "FOREIGN DATA WRAPPER", "SERVER", "LARGE OBJECT", "BLOB DATA", "ROW SECURITY", "PUBLICATION TABLE",
            "PUBLICATION TABLES IN SCHEMA", "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE",
            "OPERATOR CLASS", "OPERATOR FAMILY", "STATISTICS DATA", "CHECK CONSTRAINT", "SHELL TYPE", "USER MAPPING", "POLICY",
        ];

        public static ArchiveEntry? Parse(string line)
        {
            var match = Pattern().Match(line);
            if (!match.Success)
            {
                return null;
            }

            var rest = match.Groups["rest"].Value;
            var type = s_types.FirstOrDefault(t => rest.StartsWith(t + " ", StringComparison.Ordinal)) ?? rest.Split(' ')[0];
            var after = rest[(type.Length + 1)..];
            var space = after.IndexOf(' ', StringComparison.Ordinal);
            var schema = space < 0 ? after : after[..space];
            var tagAndOwner = space < 0 ? "" : after[(space + 1)..].TrimEnd();
            // The owner is the last word (absent for some entries, which then end in a space).
            var ownerAt = tagAndOwner.LastIndexOf(' ');
            var tag = line.EndsWith(' ') || ownerAt < 0 ? tagAndOwner : tagAndOwner[..ownerAt];
            return new ArchiveEntry(line, type, schema, tag);
        }

        [GeneratedRegex(@"^\d+; \d+ \d+ (?<rest>.+)$")]
        private static partial Regex Pattern();
    }
}
