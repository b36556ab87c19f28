using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

/// <summary>
/// What a hypertable is declared as, without sizes or statistics: what rebuilding a model from the database (EF Core
/// scaffolding) needs. Read in two queries for all hypertables, so it stays cheap on databases with many.
/// </summary>
/// <param name="Schema">The hypertable's schema.</param>
/// <param name="Name">The hypertable's name.</param>
/// <param name="Dimensions">Its dimensions in order; the first is the primary one.</param>
/// <param name="Columnstore">Its columnstore settings; null when the columnstore (compression) is not enabled.</param>
public sealed record HypertableLayout(
    string Schema,
    string Name,
    IReadOnlyList<Dimension> Dimensions,
    ColumnstoreSettings? Columnstore)
{
    /// <summary>Whether the columnstore (compression) is enabled.</summary>
    public bool ColumnstoreEnabled => Columnstore is not null;
}

public sealed partial class TimescaleClient
{
    /// <summary>
    /// Every hypertable's layout (dimensions and columnstore settings), ordered by schema and name: what rebuilding a
    /// model from the database needs, read in a few queries for all hypertables.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The layouts; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<HypertableLayout>> GetHypertableLayoutsAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<HypertableLayout>>(async (connection, catalog) => await ReadLayoutsAsync(connection, catalog, cancellationToken).ConfigureAwait(false), cancellationToken);

    internal static async Task<List<HypertableLayout>> ReadLayoutsAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken)
    {
        if (!catalog.IsInstalled)
        {
            return [];
        }

        var dimensions = await ReadDimensionsAsync(connection, null, null, cancellationToken).ConfigureAwait(false);
        var settings = await ReadColumnstoreSettingsAsync(connection, catalog, cancellationToken).ConfigureAwait(false);
        // Sparse indexes and merged chunk interval; a hypertable without segmentby/orderby rows gets its entry here.
        settings = await AddColumnstoreTuningAsync(connection, settings, cancellationToken).ConfigureAwait(false);
        var hypertables = await Db.QueryAsync(
            connection,
            $"""
            SELECT h.hypertable_schema::text, h.hypertable_name::text, coalesce(h.{catalog.HypertableColumnstoreColumn}, false)
            FROM timescaledb_information.hypertables h
            ORDER BY 1, 2
            """,
            null,
            r => (Schema: r.GetString(0), Name: r.GetString(1), Enabled: r.GetBoolean(2)),
            cancellationToken).ConfigureAwait(false);
        return hypertables.Select(h => new HypertableLayout(
            h.Schema,
            h.Name,
            dimensions[(h.Schema, h.Name)].ToList(),
            h.Enabled ? settings.GetValueOrDefault((h.Schema, h.Name)) ?? ColumnstoreSettings.None : null)).ToList();
    }

    /// <summary>Every hypertable's columnstore settings, from the typed per-column rows (never the server's printed lists).</summary>
    internal static async Task<Dictionary<(string Schema, string Name), ColumnstoreSettings>> ReadColumnstoreSettingsAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken)
    {
        var columns = await ReadColumnstoreColumnsAsync(connection, catalog, cancellationToken).ConfigureAwait(false);
        return columns.GroupBy(c => (c.Schema, c.Name)).ToDictionary(
            g => g.Key,
            g => new ColumnstoreSettings(
                g.Where(c => c.SegmentBy is not null).OrderBy(c => c.SegmentBy).Select(c => c.Column).ToList(),
                g.Where(c => c.OrderBy is not null).OrderBy(c => c.OrderBy).Select(c => ColumnstoreOrder.FromCatalog(c.Column, c.Descending, c.NullsFirst)).ToList()));
    }

    private static Task<List<(string Schema, string Name, string Column, int? SegmentBy, int? OrderBy, bool Descending, bool NullsFirst)>> ReadColumnstoreColumnsAsync(
        NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken) =>
        Db.QueryAsync(
            connection,
            catalog.ColumnstoreColumns == ColumnstoreColumnsSource.PerColumnView
                ? """
                  SELECT hypertable_schema::text, hypertable_name::text, attname::text, segmentby_column_index::int, orderby_column_index::int,
                         coalesce(NOT orderby_asc, false), coalesce(orderby_nullsfirst, false)
                  FROM timescaledb_information.compression_settings
                  """
                : """
                  SELECT ht.schema_name::text, ht.table_name::text, s.col::text, CASE WHEN s.seg THEN s.pos::int END, CASE WHEN NOT s.seg THEN s.pos::int END,
                         coalesce(s.descending, false), coalesce(s.nulls_first, false)
                  FROM _timescaledb_catalog.hypertable ht
                  JOIN _timescaledb_catalog.compression_settings cs ON cs.relid = format('%I.%I', ht.schema_name, ht.table_name)::regclass
                  CROSS JOIN LATERAL (
                      SELECT u.col, u.pos, true AS seg, NULL::bool AS descending, NULL::bool AS nulls_first FROM unnest(cs.segmentby) WITH ORDINALITY AS u(col, pos)
                      UNION ALL
                      SELECT u.col, u.pos, false, u.descending, u.nulls_first FROM unnest(cs.orderby, cs.orderby_desc, cs.orderby_nullsfirst) WITH ORDINALITY AS u(col, descending, nulls_first, pos)) s
                  """,
            null,
            r => (r.GetString(0), r.GetString(1), r.GetString(2), r.Int(3), r.Int(4), r.GetBoolean(5), r.GetBoolean(6)),
            cancellationToken);
}
