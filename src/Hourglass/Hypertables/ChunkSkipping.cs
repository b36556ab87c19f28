using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

/// <summary>A hypertable column with chunk skipping enabled (<c>enable_chunk_skipping</c>, TimescaleDB 2.16+).</summary>
/// <param name="Schema">The hypertable's schema.</param>
/// <param name="Table">The hypertable's name.</param>
/// <param name="Column">The column whose per-chunk ranges TimescaleDB keeps.</param>
public sealed record ChunkSkippingColumn(string Schema, string Table, string Column)
{
    /// <summary>The TimescaleDB version that has <c>enable_chunk_skipping</c>.</summary>
    public static Version Since { get; } = new(2, 16);

    /// <summary>
    /// The setting TimescaleDB needs on for <c>enable_chunk_skipping</c>/<c>disable_chunk_skipping</c> and for queries to
    /// skip chunks by the column's ranges; off by default, settable per session, role or database.
    /// </summary>
    public const string Setting = "timescaledb.enable_chunk_skipping";

    /// <summary>
    /// The store types <c>enable_chunk_skipping</c> accepts (TimescaleDB checks the column's type oid: int2, int4, int8,
    /// date, timestamp, timestamptz; a domain over one of them is refused too), in PostgreSQL's names.
    /// </summary>
    public static IReadOnlyList<string> SupportedTypes { get; } =
        ["smallint", "integer", "bigint", "date", "timestamp without time zone", "timestamp with time zone"];

    /// <summary>
    /// Whether <c>enable_chunk_skipping</c> accepts a column of this store type, e.g. "bigint", "int8", "serial",
    /// "timestamp(3) with time zone" or "timestamptz"; false for any other type (<c>double precision</c>, <c>uuid</c>, a domain).
    /// </summary>
    /// <param name="storeType">The column's type as written in DDL.</param>
    /// <returns>Whether TimescaleDB accepts it.</returns>
    public static bool SupportsStoreType(string storeType)
    {
        ArgumentNullException.ThrowIfNull(storeType);
        var precision = storeType.IndexOf('(', StringComparison.Ordinal);
        var close = precision < 0 ? -1 : storeType.IndexOf(')', precision);
        var name = (close < 0 ? storeType : storeType.Remove(precision, close - precision + 1)).Trim().ToLowerInvariant();
        name = string.Join(' ', name.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return name is "smallint" or "int2" or "smallserial" or "serial2"
            or "integer" or "int" or "int4" or "serial" or "serial4"
            or "bigint" or "int8" or "bigserial" or "serial8"
            or "date"
            or "timestamp" or "timestamp without time zone" or "timestamptz" or "timestamp with time zone";
    }
}

public sealed partial class TimescaleClient
{
    /// <summary>
    /// Every hypertable column with chunk skipping enabled, from <c>_timescaledb_catalog.chunk_column_stats</c> (its
    /// per-hypertable rows), ordered by schema, table and the order they were enabled; empty before TimescaleDB 2.16.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The columns.</returns>
    public Task<IReadOnlyList<ChunkSkippingColumn>> GetChunkSkippingColumnsAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<ChunkSkippingColumn>>(
            async (connection, catalog) =>
            {
                if (!catalog.IsInstalled
                    || !(await Db.QueryAsync(connection, "SELECT to_regclass('_timescaledb_catalog.chunk_column_stats') IS NOT NULL", null, r => r.GetBoolean(0), cancellationToken).ConfigureAwait(false))[0])
                {
                    return [];
                }

                return await Db.QueryAsync(
                    connection,
                    """
                    SELECT ht.schema_name::text, ht.table_name::text, s.column_name::text
                    FROM _timescaledb_catalog.chunk_column_stats s
                    JOIN _timescaledb_catalog.hypertable ht ON ht.id = s.hypertable_id
                    WHERE s.chunk_id IS NULL
                    ORDER BY 1, 2, s.id
                    """,
                    null,
                    r => new ChunkSkippingColumn(r.GetString(0), r.GetString(1), r.GetString(2)),
                    cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
}
