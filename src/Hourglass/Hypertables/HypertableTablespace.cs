using Hourglass.Infrastructure;

namespace Hourglass;

/// <summary>
/// A tablespace attached to a hypertable (<c>attach_tablespace</c>): TimescaleDB places the hypertable's new chunks
/// across its attached tablespaces.
/// </summary>
/// <param name="Schema">The hypertable's schema.</param>
/// <param name="Table">The hypertable's name.</param>
/// <param name="Tablespace">The attached tablespace.</param>
public sealed record HypertableTablespace(string Schema, string Table, string Tablespace);

public sealed partial class TimescaleClient
{
    /// <summary>
    /// Every tablespace attached to a hypertable, from <c>timescaledb_information.hypertables.tablespaces</c>, ordered by
    /// schema, table and the order TimescaleDB lists them in; empty without TimescaleDB.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The attached tablespaces.</returns>
    public Task<IReadOnlyList<HypertableTablespace>> GetHypertableTablespacesAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<HypertableTablespace>>(
            async (connection, catalog) => !catalog.IsInstalled
                ? []
                : await Db.QueryAsync(
                    connection,
                    """
                    SELECT h.hypertable_schema::text, h.hypertable_name::text, t.name::text
                    FROM timescaledb_information.hypertables h
                    CROSS JOIN LATERAL unnest(h.tablespaces) WITH ORDINALITY AS t(name, position)
                    ORDER BY 1, 2, t.position
                    """,
                    null,
                    r => new HypertableTablespace(r.GetString(0), r.GetString(1), r.GetString(2)),
                    cancellationToken).ConfigureAwait(false),
            cancellationToken);
}
