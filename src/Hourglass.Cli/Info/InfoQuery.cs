using Npgsql;
using NpgsqlTypes;

namespace Hourglass.Cli.Info;

/// <summary>Reads <see cref="InfoReport"/> from timescaledb_information views and the size functions.</summary>
internal static class InfoQuery
{
    /// <summary>timestamptz as ISO 8601 UTC text; infinities (never-run jobs on some versions) as NULL.</summary>
    internal static string Iso(string expression) =>
        $"CASE WHEN isfinite({expression}) THEN to_char(({expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END";

    public static async Task<InfoReport> ReadAsync(NpgsqlConnection connection, IReadOnlyList<string> schemas, CancellationToken cancellationToken)
    {
        var server = await ReadServerAsync(connection, cancellationToken);
        var timescale = await ReadTimescaleAsync(connection, cancellationToken);
        if (!timescale.Installed)
        {
            return new InfoReport(server, timescale, [], [], []);
        }

        var catalog = await TimescaleCatalog.DetectAsync(connection, cancellationToken);
        var hypertables = await ReadHypertablesAsync(connection, catalog, schemas, cancellationToken);
        var aggregates = await ReadAggregatesAsync(connection, catalog, schemas, cancellationToken);
        var jobs = await ReadJobsAsync(connection, schemas, cancellationToken);
        return new InfoReport(server, timescale, hypertables, aggregates, jobs);
    }

    private static async Task<ServerInfo> ReadServerAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_database(), current_user::text", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerInfo(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3));
    }

    internal static async Task<TimescaleInfo> ReadTimescaleAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'),
                   (SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'),
                   current_setting('timescaledb.license', true)
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var installed = reader.IsDBNull(0) ? null : reader.GetString(0);
        return new TimescaleInfo(
            installed is not null,
            installed,
            reader.IsDBNull(1) ? null : reader.GetString(1),
            installed is null || reader.IsDBNull(2) ? null : reader.GetString(2));
    }

    private static NpgsqlParameter SchemaFilter(IReadOnlyList<string> schemas) =>
        new("schemas", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = schemas.Count == 0 ? DBNull.Value : schemas.ToArray() };

    private static async Task<List<HypertableInfo>> ReadHypertablesAsync(NpgsqlConnection connection, TimescaleCatalog catalog, IReadOnlyList<string> schemas, CancellationToken cancellationToken)
    {
        var dimensions = new Dictionary<(string, string), List<DimensionInfo>>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT hypertable_schema::text, hypertable_name::text, column_name::text, column_type::text, dimension_type::text,
                   coalesce(time_interval::text, integer_interval::text), num_partitions::int
            FROM timescaledb_information.dimensions
            ORDER BY hypertable_schema, hypertable_name, dimension_number
            """, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (!dimensions.TryGetValue(key, out var list))
                {
                    dimensions[key] = list = [];
                }

                var kind = reader.GetString(4) switch
                {
                    "Time" or "Range" or "Open" => "range",
                    "Space" or "Hash" or "Closed" => "hash",
                    var other => other.ToLowerInvariant(),
                };
                list.Add(new DimensionInfo(reader.GetString(2), reader.GetString(3), kind,
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6)));
            }
        }

        var fn = catalog.ExtensionSchema;
        var stats = catalog.ColumnstoreStatsFunction;
        var sql = $"""
            SELECT h.hypertable_schema::text, h.hypertable_name::text, h.num_chunks::int, h.{catalog.HypertableColumnstoreColumn}::bool,
                   {fn}.hypertable_size(r.rel)::bigint,
                   coalesce(s.number_compressed_chunks, 0)::int, s.before_compression_total_bytes::bigint, s.after_compression_total_bytes::bigint,
                   {fn}.approximate_row_count(r.rel)::bigint,
                   oldest.range_start, oldest.range_end, newest.range_start, newest.range_end
            FROM timescaledb_information.hypertables h
            CROSS JOIN LATERAL (SELECT format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass AS rel) r
            LEFT JOIN LATERAL (SELECT * FROM {fn}.{stats}(r.rel)) s ON true
            LEFT JOIN LATERAL ({ChunkRangeQuery("ASC")}) oldest ON true
            LEFT JOIN LATERAL ({ChunkRangeQuery("DESC")}) newest ON true
            WHERE @schemas::text[] IS NULL OR h.hypertable_schema = ANY(@schemas)
            ORDER BY 1, 2
            """;
        var result = new List<HypertableInfo>();
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            command.Parameters.Add(SchemaFilter(schemas));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                long? Long(int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);
                var before = Long(6);
                var after = Long(7);
                var schema = reader.GetString(0);
                var name = reader.GetString(1);
                result.Add(new HypertableInfo(
                    schema,
                    name,
                    dimensions.TryGetValue((schema, name), out var dims) ? dims : [],
                    reader.IsDBNull(2) ? 0 : reader.GetInt32(2),
                    reader.GetInt32(5),
                    !reader.IsDBNull(3) && reader.GetBoolean(3),
                    Long(4) ?? 0,
                    before,
                    after,
                    before is > 0 && after is > 0 ? Math.Round((double)before.Value / after.Value, 2) : null,
                    Math.Max(0, Long(8) ?? 0),
                    Text(9) is null && Text(10) is null ? null : new ChunkRange(Text(9), Text(10)),
                    Text(11) is null && Text(12) is null ? null : new ChunkRange(Text(11), Text(12))));
            }
        }

        return result;
    }

    private static string ChunkRangeQuery(string direction) => $"""
        SELECT coalesce({Iso("c.range_start")}, c.range_start_integer::text) AS range_start,
               coalesce({Iso("c.range_end")}, c.range_end_integer::text) AS range_end
        FROM timescaledb_information.chunks c
        WHERE c.hypertable_schema = h.hypertable_schema AND c.hypertable_name = h.hypertable_name
        ORDER BY c.range_start {direction}, c.range_start_integer {direction}
        LIMIT 1
        """;

    private static async Task<List<ContinuousAggregateInfo>> ReadAggregatesAsync(NpgsqlConnection connection, TimescaleCatalog catalog, IReadOnlyList<string> schemas, CancellationToken cancellationToken)
    {
        var rows = new List<(string Schema, string Name, string HSchema, string HName, bool MaterializedOnly, int MatId, string? TimeType)>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT ca.view_schema::text, ca.view_name::text,
                   coalesce(parent.user_view_schema, ca.hypertable_schema)::text, coalesce(parent.user_view_name, ca.hypertable_name)::text,
                   ca.materialized_only, cat.mat_hypertable_id, d.column_type::text
            FROM timescaledb_information.continuous_aggregates ca
            JOIN _timescaledb_catalog.continuous_agg cat ON cat.user_view_schema = ca.view_schema AND cat.user_view_name = ca.view_name
            -- An aggregate on an aggregate names the parent's internal hypertable; show the parent aggregate instead.
            LEFT JOIN _timescaledb_catalog.continuous_agg parent ON parent.mat_hypertable_id = cat.parent_mat_hypertable_id
            LEFT JOIN timescaledb_information.dimensions d
              ON d.hypertable_schema = ca.materialization_hypertable_schema AND d.hypertable_name = ca.materialization_hypertable_name AND d.dimension_number = 1
            WHERE @schemas::text[] IS NULL OR ca.view_schema = ANY(@schemas)
            ORDER BY 1, 2
            """, connection))
        {
            command.Parameters.Add(SchemaFilter(schemas));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4),
                    reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
            }
        }

        var result = new List<ContinuousAggregateInfo>();
        foreach (var row in rows)
        {
            var (refreshed, watermark) = await ReadWatermarkAsync(connection, catalog, row.MatId, row.TimeType, cancellationToken);
            result.Add(new ContinuousAggregateInfo(row.Schema, row.Name, row.HSchema, row.HName, row.MaterializedOnly, refreshed, watermark));
        }

        return result;
    }

    /// <summary>
    /// The watermark is the end of the materialized range: before the first refresh it is the minimum of the
    /// time type (year 4714 BC for timestamps), which is how "never refreshed" is recognised.
    /// </summary>
    private static async Task<(bool Refreshed, string? Watermark)> ReadWatermarkAsync(NpgsqlConnection connection, TimescaleCatalog catalog, int matHypertableId, string? timeType, CancellationToken cancellationToken)
    {
        var isInteger = timeType is "smallint" or "integer" or "bigint";
        var minimum = timeType switch
        {
            "smallint" => short.MinValue,
            "integer" => int.MinValue,
            "bigint" => long.MinValue,
            _ => -210866803200000000L,
        };
        var fn = catalog.InternalFunctionSchema;
        var sql = isInteger
            ? $"SELECT w, w::text FROM (SELECT {fn}.cagg_watermark(@id) AS w) x"
            : $"SELECT w, {Iso($"{fn}.to_timestamp(w)")} FROM (SELECT {fn}.cagg_watermark(@id) AS w) x";
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", matHypertableId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0))
        {
            return (false, null);
        }

        var refreshed = reader.GetInt64(0) > minimum;
        return (refreshed, refreshed && !reader.IsDBNull(1) ? reader.GetString(1) : null);
    }

    private static async Task<List<JobInfo>> ReadJobsAsync(NpgsqlConnection connection, IReadOnlyList<string> schemas, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT j.job_id, j.application_name::text, format('%s.%s', j.proc_schema, j.proc_name), j.hypertable_schema::text, j.hypertable_name::text,
                   j.schedule_interval::text, j.scheduled,
                   {Iso("s.last_run_started_at")}, {Iso("s.last_successful_finish")}, s.last_run_status::text, s.job_status::text,
                   {Iso("coalesce(s.next_start, j.next_start)")},
                   coalesce(s.total_runs, 0)::bigint, coalesce(s.total_failures, 0)::bigint
            FROM timescaledb_information.jobs j
            LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
            WHERE @schemas::text[] IS NULL OR coalesce(j.hypertable_schema, j.proc_schema) = ANY(@schemas)
            ORDER BY j.job_id
            """;
        var result = new List<JobInfo>();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(SchemaFilter(schemas));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            result.Add(new JobInfo(
                reader.GetInt32(0), reader.GetString(1), reader.GetString(2), Text(3), Text(4), Text(5), reader.GetBoolean(6),
                Text(7), Text(8), Text(9), Text(10), Text(11), reader.GetInt64(12), reader.GetInt64(13)));
        }

        return result;
    }
}

/// <summary>Where this TimescaleDB version keeps its functions and which names it uses (older and newer releases differ).</summary>
internal sealed record TimescaleCatalog(string ExtensionSchema, string InternalFunctionSchema, string ColumnstoreStatsFunction, string HypertableColumnstoreColumn)
{
    public static async Task<TimescaleCatalog> DetectAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT quote_ident(n.nspname),
                   CASE WHEN to_regproc('_timescaledb_functions.cagg_watermark') IS NOT NULL THEN '_timescaledb_functions' ELSE '_timescaledb_internal' END,
                   CASE WHEN EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid AND p.proname = 'hypertable_columnstore_stats')
                        THEN 'hypertable_columnstore_stats' ELSE 'hypertable_compression_stats' END,
                   CASE WHEN EXISTS (SELECT 1 FROM information_schema.columns
                                     WHERE table_schema = 'timescaledb_information' AND table_name = 'hypertables' AND column_name = 'compression_enabled')
                        THEN 'compression_enabled' ELSE 'columnstore_enabled' END
            FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'timescaledb'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TimescaleCatalog(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
    }
}
