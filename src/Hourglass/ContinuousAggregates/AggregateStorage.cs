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

    internal static async Task<List<AggregateStorage>> ReadAggregateStorageAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken)
    {
        if (!catalog.IsInstalled)
        {
            return [];
        }

        // The catalog tables rather than timescaledb_information: its hypertables and dimensions views leave out
        // materialization hypertables. Time dimensions keep their interval in microseconds. Whether the columnstore is
        // on is the continuous_aggregates view's word (the hypertable's status bits changed over the versions).
        var rows = await Db.QueryAsync(
            connection,
            """
            SELECT ca.user_view_schema::text, ca.user_view_name::text, mat.schema_name::text, mat.table_name::text,
                   (SELECT d.interval_length FROM _timescaledb_catalog.dimension d WHERE d.hypertable_id = mat.id AND d.interval_length IS NOT NULL
                      AND d.column_type IN ('timestamp with time zone'::regtype, 'timestamp without time zone'::regtype, 'date'::regtype) ORDER BY d.id LIMIT 1),
                   (SELECT d.interval_length FROM _timescaledb_catalog.dimension d WHERE d.hypertable_id = ca.raw_hypertable_id AND d.interval_length IS NOT NULL
                      AND d.column_type IN ('timestamp with time zone'::regtype, 'timestamp without time zone'::regtype, 'date'::regtype) ORDER BY d.id LIMIT 1),
                   coalesce(info.compression_enabled, false),
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = format('%I.%I', mat.schema_name, mat.table_name)::regclass AND i.indnatts > 1)
            FROM _timescaledb_catalog.continuous_agg ca
            JOIN _timescaledb_catalog.hypertable mat ON mat.id = ca.mat_hypertable_id
            LEFT JOIN timescaledb_information.continuous_aggregates info ON info.view_schema = ca.user_view_schema AND info.view_name = ca.user_view_name
            ORDER BY 1, 2
            """,
            null,
            r => (Schema: r.GetString(0), Name: r.GetString(1), MatSchema: r.GetString(2), MatName: r.GetString(3), Interval: r.Long(4), Source: r.Long(5), Enabled: r.GetBoolean(6), GroupIndexes: r.GetBoolean(7)),
            cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return [];
        }

        var settings = await ReadColumnstoreSettingsAsync(connection, catalog, cancellationToken).ConfigureAwait(false);
        return rows.Select(a => new AggregateStorage(
            a.Schema,
            a.Name,
            a.Interval is { } interval ? TimeSpan.FromTicks(interval * 10) : null,
            a.Source is { } source ? TimeSpan.FromTicks(source * 10) : null,
            a.Enabled ? settings.GetValueOrDefault((a.MatSchema, a.MatName)) ?? ColumnstoreSettings.None : null,
            a.GroupIndexes)).ToList();
    }
}
