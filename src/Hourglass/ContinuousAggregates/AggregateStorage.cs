using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

/// <summary>
/// How a continuous aggregate stores its buckets: its materialization hypertable's chunk interval, columnstore settings
/// and group indexes. What rebuilding a model (EF Core scaffolding) needs besides <see cref="AggregateDefinition"/>.
/// </summary>
/// <param name="Schema">The view's schema.</param>
/// <param name="Name">The view's name.</param>
/// <param name="ChunkInterval">The materialization hypertable's chunk interval; null for an integer time column.</param>
/// <param name="SourceChunkInterval">The chunk interval of the hypertable the aggregate reads (TimescaleDB's default is ten times it).</param>
/// <param name="Columnstore">The columnstore settings; null when the columnstore is not enabled on the aggregate.</param>
/// <param name="HasGroupIndexes">Whether the materialization hypertable has an index over more than one column (TimescaleDB's group indexes).</param>
public sealed record AggregateStorage(
    string Schema,
    string Name,
    TimeSpan? ChunkInterval,
    TimeSpan? SourceChunkInterval,
    ColumnstoreSettings? Columnstore,
    bool HasGroupIndexes);

public sealed partial class TimescaleClient
{
    /// <summary>Every continuous aggregate's storage (chunk interval, columnstore settings, group indexes), ordered by schema and name.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The aggregates' storage; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<AggregateStorage>> GetContinuousAggregateStorageAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<AggregateStorage>>(async (connection, catalog) => await ReadAggregateStorageAsync(connection, catalog, cancellationToken).ConfigureAwait(false), cancellationToken);

    internal static async Task<List<AggregateStorage>> ReadAggregateStorageAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken) =>
        (await ReadAggregateMaterializationsAsync(connection, catalog, cancellationToken).ConfigureAwait(false)).Select(m => m.Storage).ToList();

    /// <summary>Every continuous aggregate's materialization hypertable: its storage, name, chunk interval in catalog units and indexes.</summary>
    internal static async Task<List<AggregateMaterialization>> ReadAggregateMaterializationsAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken)
    {
        if (!catalog.IsInstalled)
        {
            return [];
        }

        // The catalog tables rather than timescaledb_information: its hypertables and dimensions views leave out
        // materialization hypertables. Time dimensions keep their interval in microseconds, integer ones in their own
        // units. Whether the columnstore is on is the continuous_aggregates view's word (the hypertable's status bits
        // changed over the versions). pg_get_indexdef prints "CREATE [UNIQUE ]INDEX name ON schema.table USING ...":
        // the part from USING on is the index's shape, the same on any table with these columns.
        var rows = await Db.QueryAsync(
            connection,
            """
            SELECT ca.user_view_schema::text, ca.user_view_name::text, mat.schema_name::text, mat.table_name::text,
                   own.interval_length, own.column_type IN ('timestamp with time zone'::regtype, 'timestamp without time zone'::regtype, 'date'::regtype),
                   (SELECT d.interval_length FROM _timescaledb_catalog.dimension d WHERE d.hypertable_id = ca.raw_hypertable_id AND d.interval_length IS NOT NULL
                      AND d.column_type IN ('timestamp with time zone'::regtype, 'timestamp without time zone'::regtype, 'date'::regtype) ORDER BY d.id LIMIT 1),
                   coalesce(info.compression_enabled, false),
                   k.relname::text, i.indisunique, i.indnatts,
                   substr(pg_catalog.pg_get_indexdef(i.indexrelid),
                          length(format('CREATE %sINDEX %s ON %I.%I ', CASE WHEN i.indisunique THEN 'UNIQUE ' END, quote_ident(k.relname), mat.schema_name, mat.table_name)) + 1)
            FROM _timescaledb_catalog.continuous_agg ca
            JOIN _timescaledb_catalog.hypertable mat ON mat.id = ca.mat_hypertable_id
            LEFT JOIN LATERAL (SELECT d.interval_length, d.column_type FROM _timescaledb_catalog.dimension d
                               WHERE d.hypertable_id = mat.id AND d.interval_length IS NOT NULL ORDER BY d.id LIMIT 1) own ON true
            LEFT JOIN timescaledb_information.continuous_aggregates info ON info.view_schema = ca.user_view_schema AND info.view_name = ca.user_view_name
            LEFT JOIN pg_catalog.pg_index i ON i.indrelid = format('%I.%I', mat.schema_name, mat.table_name)::regclass
            LEFT JOIN pg_catalog.pg_class k ON k.oid = i.indexrelid
            ORDER BY 1, 2, 9
            """,
            null,
            r => (Schema: r.GetString(0), Name: r.GetString(1), MatSchema: r.GetString(2), MatName: r.GetString(3),
                Interval: r.Long(4), TimeColumn: !r.IsDBNull(5) && r.GetBoolean(5), Source: r.Long(6), Enabled: r.GetBoolean(7),
                Index: r.IsDBNull(8) ? null : new MaterializationIndex(r.GetString(8), r.GetBoolean(9), r.GetInt16(10), r.GetString(11))),
            cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return [];
        }

        var settings = await ReadColumnstoreSettingsAsync(connection, catalog, cancellationToken).ConfigureAwait(false);
        return rows.GroupBy(r => (r.Schema, r.Name))
            .Select(g =>
            {
                var a = g.First();
                var indexes = g.Where(r => r.Index is not null).Select(r => r.Index!).ToList();
                var storage = new AggregateStorage(
                    a.Schema,
                    a.Name,
                    a is { TimeColumn: true, Interval: { } interval } ? TimeSpan.FromTicks(interval * 10) : null,
                    a.Source is { } source ? TimeSpan.FromTicks(source * 10) : null,
                    a.Enabled ? settings.GetValueOrDefault((a.MatSchema, a.MatName)) ?? ColumnstoreSettings.None : null,
                    indexes.Any(i => i.Columns > 1));
                return new AggregateMaterialization(storage, a.MatSchema, a.MatName, a.Interval, indexes);
            })
            .ToList();
    }
}

/// <summary>A continuous aggregate's materialization hypertable, as copying the aggregate to another server needs it.</summary>
/// <param name="Storage">What the model sees of it.</param>
/// <param name="MaterializationSchema">The materialization hypertable's schema.</param>
/// <param name="MaterializationName">The materialization hypertable's name.</param>
/// <param name="ChunkInterval">Its chunk interval in catalog units (microseconds for time columns).</param>
/// <param name="Indexes">Its indexes, TimescaleDB's own and those made by hand.</param>
internal sealed record AggregateMaterialization(
    AggregateStorage Storage,
    string MaterializationSchema,
    string MaterializationName,
    long? ChunkInterval,
    IReadOnlyList<MaterializationIndex> Indexes)
{
    public string Schema => Storage.Schema;

    public string Name => Storage.Name;
}

/// <param name="Name">The index's name.</param>
/// <param name="Unique">Whether it is unique.</param>
/// <param name="Columns">How many columns it has, INCLUDE ones too.</param>
/// <param name="Definition">From <c>USING</c> on: method, columns, INCLUDE, WITH and WHERE.</param>
internal sealed record MaterializationIndex(string Name, bool Unique, int Columns, string Definition)
{
    public string Shape => (Unique ? "UNIQUE " : "") + Definition;
}
