using Hourglass.Infrastructure;

namespace Hourglass;

/// <summary>
/// Direct compress of a hypertable (<c>ALTER TABLE ... SET (timescaledb.direct_compress)</c>, TimescaleDB 2.29+): rows
/// written by <c>COPY</c> and <c>INSERT</c> go straight into columnstore chunks. TimescaleDB then runs two jobs of its own
/// for the hypertable, a compaction policy and a columnstore policy (converting after one chunk interval, every minute),
/// and removes both when the option is turned off. Older servers have only the session settings
/// (<c>timescaledb.enable_direct_compress_copy</c>/<c>_insert</c>), nothing stored on the table.
/// </summary>
/// <param name="Schema">The hypertable's schema.</param>
/// <param name="Table">The hypertable's name.</param>
public sealed record DirectCompressHypertable(string Schema, string Table)
{
    /// <summary>The TimescaleDB version that has the <c>timescaledb.direct_compress</c> table option.</summary>
    public static Version Since { get; } = new(2, 29);

    /// <summary>The table option, as <c>ALTER TABLE ... SET (...)</c> takes it.</summary>
    public const string StorageParameter = "timescaledb.direct_compress";

    /// <summary>The procedure of the compaction job TimescaleDB adds with the option.</summary>
    public const string CompactionProcedure = "policy_compaction";

    // The bit the option sets in _timescaledb_catalog.hypertable.status (2.29: 8; the columnstore's own bit is 4). No
    // information view shows the option.
    internal const int StatusBit = 8;
}

public sealed partial class TimescaleClient
{
    /// <summary>
    /// Every hypertable with <c>timescaledb.direct_compress</c> on, ordered by schema and table; empty before TimescaleDB
    /// 2.29 (which has no such option) and without TimescaleDB.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The hypertables.</returns>
    public Task<IReadOnlyList<DirectCompressHypertable>> GetDirectCompressHypertablesAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<DirectCompressHypertable>>(
            async (connection, catalog) => !catalog.IsInstalled || catalog.TimescaleVersion is not { } version || version < DirectCompressHypertable.Since
                ? []
                : await Db.QueryAsync(
                    connection,
                    $"""
                    SELECT schema_name::text, table_name::text FROM _timescaledb_catalog.hypertable
                    WHERE status & {DirectCompressHypertable.StatusBit} <> 0
                    ORDER BY 1, 2
                    """,
                    null,
                    r => new DirectCompressHypertable(r.GetString(0), r.GetString(1)),
                    cancellationToken).ConfigureAwait(false),
            cancellationToken);
}
