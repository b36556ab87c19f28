using Hourglass.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>The continuous aggregates of this database, ordered by schema and name.</summary>
    /// <param name="schemas">Only these schemas; all when null or empty.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The aggregates; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<ContinuousAggregate>> GetContinuousAggregatesAsync(IReadOnlyCollection<string>? schemas = null, CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<ContinuousAggregate>>(
            async (connection, catalog) => catalog.IsInstalled
                ? await ReadAggregatesAsync(connection, catalog, schemas, null, cancellationToken).ConfigureAwait(false)
                : [],
            cancellationToken);

    /// <summary>
    /// The refreshes that migrations applied by Hourglass's EF Core plugin recorded and have not run yet, from every
    /// <see cref="PendingMigrationRefresh.TableName"/> table this role can read, oldest first.
    /// </summary>
    /// <param name="schemas">Only aggregates in these schemas; all when null or empty.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The pending refreshes; empty when no migration left one.</returns>
    public Task<IReadOnlyList<PendingMigrationRefresh>> GetPendingMigrationRefreshesAsync(IReadOnlyCollection<string>? schemas = null, CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<PendingMigrationRefresh>>(
            async (connection, _) =>
            {
                var tables = await Db.QueryAsync(
                    connection,
                    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE c.relname = @table AND c.relkind = 'r' AND has_table_privilege(c.oid, 'SELECT') ORDER BY 1",
                    p => p.AddWithValue("table", PendingMigrationRefresh.TableName),
                    r => r.GetString(0),
                    cancellationToken).ConfigureAwait(false);
                var pending = new List<PendingMigrationRefresh>();
                foreach (var table in tables)
                {
                    pending.AddRange(await Db.QueryAsync(
                        connection,
                        $"SELECT view_schema::text, view_name::text, requested_at FROM {table} WHERE @schemas IS NULL OR view_schema::text = ANY(@schemas)",
                        p => p.Add(Db.TextArray("schemas", schemas)),
                        r => new PendingMigrationRefresh(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2)),
                        cancellationToken).ConfigureAwait(false));
                }

                return [.. pending.OrderBy(p => p.RequestedAt)];
            },
            cancellationToken);

    /// <summary>One continuous aggregate.</summary>
    /// <param name="aggregate">"schema.name" or "name" of the view.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The aggregate.</returns>
    /// <exception cref="TimescaleException">No such view, it is not a continuous aggregate, or TimescaleDB is not installed.</exception>
    public Task<ContinuousAggregate> GetContinuousAggregateAsync(string aggregate, CancellationToken cancellationToken = default) =>
        UseAsync(
            async (connection, catalog) =>
            {
                catalog.RequireTimescale($"GetContinuousAggregateAsync(\"{aggregate}\")");
                var name = await RelationName.ResolveAsync(connection, aggregate, "view", cancellationToken).ConfigureAwait(false);
                var found = await ReadAggregatesAsync(connection, catalog, null, name, cancellationToken).ConfigureAwait(false);
                return found.Count == 1 ? found[0] : throw NotAnAggregate(name);
            },
            cancellationToken);

    /// <summary>
    /// Refreshes a continuous aggregate over a time window (refresh_continuous_aggregate). Must run outside a transaction.
    /// </summary>
    /// <param name="aggregate">"schema.name" or "name" of the view.</param>
    /// <param name="from">Window start; null for everything before <paramref name="to"/>.</param>
    /// <param name="to">Window end; null for everything after <paramref name="from"/>.</param>
    /// <param name="cancellationToken">Cancels the refresh.</param>
    /// <returns>A task that completes when the window is materialized.</returns>
    /// <exception cref="TimescaleException">No such aggregate, it has integer buckets (use the long overload), or TimescaleDB is not installed.</exception>
    public Task RefreshContinuousAggregateAsync(string aggregate, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default) =>
        RefreshAsync(aggregate, from?.ToUniversalTime(), to?.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);

    /// <summary>Refreshes a continuous aggregate with integer buckets over a window of integer time values.</summary>
    /// <param name="aggregate">"schema.name" or "name" of the view.</param>
    /// <param name="from">Window start; null for everything before <paramref name="to"/>.</param>
    /// <param name="to">Window end; null for everything after <paramref name="from"/>.</param>
    /// <param name="cancellationToken">Cancels the refresh.</param>
    /// <returns>A task that completes when the window is materialized.</returns>
    public Task RefreshContinuousAggregateAsync(string aggregate, long? from, long? to, CancellationToken cancellationToken = default) =>
        RefreshAsync(aggregate, from, to, NpgsqlDbType.Bigint, cancellationToken);

    private Task RefreshAsync(string aggregate, object? from, object? to, NpgsqlDbType type, CancellationToken cancellationToken) =>
        UseAsync(
            async (connection, catalog) =>
            {
                var call = $"RefreshContinuousAggregateAsync(\"{aggregate}\")";
                catalog.RequireTimescale(call);
                var name = await RelationName.ResolveAsync(connection, aggregate, "view", cancellationToken).ConfigureAwait(false);
                var found = await ReadAggregatesAsync(connection, catalog, null, name, cancellationToken).ConfigureAwait(false);
                var target = found.Count == 1 ? found[0] : throw NotAnAggregate(name);
                var integer = target.TimeColumnType is "smallint" or "integer" or "bigint";
                if (integer != (type == NpgsqlDbType.Bigint))
                {
                    throw new TimescaleException(integer
                        ? $"{call}: '{name}' has integer buckets ({target.TimeColumnType}); pass the window as long values."
                        : $"{call}: '{name}' has time buckets ({target.TimeColumnType}); pass the window as DateTimeOffset values.");
                }

                // The window takes the bucket column's own type; timestamp and date are read as UTC wall-clock time.
                string Bound(string parameter, object? value) => value is null
                    ? $"NULL::{target.TimeColumnType}"
                    : target.TimeColumnType switch
                    {
                        "timestamp without time zone" => $"(@{parameter} AT TIME ZONE 'UTC')",
                        "date" => $"(@{parameter} AT TIME ZONE 'UTC')::date",
                        "smallint" or "integer" => $"@{parameter}::{target.TimeColumnType}",
                        _ => $"@{parameter}",
                    };

                await Db.ExecuteAsync(
                    connection,
                    $"CALL {catalog.Fn}.refresh_continuous_aggregate('{name.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass, {Bound("from", from)}, {Bound("to", to)})",
                    p =>
                    {
                        if (from is not null)
                        {
                            p.Add(new NpgsqlParameter("from", type) { Value = from });
                        }

                        if (to is not null)
                        {
                            p.Add(new NpgsqlParameter("to", type) { Value = to });
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    private static TimescaleException NotAnAggregate(RelationName name) =>
        new($"'{name}' is not a continuous aggregate. Create one with CREATE MATERIALIZED VIEW ... WITH (timescaledb.continuous) (or IsContinuousAggregate in the EF Core model).");

    internal static async Task<List<ContinuousAggregate>> ReadAggregatesAsync(NpgsqlConnection connection, ServerCatalog catalog, IReadOnlyCollection<string>? schemas, RelationName? only, CancellationToken cancellationToken)
    {
        var rows = await Db.QueryAsync(
            connection,
            """
            SELECT ca.view_schema::text, ca.view_name::text,
                   coalesce(parent.user_view_schema, ca.hypertable_schema)::text, coalesce(parent.user_view_name, ca.hypertable_name)::text, parent.mat_hypertable_id IS NOT NULL,
                   ca.materialized_only, coalesce(ca.compression_enabled, false), coalesce(ca.view_definition, ''), cat.mat_hypertable_id, d.column_type::text
            FROM timescaledb_information.continuous_aggregates ca
            JOIN _timescaledb_catalog.continuous_agg cat ON cat.user_view_schema = ca.view_schema AND cat.user_view_name = ca.view_name
            -- An aggregate on an aggregate names the parent's internal hypertable; name the parent aggregate instead.
            LEFT JOIN _timescaledb_catalog.continuous_agg parent ON parent.mat_hypertable_id = cat.parent_mat_hypertable_id
            LEFT JOIN timescaledb_information.dimensions d
              ON d.hypertable_schema = ca.materialization_hypertable_schema AND d.hypertable_name = ca.materialization_hypertable_name AND d.dimension_number = 1
            WHERE (@schemas::text[] IS NULL OR ca.view_schema = ANY(@schemas))
              AND (@schema::text IS NULL OR (ca.view_schema = @schema AND ca.view_name = @name))
            ORDER BY 1, 2
            """,
            p =>
            {
                p.Add(Db.TextArray("schemas", schemas));
                p.Add(new NpgsqlParameter("schema", NpgsqlDbType.Text) { Value = (object?)only?.Schema ?? DBNull.Value });
                p.Add(new NpgsqlParameter("name", NpgsqlDbType.Text) { Value = (object?)only?.Name ?? DBNull.Value });
            },
            r => (Schema: r.GetString(0), Name: r.GetString(1), SourceSchema: r.GetString(2), SourceName: r.GetString(3), OnAggregate: r.GetBoolean(4),
                MaterializedOnly: r.GetBoolean(5), Columnstore: r.GetBoolean(6), Definition: r.GetString(7), MatId: r.GetInt32(8), TimeType: r.Text(9)),
            cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return [];
        }

        var jobs = await ReadJobsAsync(connection, catalog, null, cancellationToken).ConfigureAwait(false);
        var result = new List<ContinuousAggregate>();
        foreach (var row in rows)
        {
            var (time, integer) = await ReadWatermarkAsync(connection, catalog, row.MatId, row.TimeType, cancellationToken).ConfigureAwait(false);
            result.Add(new ContinuousAggregate(
                row.Schema, row.Name, row.SourceSchema, row.SourceName, row.OnAggregate, row.MaterializedOnly, row.Columnstore, row.Definition, row.TimeType,
                time, integer, jobs.Where(j => j.RelationSchema == row.Schema && j.RelationName == row.Name).ToList()));
        }

        return result;
    }

    /// <summary>
    /// The watermark is the end of the materialized range: before the first refresh it is the minimum of the time type
    /// (4714 BC for timestamps), which is how "never refreshed" is recognised.
    /// </summary>
    private static async Task<(DateTimeOffset? Time, long? Integer)> ReadWatermarkAsync(NpgsqlConnection connection, ServerCatalog catalog, int matHypertableId, string? timeType, CancellationToken cancellationToken)
    {
        var isInteger = timeType is "smallint" or "integer" or "bigint";
        var minimum = timeType switch
        {
            "smallint" => short.MinValue,
            "integer" => int.MinValue,
            "bigint" => long.MinValue,
            _ => -210866803200000000L,
        };
        var fn = catalog.InternalSchema;
        var rows = await Db.QueryAsync(
            connection,
            $"SELECT w, {(isInteger ? "NULL::timestamptz" : $"CASE WHEN w > {minimum} THEN {Db.Finite($"{fn}.to_timestamp(w)")} END")} FROM (SELECT {fn}.cagg_watermark(@id)::bigint AS w) x",
            p => p.AddWithValue("id", matHypertableId),
            r => (Watermark: r.Long(0), Time: r.Time(1)),
            cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0 || rows[0].Watermark is not { } watermark || watermark <= minimum)
        {
            return (null, null);
        }

        return isInteger ? (null, watermark) : (rows[0].Time, null);
    }
}
