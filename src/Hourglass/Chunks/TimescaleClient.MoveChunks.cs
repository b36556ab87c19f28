using Hourglass.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>
    /// Moves the chunks <paramref name="filter"/> selects, with their indexes, to another tablespace (move_chunk, a
    /// community-licensed function), one chunk at a time; chunks already in <paramref name="tablespace"/> are skipped, so a
    /// second call moves nothing. A rowstore chunk is rewritten in the order of an index on the way (move_chunk is a
    /// CLUSTER that also changes the tablespace), so old data ends up both on the cheaper disk and in scan order:
    /// <paramref name="reorderIndex"/> when given, else the hypertable's clustered index, else its time index (the valid,
    /// non-partial index whose first column is the hypertable's time column, the one with fewest columns). A columnstore
    /// chunk is moved as it is (its compressed data along with it) and not reordered. At least one bound is required.
    /// </summary>
    /// <remarks>
    /// move_chunk holds an exclusive lock on the chunk while it copies (reads continue; writes to that chunk wait), and
    /// needs the chunk's size free in the destination until it finishes. The tablespace must exist
    /// (<c>CREATE TABLESPACE name LOCATION '/absolute/empty/dir'</c>, a directory the server's OS user owns) and the caller
    /// needs CREATE on it and must own the hypertable. Each chunk is moved in its own statement outside a transaction, as
    /// move_chunk requires: if a call fails, the chunks moved before it stay moved.
    /// </remarks>
    /// <param name="hypertable">"schema.name" or "name".</param>
    /// <param name="tablespace">The destination tablespace for the chunks' tables.</param>
    /// <param name="filter">Which chunks, typically <see cref="ChunkFilter.Older(TimeSpan)"/>; must have a bound.</param>
    /// <param name="reorderIndex">An index of the hypertable ("schema.name" or "name", in the hypertable's schema) to order rowstore chunks by; null for the clustered, else the time index.</param>
    /// <param name="indexTablespace">The destination tablespace for the chunks' indexes; null for <paramref name="tablespace"/>.</param>
    /// <param name="progress">Told after each chunk.</param>
    /// <param name="cancellationToken">Cancels between and during chunks; chunks already moved stay moved.</param>
    /// <returns>The chunks moved ("schema.name"), oldest first.</returns>
    /// <exception cref="TimescaleException">
    /// An empty filter; no such tablespace, hypertable or index; no index to order by; TimescaleDB's Apache edition, which
    /// lacks move_chunk; or TimescaleDB is not installed.
    /// </exception>
    public async Task<IReadOnlyList<string>> MoveChunksAsync(
        string hypertable,
        string tablespace,
        ChunkFilter filter,
        string? reorderIndex = null,
        string? indexTablespace = null,
        IProgress<ChunkProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tablespace);
        ArgumentNullException.ThrowIfNull(filter);
        var call = $"MoveChunksAsync(\"{hypertable}\", \"{tablespace}\")";
        if (filter.IsEmpty)
        {
            // The newest chunk takes the inserts, and move_chunk blocks writes to a chunk while it copies it.
            throw new TimescaleException($"{call} needs a bound (OlderThan, NewerThan, CreatedBefore or CreatedAfter): moving every chunk would also move, and block writes to, the chunk being written.");
        }

        var indexSpace = indexTablespace ?? tablespace;
        var (chunks, index) = await UseAsync(
            async (connection, catalog) =>
            {
                var target = await ResolveHypertableAsync(connection, catalog, call, hypertable, cancellationToken).ConfigureAwait(false);
                if (catalog.License == "apache")
                {
                    throw new TimescaleException($"{call}: move_chunk is a community-licensed function, and this server runs TimescaleDB's Apache edition (timescaledb.license = 'apache'), which lacks it. Set timescaledb.license = 'timescale' in postgresql.conf and restart the server, or move chunks with ALTER TABLE chunk SET TABLESPACE (which blocks reads too).");
                }

                catalog.RequireFunction(call, "move_chunk", "1.3");
                foreach (var space in new[] { tablespace, indexSpace }.Distinct(StringComparer.Ordinal))
                {
                    await RequireTablespaceAsync(connection, call, space, cancellationToken).ConfigureAwait(false);
                }

                var all = await ReadChunksAsync(connection, catalog, target.Name, target.ColumnstoreEnabled, filter, cancellationToken).ConfigureAwait(false);
                var pending = all.Where(c => !string.Equals(c.Tablespace, tablespace, StringComparison.Ordinal)).ToList();
                var order = pending.Any(c => !c.IsColumnstore)
                    ? await ReorderIndexAsync(connection, call, target.Name, reorderIndex, cancellationToken).ConfigureAwait(false)
                    : null;
                return (pending, order);
            },
            cancellationToken).ConfigureAwait(false);

        var done = new List<string>();
        foreach (var chunk in chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = new RelationName(chunk.Schema, chunk.Name);
            await UseAsync(
                (connection, catalog) => Db.ExecuteAsync(
                    connection,
                    $"SELECT {catalog.Fn}.move_chunk(chunk => '{name.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass, destination_tablespace => @tablespace, index_destination_tablespace => @index_tablespace, reorder_index => {(chunk.IsColumnstore || index is null ? "NULL" : $"'{index.Value.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass")})",
                    p =>
                    {
                        p.Add(new NpgsqlParameter("tablespace", NpgsqlDbType.Name) { Value = tablespace });
                        p.Add(new NpgsqlParameter("index_tablespace", NpgsqlDbType.Name) { Value = indexSpace });
                    },
                    cancellationToken),
                cancellationToken).ConfigureAwait(false);
            done.Add(chunk.QualifiedName);
            progress?.Report(new ChunkProgress(done.Count, chunks.Count, chunk.QualifiedName));
        }

        return done;
    }

    private static async Task RequireTablespaceAsync(NpgsqlConnection connection, string call, string tablespace, CancellationToken cancellationToken)
    {
        var known = await Db.QueryAsync(connection, "SELECT spcname::text FROM pg_tablespace ORDER BY 1", null, r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        if (!known.Contains(tablespace, StringComparer.Ordinal))
        {
            throw new TimescaleException($"{call}: there is no tablespace '{tablespace}' on this server (it has {string.Join(", ", known)}). Create it first: CREATE TABLESPACE {RelationName.Quote(tablespace)} LOCATION '/absolute/path' (an empty directory the database server's OS user owns).");
        }
    }

    private static async Task<RelationName?> ReorderIndexAsync(NpgsqlConnection connection, string call, RelationName hypertable, string? reorderIndex, CancellationToken cancellationToken)
    {
        var htLiteral = $"'{hypertable.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass";
        if (reorderIndex is not null)
        {
            var (schema, name) = RelationName.Split(reorderIndex);
            var index = new RelationName(schema ?? hypertable.Schema, name);
            var belongs = await Db.QueryAsync(
                connection,
                $"SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(@index) AND indrelid = {htLiteral}",
                p => p.AddWithValue("index", index.Sql),
                r => r.GetInt32(0),
                cancellationToken).ConfigureAwait(false);
            return belongs.Count == 1
                ? index
                : throw new TimescaleException($"{call}: '{index}' is not an index of {hypertable}. Name one of its indexes as the reorder index (\\d {hypertable} lists them), or leave it out to use its time index.");
        }

        var found = await Db.QueryAsync(
            connection,
            $"""
            SELECT n.nspname::text, ic.relname::text
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
            WHERE i.indrelid = {htLiteral} AND i.indisvalid AND i.indpred IS NULL
              AND (i.indisclustered OR i.indkey[0] = (
                    SELECT a.attnum FROM timescaledb_information.dimensions d JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = d.column_name
                    WHERE d.hypertable_schema = @schema AND d.hypertable_name = @name AND d.dimension_number = 1))
            ORDER BY i.indisclustered DESC, i.indnatts, ic.relname
            LIMIT 1
            """,
            p =>
            {
                p.AddWithValue("schema", hypertable.Schema);
                p.AddWithValue("name", hypertable.Name);
            },
            r => new RelationName(r.GetString(0), r.GetString(1)),
            cancellationToken).ConfigureAwait(false);
        return found.Count == 1
            ? found[0]
            : throw new TimescaleException($"{call}: move_chunk rewrites each rowstore chunk in the order of an index, and {hypertable} has none on its time column nor a clustered one. Name an index to order by (reorderIndex, --reorder-index), or create one: CREATE INDEX ON {hypertable.Sql} (time column DESC).");
    }
}
