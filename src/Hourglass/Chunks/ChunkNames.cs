using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>Every chunk table of every hypertable (and continuous aggregate), as schema and name, without sizes or ranges.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The chunk tables; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<(string Schema, string Name)>> GetChunkTableNamesAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<(string Schema, string Name)>>(async (connection, catalog) => await ReadChunkNamesAsync(connection, catalog, cancellationToken).ConfigureAwait(false), cancellationToken);

    internal static async Task<List<(string Schema, string Name)>> ReadChunkNamesAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken) =>
        !catalog.IsInstalled
            ? []
            : await Db.QueryAsync(
                connection,
                "SELECT chunk_schema::text, chunk_name::text FROM timescaledb_information.chunks",
                null,
                r => (r.GetString(0), r.GetString(1)),
                cancellationToken).ConfigureAwait(false);
}
