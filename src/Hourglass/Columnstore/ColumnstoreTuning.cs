using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>
    /// Adds each hypertable's configured sparse indexes (the <c>index</c> JSON of <c>_timescaledb_catalog.compression_settings</c>,
    /// TimescaleDB 2.22+) and merged chunk interval (<c>compress_interval_length</c> of its primary dimension) to its settings (every hypertable gets an entry; the caller keeps those with the columnstore enabled).
    /// </summary>
    internal static async Task<Dictionary<(string Schema, string Name), ColumnstoreSettings>> AddColumnstoreTuningAsync(
        NpgsqlConnection connection, Dictionary<(string Schema, string Name), ColumnstoreSettings> settings, CancellationToken cancellationToken)
    {
        // to_jsonb(cs) -> 'index' is null where the column does not exist (before 2.22): one query for every version with the table (2.14+).
        var hasSettingsTable = (await Db.QueryAsync(connection, "SELECT to_regclass('_timescaledb_catalog.compression_settings') IS NOT NULL", null, r => r.GetBoolean(0), cancellationToken).ConfigureAwait(false))[0];
        var sparse = hasSettingsTable
            ? """
              (SELECT (to_jsonb(cs) -> 'index')::text FROM _timescaledb_catalog.compression_settings cs
               WHERE cs.relid = format('%I.%I', ht.schema_name, ht.table_name)::regclass)
              """
            : "NULL::text";
        var rows = await Db.QueryAsync(
            connection,
            $"""
             SELECT ht.schema_name::text, ht.table_name::text, {sparse},
                    (SELECT d.compress_interval_length FROM _timescaledb_catalog.dimension d
                     WHERE d.hypertable_id = ht.id AND d.interval_length IS NOT NULL ORDER BY d.id LIMIT 1),
                    (SELECT d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) FROM _timescaledb_catalog.dimension d
                     WHERE d.hypertable_id = ht.id AND d.interval_length IS NOT NULL ORDER BY d.id LIMIT 1)
             FROM _timescaledb_catalog.hypertable ht
             """,
            null,
            r => (Schema: r.GetString(0), Name: r.GetString(1), Index: r.IsDBNull(2) ? null : r.GetString(2), Merged: r.IsDBNull(3) ? (long?)null : r.GetInt64(3), Integer: !r.IsDBNull(4) && r.GetBoolean(4)),
            cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            var current = settings.GetValueOrDefault((row.Schema, row.Name)) ?? ColumnstoreSettings.None;
            var merged = row.Merged is { } length and > 0 ? row.Integer ? TimescaleInterval.FromInteger(length) : TimescaleInterval.FromMicroseconds(length) : (TimescaleInterval?)null;
            settings[(row.Schema, row.Name)] = current with { SparseIndexes = SparseIndex.FromCatalog(row.Index), MergedChunkInterval = merged };
        }

        return settings;
    }
}
