using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

/// <summary>A continuous aggregate as declared: what rebuilding a model (EF Core scaffolding) needs, without its watermark or jobs.</summary>
/// <param name="Schema">The view's schema.</param>
/// <param name="Name">The view's name.</param>
/// <param name="MaterializedOnly">Whether queries read only materialized buckets.</param>
/// <param name="Definition">The view's query as the server prints it.</param>
public sealed record AggregateDefinition(string Schema, string Name, bool MaterializedOnly, string Definition);

public sealed partial class TimescaleClient
{
    /// <summary>Every continuous aggregate's definition (view, query, materialized-only), ordered by schema and name.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The definitions; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<AggregateDefinition>> GetContinuousAggregateDefinitionsAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<AggregateDefinition>>(async (connection, catalog) => await ReadAggregateDefinitionsAsync(connection, catalog, cancellationToken).ConfigureAwait(false), cancellationToken);

    internal static async Task<List<AggregateDefinition>> ReadAggregateDefinitionsAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken) =>
        !catalog.IsInstalled
            ? []
            : await Db.QueryAsync(
                connection,
                """
                SELECT view_schema::text, view_name::text, materialized_only, coalesce(view_definition, '')
                FROM timescaledb_information.continuous_aggregates
                ORDER BY 1, 2
                """,
                null,
                r => new AggregateDefinition(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetString(3)),
                cancellationToken).ConfigureAwait(false);
}
