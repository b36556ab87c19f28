using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>
/// Streams rows through binary COPY in batches: one transaction for everything by default, or one per
/// <see cref="BulkInsertOptions.CommitEvery"/> rows; inside a transaction the caller opened, a savepoint instead, so
/// a failure leaves the caller's transaction usable.
/// </summary>
internal static partial class BulkIngestRunner
{
    private const string Savepoint = "hourglass_bulk_ingest";

    public static async Task<(long Rows, long Inserted, long Updated)> RunAsync<T>(
        DbContext context, RowSource<T> source, CopyTableMap map, UpsertPlan? plan, BulkInsertOptions options, CancellationToken cancellationToken)
    {
        if (options.CommitEvery is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CommitEvery, "BulkInsertOptions.CommitEvery must be positive, or null for one transaction.");
        }

        if (options.ProgressInterval <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ProgressInterval, "BulkInsertOptions.ProgressInterval must be positive.");
        }

        var database = context.Database;
        var outer = database.CurrentTransaction?.GetDbTransaction();
        if (outer is not null && options.CommitEvery is not null)
        {
            throw new InvalidOperationException(
                $"BulkInsertOptions.CommitEvery commits batches, but {context.GetType().Name} has a transaction open. Leave CommitEvery null to ingest inside that transaction, or ingest outside it.");
        }

        var direct = map.Writer<T>(staging: false);
        var staged = map.Writer<T>(staging: true);
        var limit = options.CommitEvery ?? long.MaxValue;
        var progress = options.Progress;
        var interval = options.ProgressInterval;

        await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (database.GetDbConnection() is not NpgsqlConnection connection || (outer is not null && outer is not NpgsqlTransaction))
            {
                throw new InvalidOperationException($"Bulk ingest needs the Npgsql provider: configure {context.GetType().Name} with UseNpgsql(...).");
            }

            var outerTransaction = (NpgsqlTransaction?)outer;
            var timeout = options.Timeout ?? (database.GetCommandTimeout() is int seconds ? TimeSpan.FromSeconds(seconds) : null);
            long position = 0, inserted = 0, updated = 0;
            var hasRow = await source.MoveNextAsync().ConfigureAwait(false);
            while (hasRow)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batchStart = position;
                var copyStart = position;
                NpgsqlTransaction? own = null;
                if (outerTransaction is null)
                {
                    own = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await outerTransaction.SaveAsync(Savepoint, cancellationToken).ConfigureAwait(false);
                }

                NpgsqlBinaryImporter? importer = null;
                try
                {
                    // Inserts go straight into the target with the column set of the first row: a COPY column list
                    // leaves the omitted columns to their defaults. A row with another column set ends that COPY and
                    // starts one with its own; past a few such changes the rest of the batch goes through staging.
                    string? staging = null;
                    var columnSets = new HashSet<long>();
                    long copyDefaults = 0;
                    var columnSetChanges = 0;
                    if (plan is not null)
                    {
                        staging = StagingTable.NewName();
                        await ExecuteAsync(connection, StagingTable.CreateSql(map, staging), timeout, cancellationToken).ConfigureAwait(false);
                        importer = await BeginCopyAsync(connection, StagingTable.CopySql(map, staging), timeout, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        copyDefaults = direct(null!, source.Current, position, NoColumnSet);
                        importer = await BeginCopyAsync(connection, DirectCopySql(map, copyDefaults), timeout, cancellationToken).ConfigureAwait(false);
                    }

                    long inBatch = 0;
                    do
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (staging is not null)
                        {
                            columnSets.Add(staged(importer, source.Current, position, 0));
                        }
                        else if (direct(importer, source.Current, position, copyDefaults) is var rowDefaults && rowDefaults != copyDefaults)
                        {
                            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                            await importer.DisposeAsync().ConfigureAwait(false);
                            importer = null;
                            copyStart = position;
                            if (++columnSetChanges > DirectColumnSetChanges)
                            {
                                staging = StagingTable.NewName();
                                await ExecuteAsync(connection, StagingTable.CreateSql(map, staging), timeout, cancellationToken).ConfigureAwait(false);
                                importer = await BeginCopyAsync(connection, StagingTable.CopySql(map, staging), timeout, cancellationToken).ConfigureAwait(false);
                            }
                            else
                            {
                                copyDefaults = rowDefaults;
                                importer = await BeginCopyAsync(connection, DirectCopySql(map, copyDefaults), timeout, cancellationToken).ConfigureAwait(false);
                            }

                            continue;
                        }

                        position++;
                        inBatch++;
                        if (progress is not null && position % interval == 0)
                        {
                            progress.Report(position);
                        }

                        hasRow = await source.MoveNextAsync().ConfigureAwait(false);
                    }
                    while (hasRow && inBatch < limit);

                    await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    await importer.DisposeAsync().ConfigureAwait(false);
                    importer = null;

                    if (plan is not null)
                    {
                        var (batchInserted, batchUpdated) = await MergeAsync(connection, plan, staging!, columnSets, timeout, cancellationToken).ConfigureAwait(false);
                        inserted += batchInserted;
                        updated += batchUpdated;
                    }
                    else
                    {
                        if (staging is not null)
                        {
                            await ExecuteAsync(connection, StagingTable.InsertSql(map, staging, columnSets), timeout, cancellationToken).ConfigureAwait(false);
                        }

                        inserted += inBatch;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    if (own is not null)
                    {
                        await own.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await outerTransaction!.ReleaseAsync(Savepoint, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception failure)
                {
                    if (importer is not null)
                    {
                        await AbandonAsync(importer).ConfigureAwait(false);
                    }

                    await RollBackAsync(own, outerTransaction).ConfigureAwait(false);
                    if (failure is NpgsqlException or IOException && connection.FullState.HasFlag(System.Data.ConnectionState.Broken))
                    {
                        throw Lost(failure, map, options.CommitEvery is not null && batchStart > 0);
                    }

                    if (failure is PostgresException server)
                    {
                        throw Translate(server, map, copyStart, options.CommitEvery is not null && batchStart > 0);
                    }

                    throw;
                }
                finally
                {
                    if (own is not null)
                    {
                        await own.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }

            progress?.Report(position);
            return (position, inserted, updated);
        }
        finally
        {
            await database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Never a row's sentinel bits (bit 63 is never assigned): the direct writer only reports the row's bits.</summary>
    private const long NoColumnSet = -1;

    /// <summary>How many times a batch may switch the direct COPY's column set before the rest goes through staging.</summary>
    private const int DirectColumnSetChanges = 4;

    private static string DirectCopySql(CopyTableMap map, long defaults) =>
        $"COPY {map.QualifiedTable} ({map.ColumnListWithout(defaults)}) FROM STDIN (FORMAT BINARY)";

    private static async Task<NpgsqlBinaryImporter> BeginCopyAsync(NpgsqlConnection connection, string sql, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var importer = await connection.BeginBinaryImportAsync(sql, cancellationToken).ConfigureAwait(false);
        if (timeout is { } t)
        {
            importer.Timeout = t;
        }

        return importer;
    }

    /// <summary>Disposing an importer that was not completed cancels the COPY; a broken connection has nothing left to cancel.</summary>
    private static async Task AbandonAsync(NpgsqlBinaryImporter importer)
    {
        try
        {
            await importer.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
        {
        }
    }

    private static async Task RollBackAsync(NpgsqlTransaction? own, NpgsqlTransaction? outer)
    {
        try
        {
            if (own is not null)
            {
                await own.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else if (outer is not null)
            {
                await outer.RollbackAsync(Savepoint, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // The connection broke: the server discards the transaction with it, which is all the rollback was for.
        }
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            if (timeout is { } t)
            {
                command.CommandTimeout = (int)Math.Ceiling(t.TotalSeconds);
            }

            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How often a batch's merge runs before a deadlock with other sessions is reported (see <see cref="MergeAsync"/>).</summary>
    internal const int MergeAttempts = 5;

    private const string MergeSavepoint = "hourglass_bulk_merge";

    /// <summary>
    /// Merges the staged batch. Rows go in key order (<see cref="UpsertPlan"/>), which rules out deadlocks between
    /// upserts of one column set each. What remains (a batch with several column sets, other unique indexes, rows the
    /// caller's own transaction wrote before) can still meet a deadlock: the server then aborts one session's
    /// statement, which goes back to the savepoint before the merge — still holding the staged rows, and in a
    /// transaction of its own no lock on the target — and merges again once the other session has gone ahead.
    /// </summary>
    private static async Task<(long Inserted, long Updated)> MergeAsync(
        NpgsqlConnection connection, UpsertPlan plan, string staging, HashSet<long> columnSets, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await MergeOnceAsync(connection, plan, staging, columnSets, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException deadlock) when (deadlock.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < MergeAttempts)
            {
                await ExecuteAsync(connection, $"ROLLBACK TO SAVEPOINT {MergeSavepoint}; RELEASE SAVEPOINT {MergeSavepoint}", timeout, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Optimistic first: a plain INSERT from staging costs about half of INSERT ... ON CONFLICT, so when every row is
    /// new (most ingests) that is all that runs. A unique violation rolls back to the savepoint, and the batch is merged
    /// with ON CONFLICT. A batch that conflicts usually fails on its first rows, so little work is lost.
    /// </summary>
    private static async Task<(long Inserted, long Updated)> MergeOnceAsync(
        NpgsqlConnection connection, UpsertPlan plan, string staging, HashSet<long> columnSets, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        const string attempt = MergeSavepoint;
        await ExecuteAsync(connection, $"SAVEPOINT {attempt}", timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            var inserted = await ExecuteAsync(connection, plan.InsertAllSql(staging, columnSets), timeout, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"RELEASE SAVEPOINT {attempt}", timeout, cancellationToken).ConfigureAwait(false);
            return (inserted, 0);
        }
        catch (PostgresException conflict) when (conflict.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await ExecuteAsync(connection, $"ROLLBACK TO SAVEPOINT {attempt}", timeout, cancellationToken).ConfigureAwait(false);
        }

        if (plan.Updated.Count == 0)
        {
            return (await ExecuteAsync(connection, plan.InsertOrSkipSql(staging, columnSets), timeout, cancellationToken).ConfigureAwait(false), 0);
        }

        if (columnSets.Count == 1 && columnSets.First() is var only && plan.UpdatedFor(only).Count > 0)
        {
            (long, long) counts;
            try
            {
                counts = await CountAsync(connection, plan.InsertOrUpdateSql(staging, only, columnSets, deduplicate: false), timeout, cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, $"RELEASE SAVEPOINT {attempt}", timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException repeated) when (repeated.SqlState == PostgresErrorCodes.CardinalityViolation)
            {
                // A key repeats within the batch: sort so the last row of each key wins.
                await ExecuteAsync(connection, $"ROLLBACK TO SAVEPOINT {attempt}", timeout, cancellationToken).ConfigureAwait(false);
                counts = await CountAsync(connection, plan.InsertOrUpdateSql(staging, only, columnSets, deduplicate: true), timeout, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, StagingTable.DropSql(staging), timeout, cancellationToken).ConfigureAwait(false);
            return counts;
        }

        // Several column sets: the last row of each key is chosen over the whole batch, then each column set is merged
        // with the columns its rows set. A set whose rows set none of the updated columns only inserts new keys.
        long totalInserted = 0, totalUpdated = 0;
        foreach (var defaults in columnSets)
        {
            if (plan.UpdatedFor(defaults).Count == 0)
            {
                totalInserted += await ExecuteAsync(connection, plan.InsertOrSkipStatement(staging, defaults, columnSets, lastWins: true), timeout, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var (groupInserted, groupUpdated) = await CountAsync(connection, plan.InsertOrUpdateSql(staging, defaults, columnSets, deduplicate: true), timeout, cancellationToken).ConfigureAwait(false);
            totalInserted += groupInserted;
            totalUpdated += groupUpdated;
        }

        await ExecuteAsync(connection, $"RELEASE SAVEPOINT {attempt}; {StagingTable.DropSql(staging)}", timeout, cancellationToken).ConfigureAwait(false);
        return (totalInserted, totalUpdated);
    }

    private static async Task<(long Inserted, long Updated)> CountAsync(NpgsqlConnection connection, string sql, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            if (timeout is { } t)
            {
                command.CommandTimeout = (int)Math.Ceiling(t.TotalSeconds);
            }

            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return (reader.GetInt64(0), reader.GetInt64(1));
            }
        }
    }

    /// <summary>The connection broke (the server went away, or an administrator ended the session): the server rolled the transaction back.</summary>
    private static BulkIngestException Lost(Exception error, CopyTableMap map, bool earlierBatchesKept)
    {
        var reason = error is PostgresException server ? $"{server.MessageText} [SQLSTATE {server.SqlState}]" : error.InnerException?.Message ?? error.Message;
        var kept = earlierBatchesKept
            ? " Batches committed before it are kept; the batch in flight was rolled back by the server."
            : " The server rolled the transaction back: nothing of it was written.";
        return new BulkIngestException(
            $"The connection to the server broke while the rows of {map.EntityName} were written into {map.QualifiedTable} ({reason}).{kept} " +
            "Nothing is wrong with the rows: run the call again when the server is reachable.",
            map.EntityName, null, null, error);
    }

    private static BulkIngestException Translate(PostgresException error, CopyTableMap map, long batchStart, bool earlierBatchesKept)
    {
        long? rowIndex = error.Where is { } where && CopyLine().Match(where) is { Success: true } line
            ? batchStart + long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture) - 1
            : null;
        var property = error.ColumnName is { } column ? map.Columns.FirstOrDefault(c => c.ColumnName == column)?.Property.Name ?? column : null;
        var what = rowIndex is { } r ? $"row {r} (zero-based position in the source) of {map.EntityName}" : $"the rows of {map.EntityName}";
        var constraint = error.ConstraintName is { } c ? $", constraint {c}" : "";
        var detail = string.IsNullOrEmpty(error.Detail) ? "" : $" {error.Detail}";
        var kept = earlierBatchesKept ? " Batches committed before it are kept; the failed batch was rolled back." : " Nothing of this transaction was written.";
        if (error.SqlState == PostgresErrorCodes.DeadlockDetected)
        {
            return new BulkIngestException(
                $"Writing the rows of {map.EntityName} into {map.QualifiedTable} deadlocked with other sessions writing the same keys {MergeAttempts} times in a row [SQLSTATE 40P01].{kept} " +
                "Nothing is wrong with the rows: run the call again. If it keeps happening, the deadlock involves rows your own transaction wrote before the upsert, " +
                "or other sessions' transactions: upsert outside your transaction, or with CommitEvery so each batch commits on its own.",
                map.EntityName, null, null, error);
        }

        return new BulkIngestException(
            $"The server refused {what} in {map.QualifiedTable}{(property is null ? "" : $" ({property})")}: {error.MessageText}{detail} [SQLSTATE {error.SqlState}{constraint}].{kept} Fix the row, or the constraint, and ingest again.",
            map.EntityName, property, rowIndex, error);
    }

    // The COPY's own context line; a trigger's "PL/pgSQL function ... line N" may precede it.
    [GeneratedRegex(@"\bCOPY [^\n]*?, line (\d+)")]
    private static partial Regex CopyLine();
}
