using Hourglass.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>The hypertables of this database (not continuous aggregates' internal ones), ordered by schema and name.</summary>
    /// <param name="schemas">Only these schemas; all when null or empty.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The hypertables; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<Hypertable>> GetHypertablesAsync(IReadOnlyCollection<string>? schemas = null, CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<Hypertable>>(
            async (connection, catalog) => catalog.IsInstalled
                ? await ReadHypertablesAsync(connection, catalog, schemas, null, cancellationToken).ConfigureAwait(false)
                : [],
            cancellationToken);

    /// <summary>One hypertable.</summary>
    /// <param name="hypertable">"schema.name" or "name".</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The hypertable.</returns>
    /// <exception cref="TimescaleException">No such table, it is not a hypertable, or TimescaleDB is not installed.</exception>
    public Task<Hypertable> GetHypertableAsync(string hypertable, CancellationToken cancellationToken = default) =>
        UseAsync(
            async (connection, catalog) =>
            {
                catalog.RequireTimescale($"GetHypertableAsync(\"{hypertable}\")");
                var name = await RelationName.ResolveAsync(connection, hypertable, "table", cancellationToken).ConfigureAwait(false);
                var found = await ReadHypertablesAsync(connection, catalog, null, name, cancellationToken).ConfigureAwait(false);
                return found.Count == 1 ? found[0] : throw NotAHypertable(name);
            },
            cancellationToken);

    internal static TimescaleException NotAHypertable(RelationName name) =>
        new($"'{name}' is not a hypertable. Make it one with SELECT create_hypertable('{name}', by_range('<time column>')) (or IsHypertable in the EF Core model).");

    internal static async Task<List<Hypertable>> ReadHypertablesAsync(NpgsqlConnection connection, ServerCatalog catalog, IReadOnlyCollection<string>? schemas, RelationName? only, CancellationToken cancellationToken)
    {
        void Filter(NpgsqlParameterCollection p)
        {
            p.Add(Db.TextArray("schemas", schemas));
            p.Add(new NpgsqlParameter("schema", NpgsqlDbType.Text) { Value = (object?)only?.Schema ?? DBNull.Value });
            p.Add(new NpgsqlParameter("name", NpgsqlDbType.Text) { Value = (object?)only?.Name ?? DBNull.Value });
        }

        const string where = """
            (@schemas::text[] IS NULL OR h.hypertable_schema = ANY(@schemas))
            AND (@schema::text IS NULL OR (h.hypertable_schema = @schema AND h.hypertable_name = @name))
            """;
        var dimensions = await ReadDimensionsAsync(connection, schemas, only, cancellationToken).ConfigureAwait(false);

        var fn = catalog.Fn;
        var settings = await ReadColumnstoreSettingsAsync(connection, catalog, cancellationToken).ConfigureAwait(false);
        var sql = $"""
            SELECT h.hypertable_schema::text, h.hypertable_name::text, h.owner::text, coalesce(h.num_chunks, 0)::int, coalesce(h.{catalog.HypertableColumnstoreColumn}, false),
                   coalesce(sz.table_bytes, 0)::bigint, coalesce(sz.index_bytes, 0)::bigint, coalesce(sz.toast_bytes, 0)::bigint, coalesce(sz.total_bytes, 0)::bigint,
                   greatest({fn}.approximate_row_count(r.rel), 0)::bigint,
                   coalesce(h.num_chunks, 0) = 0 OR EXISTS (
                       SELECT 1 FROM timescaledb_information.chunks c
                       JOIN pg_catalog.pg_class pc ON pc.oid = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
                       WHERE c.hypertable_schema = h.hypertable_schema AND c.hypertable_name = h.hypertable_name
                         -- reltuples is -1 until the first ANALYZE (PostgreSQL 14+); before 14 it is 0 with no pages.
                         AND (c.is_compressed OR pc.reltuples > 0 OR (pc.reltuples = 0 AND (pc.relpages > 0 OR current_setting('server_version_num')::int >= 140000)))),
                   cs.total_chunks, cs.converted_chunks, cs.before_bytes, cs.after_bytes,
                   (SELECT coalesce(sum(s.n_mod_since_analyze), 0)::bigint
                    FROM timescaledb_information.chunks c
                    JOIN pg_catalog.pg_stat_user_tables s ON s.schemaname = c.chunk_schema AND s.relname = c.chunk_name
                    WHERE c.hypertable_schema = h.hypertable_schema AND c.hypertable_name = h.hypertable_name)
            FROM timescaledb_information.hypertables h
            CROSS JOIN LATERAL (SELECT format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass AS rel) r
            LEFT JOIN LATERAL (SELECT sum(d.table_bytes) AS table_bytes, sum(d.index_bytes) AS index_bytes, sum(d.toast_bytes) AS toast_bytes, sum(d.total_bytes) AS total_bytes
                               FROM {fn}.hypertable_detailed_size(r.rel) d) sz ON true
            LEFT JOIN LATERAL (SELECT sum(s.total_chunks)::int AS total_chunks, sum(s.number_compressed_chunks)::int AS converted_chunks,
                                      sum(s.before_compression_total_bytes)::bigint AS before_bytes, sum(s.after_compression_total_bytes)::bigint AS after_bytes
                               FROM {fn}.{catalog.ColumnstoreStatsFunction}(r.rel) s
                               WHERE coalesce(h.{catalog.HypertableColumnstoreColumn}, false)) cs ON true
            WHERE {where}
            ORDER BY 1, 2
            """;
        return await Db.QueryAsync(
            connection,
            sql,
            Filter,
            r =>
            {
                var key = (r.GetString(0), r.GetString(1));
                var enabled = r.GetBoolean(4);
                var analyzed = r.GetBoolean(10);
                return new Hypertable(
                    key.Item1,
                    key.Item2,
                    r.Text(2),
                    dimensions[key].ToList(),
                    r.GetInt32(3),
                    new RelationSize(r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8)),
                    analyzed ? r.GetInt64(9) : null,
                    enabled,
                    enabled ? settings.GetValueOrDefault(key) ?? ColumnstoreSettings.None : null,
                    enabled ? new ColumnstoreStats(r.Int(11) ?? r.GetInt32(3), r.Int(12) ?? 0, r.Int(12) is > 0 ? r.Long(13) : null, r.Int(12) is > 0 ? r.Long(14) : null) : null)
                {
                    RowsModifiedSinceAnalyze = r.Long(15) ?? 0,
                };
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every hypertable's dimensions in order, typed: intervals as TimeSpan, integer intervals as long.</summary>
    internal static async Task<ILookup<(string Schema, string Name), Dimension>> ReadDimensionsAsync(
        NpgsqlConnection connection, IReadOnlyCollection<string>? schemas, RelationName? only, CancellationToken cancellationToken) =>
        (await Db.QueryAsync(
            connection,
            """
            SELECT h.hypertable_schema::text, h.hypertable_name::text, d.dimension_number::int, d.column_name::text, d.column_type::text,
                   d.dimension_type::text, d.time_interval, d.integer_interval::bigint, d.num_partitions::int, d.integer_now_func::text
            FROM timescaledb_information.dimensions d
            JOIN timescaledb_information.hypertables h ON h.hypertable_schema = d.hypertable_schema AND h.hypertable_name = d.hypertable_name
            WHERE (@schemas::text[] IS NULL OR h.hypertable_schema = ANY(@schemas))
              AND (@schema::text IS NULL OR (h.hypertable_schema = @schema AND h.hypertable_name = @name))
            ORDER BY 1, 2, 3
            """,
            p =>
            {
                p.Add(Db.TextArray("schemas", schemas));
                p.Add(new NpgsqlParameter("schema", NpgsqlDbType.Text) { Value = (object?)only?.Schema ?? DBNull.Value });
                p.Add(new NpgsqlParameter("name", NpgsqlDbType.Text) { Value = (object?)only?.Name ?? DBNull.Value });
            },
            r => (Key: (r.GetString(0), r.GetString(1)), Dimension: UuidIntervalAsTime(new Dimension(
                r.GetInt32(2),
                r.GetString(3),
                r.GetString(4),
                // 'Space' before 2.13's dimension builders renamed the kinds, 'Hash'/'Closed' after.
                r.GetString(5) is "Space" or "Hash" or "Closed" ? DimensionKind.Hash : DimensionKind.Range,
                r.Interval(6),
                r.Long(7),
                r.Int(8),
                r.Text(9)))),
            cancellationToken).ConfigureAwait(false))
        .ToLookup(x => x.Key, x => x.Dimension);

    // A UUIDv7 dimension's chunks are time ranges, but the dimensions view of the first releases with them (2.22, 2.23)
    // shows the interval as integer_interval, in microseconds; later ones show time_interval. Read both as the time interval.
    private static Dimension UuidIntervalAsTime(Dimension dimension)
        => dimension.IsUuid() && dimension.Interval is null && dimension.IntegerInterval is { } microseconds
            ? dimension with { Interval = TimeSpan.FromMicroseconds(microseconds), IntegerInterval = null }
            : dimension;
}
