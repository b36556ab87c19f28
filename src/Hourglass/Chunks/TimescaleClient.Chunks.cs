using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>The chunks of a hypertable (all, or those <paramref name="filter"/> selects through show_chunks), oldest first, with sizes and columnstore state.</summary>
    /// <param name="hypertable">"schema.name" or "name".</param>
    /// <param name="filter">Which chunks; null for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The chunks.</returns>
    /// <exception cref="TimescaleException">No such hypertable, or TimescaleDB is not installed.</exception>
    public Task<IReadOnlyList<Chunk>> GetChunksAsync(string hypertable, ChunkFilter? filter = null, CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<Chunk>>(
            async (connection, catalog) =>
            {
                var target = await ResolveHypertableAsync(connection, catalog, $"GetChunksAsync(\"{hypertable}\")", hypertable, cancellationToken).ConfigureAwait(false);
                return await ReadChunksAsync(connection, catalog, target.Name, target.ColumnstoreEnabled, filter, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>
    /// Drops the chunks <paramref name="filter"/> selects (drop_chunks), with their rows. At least one bound is required,
    /// so that an empty filter never drops everything.
    /// </summary>
    /// <param name="hypertable">"schema.name" or "name" of a hypertable or continuous aggregate.</param>
    /// <param name="filter">Which chunks: older_than/newer_than or created_before/created_after.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dropped chunks ("schema.name").</returns>
    /// <exception cref="TimescaleException">An empty filter, no such hypertable, or TimescaleDB is not installed.</exception>
    public Task<IReadOnlyList<string>> DropChunksAsync(string hypertable, ChunkFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.IsEmpty)
        {
            throw new TimescaleException($"DropChunksAsync(\"{hypertable}\") needs a bound (OlderThan, NewerThan, CreatedBefore or CreatedAfter): an empty filter would drop every chunk and its rows.");
        }

        return UseAsync<IReadOnlyList<string>>(
            async (connection, catalog) =>
            {
                catalog.RequireTimescale($"DropChunksAsync(\"{hypertable}\")");
                var name = await RelationName.ResolveAsync(connection, hypertable, "hypertable", cancellationToken).ConfigureAwait(false);
                CheckCreationBounds(catalog, filter);
                return await Db.QueryAsync(
                    connection,
                    $"SELECT d::text FROM {catalog.Fn}.drop_chunks({Bounds(name, filter)}) d",
                    p => AddBounds(p, filter),
                    r => r.GetString(0),
                    cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>
    /// Converts the rowstore chunks <paramref name="filter"/> selects to the columnstore, one chunk (and transaction, on a
    /// data source) at a time: convert_to_columnstore on 2.18+, compress_chunk before. Chunks already converted are skipped.
    /// </summary>
    /// <param name="hypertable">"schema.name" or "name"; its columnstore must be enabled.</param>
    /// <param name="filter">Which chunks; null for all.</param>
    /// <param name="progress">Told after each chunk.</param>
    /// <param name="cancellationToken">Cancels between and during chunks; chunks already converted stay converted.</param>
    /// <returns>The chunks converted ("schema.name").</returns>
    /// <exception cref="TimescaleException">The columnstore is not enabled, no such hypertable, or TimescaleDB is not installed.</exception>
    public Task<IReadOnlyList<string>> ConvertChunksToColumnstoreAsync(string hypertable, ChunkFilter? filter = null, IProgress<ChunkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ConvertAsync(hypertable, filter, toColumnstore: true, progress, cancellationToken);

    /// <summary>
    /// Converts the columnstore chunks <paramref name="filter"/> selects back to the rowstore (convert_to_rowstore on 2.18+,
    /// decompress_chunk before), one chunk at a time. Rowstore chunks are skipped.
    /// </summary>
    /// <param name="hypertable">"schema.name" or "name".</param>
    /// <param name="filter">Which chunks; null for all.</param>
    /// <param name="progress">Told after each chunk.</param>
    /// <param name="cancellationToken">Cancels between and during chunks.</param>
    /// <returns>The chunks converted ("schema.name").</returns>
    /// <exception cref="TimescaleException">No such hypertable, or TimescaleDB is not installed.</exception>
    public Task<IReadOnlyList<string>> ConvertChunksToRowstoreAsync(string hypertable, ChunkFilter? filter = null, IProgress<ChunkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ConvertAsync(hypertable, filter, toColumnstore: false, progress, cancellationToken);

    /// <summary>Merges adjacent chunks of one hypertable into one (merge_chunks, TimescaleDB 2.18+).</summary>
    /// <param name="chunks">Two or more chunks ("schema.name"), adjacent in time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the chunks are merged.</returns>
    /// <exception cref="TimescaleException">Fewer than two chunks, or the server lacks merge_chunks.</exception>
    public Task MergeChunksAsync(IReadOnlyList<string> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count < 2)
        {
            throw new TimescaleException($"MergeChunksAsync needs at least two chunks; it got {chunks.Count}.");
        }

        return UseAsync(
            async (connection, catalog) =>
            {
                catalog.RequireFunction("MergeChunksAsync", "merge_chunks", "2.18");
                var names = new List<RelationName>();
                foreach (var chunk in chunks)
                {
                    names.Add(await RelationName.ResolveAsync(connection, chunk, "chunk", cancellationToken).ConfigureAwait(false));
                }

                await Db.ExecuteAsync(connection, $"CALL {catalog.Fn}.merge_chunks(ARRAY[{string.Join(", ", names.Select(n => $"'{n.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass"))}])", null, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>Rewrites a chunk in the order of an index (reorder_chunk), so that range scans on it read fewer pages.</summary>
    /// <param name="chunk">"schema.name" of the chunk.</param>
    /// <param name="index">The index to order by ("schema.name" or "name"); null for the hypertable's clustered index.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the chunk is rewritten.</returns>
    public Task ReorderChunkAsync(string chunk, string? index = null, CancellationToken cancellationToken = default) =>
        UseAsync(
            async (connection, catalog) =>
            {
                catalog.RequireFunction($"ReorderChunkAsync(\"{chunk}\")", "reorder_chunk", "1.0");
                var name = await RelationName.ResolveAsync(connection, chunk, "chunk", cancellationToken).ConfigureAwait(false);
                var indexSql = "NULL";
                if (index is not null)
                {
                    var (indexSchema, indexName) = RelationName.Split(index);
                    indexSql = $"'{(indexSchema is null ? RelationName.Quote(name.Schema) + "." + RelationName.Quote(indexName) : new RelationName(indexSchema, indexName).Sql).Replace("'", "''", StringComparison.Ordinal)}'::regclass";
                }

                await Db.ExecuteAsync(connection, $"SELECT {catalog.Fn}.reorder_chunk('{name.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass, {indexSql})", null, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    private async Task<IReadOnlyList<string>> ConvertAsync(string hypertable, ChunkFilter? filter, bool toColumnstore, IProgress<ChunkProgress>? progress, CancellationToken cancellationToken)
    {
        var call = toColumnstore ? "ConvertChunksToColumnstoreAsync" : "ConvertChunksToRowstoreAsync";
        var chunks = await UseAsync(
            async (connection, catalog) =>
            {
                var target = await ResolveHypertableAsync(connection, catalog, $"{call}(\"{hypertable}\")", hypertable, cancellationToken).ConfigureAwait(false);
                if (toColumnstore && !target.ColumnstoreEnabled && catalog.License == "apache")
                {
                    // Enabling it would fail too: say why rather than send the caller to an ALTER TABLE the server refuses.
                    throw new TimescaleException($"{call}(\"{hypertable}\"): the columnstore is a community-licensed feature, and this server runs TimescaleDB's Apache edition (timescaledb.license = 'apache'), which lacks it. Set timescaledb.license = 'timescale' in postgresql.conf and restart the server to use it.");
                }

                if (toColumnstore && !target.ColumnstoreEnabled)
                {
                    throw new TimescaleException($"{call}: the columnstore of '{target.Name}' is not enabled. Enable it first: ALTER TABLE {target.Name.Sql} SET (timescaledb.enable_columnstore, timescaledb.segmentby = '...') (WithColumnstore in the EF Core model).");
                }

                var all = await ReadChunksAsync(connection, catalog, target.Name, target.ColumnstoreEnabled, filter, cancellationToken).ConfigureAwait(false);
                return all.Where(c => c.IsColumnstore != toColumnstore).Select(c => new RelationName(c.Schema, c.Name)).ToList();
            },
            cancellationToken).ConfigureAwait(false);

        var done = new List<string>();
        foreach (var chunk in chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await UseAsync(
                (connection, catalog) =>
                {
                    var literal = $"'{chunk.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass";
                    var sql = (toColumnstore, catalog.HasFunction("convert_to_columnstore")) switch
                    {
                        (true, true) => $"CALL {catalog.Fn}.convert_to_columnstore({literal}, if_not_columnstore => true)",
                        (true, false) => $"SELECT {catalog.Fn}.compress_chunk({literal}, if_not_compressed => true)",
                        (false, true) => $"CALL {catalog.Fn}.convert_to_rowstore({literal}, if_columnstore => true)",
                        (false, false) => $"SELECT {catalog.Fn}.decompress_chunk({literal}, if_compressed => true)",
                    };
                    return Db.ExecuteAsync(connection, sql, null, cancellationToken);
                },
                cancellationToken).ConfigureAwait(false);
            done.Add(chunk.ToString());
            progress?.Report(new ChunkProgress(done.Count, chunks.Count, chunk.ToString()));
        }

        return done;
    }

    private static async Task<(RelationName Name, bool ColumnstoreEnabled)> ResolveHypertableAsync(NpgsqlConnection connection, ServerCatalog catalog, string call, string hypertable, CancellationToken cancellationToken)
    {
        catalog.RequireTimescale(call);
        var name = await RelationName.ResolveAsync(connection, hypertable, "hypertable", cancellationToken).ConfigureAwait(false);
        var rows = await Db.QueryAsync(
            connection,
            $"SELECT coalesce({catalog.HypertableColumnstoreColumn}, false) FROM timescaledb_information.hypertables WHERE hypertable_schema = @schema AND hypertable_name = @name",
            p =>
            {
                p.AddWithValue("schema", name.Schema);
                p.AddWithValue("name", name.Name);
            },
            r => r.GetBoolean(0),
            cancellationToken).ConfigureAwait(false);
        return rows.Count == 1 ? (name, rows[0]) : throw NotAHypertable(name);
    }

    private static async Task<IReadOnlyList<Chunk>> ReadChunksAsync(NpgsqlConnection connection, ServerCatalog catalog, RelationName hypertable, bool columnstore, ChunkFilter? filter, CancellationToken cancellationToken)
    {
        var fn = catalog.Fn;
        var rel = $"'{hypertable.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass";
        var selected = filter is null || filter.IsEmpty
            ? ""
            : $"AND format('%I.%I', c.chunk_schema, c.chunk_name)::regclass IN (SELECT {fn}.show_chunks({Bounds(hypertable, filter)}))";
        if (filter is not null)
        {
            CheckCreationBounds(catalog, filter);
        }

        var stats = columnstore
            ? $"LEFT JOIN {fn}.{catalog.ChunkColumnstoreStatsFunction}({rel}) st ON st.chunk_schema = c.chunk_schema AND st.chunk_name = c.chunk_name"
            : "LEFT JOIN (SELECT NULL::name AS chunk_schema, NULL::bigint AS before_compression_total_bytes, NULL::bigint AS after_compression_total_bytes) st ON false";
        var sql = $"""
            SELECT c.chunk_schema::text, c.chunk_name::text, c.hypertable_schema::text, c.hypertable_name::text,
                   {Db.Finite("c.range_start")}, {Db.Finite("c.range_end")}, c.range_start_integer, c.range_end_integer, coalesce(c.is_compressed, false),
                   {(catalog.HasChunkCreationTime ? "c.chunk_creation_time" : "NULL::timestamptz")},
                   coalesce(sz.table_bytes, 0)::bigint, coalesce(sz.index_bytes, 0)::bigint, coalesce(sz.toast_bytes, 0)::bigint, coalesce(sz.total_bytes, 0)::bigint,
                   st.before_compression_total_bytes::bigint, st.after_compression_total_bytes::bigint,
                   (SELECT t.spcname::text FROM pg_class cl JOIN pg_tablespace t
                      ON t.oid = CASE cl.reltablespace WHEN 0 THEN (SELECT dattablespace FROM pg_database WHERE datname = current_database()) ELSE cl.reltablespace END
                    WHERE cl.oid = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass)
            FROM timescaledb_information.chunks c
            LEFT JOIN {fn}.chunks_detailed_size({rel}) sz ON sz.chunk_schema = c.chunk_schema AND sz.chunk_name = c.chunk_name
            {stats}
            WHERE c.hypertable_schema = @schema AND c.hypertable_name = @name {selected}
            ORDER BY c.range_start, c.range_start_integer, c.chunk_name
            """;
        return await Db.QueryAsync(
            connection,
            sql,
            p =>
            {
                p.AddWithValue("schema", hypertable.Schema);
                p.AddWithValue("name", hypertable.Name);
                if (filter is not null)
                {
                    AddBounds(p, filter);
                }
            },
            r =>
            {
                var converted = r.GetBoolean(8);
                return new Chunk(
                    r.GetString(0),
                    r.GetString(1),
                    r.GetString(2),
                    r.GetString(3),
                    r.Time(4),
                    r.Time(5),
                    r.Long(6),
                    r.Long(7),
                    converted,
                    r.Time(9),
                    new RelationSize(r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13)),
                    converted ? r.Long(14) : null,
                    converted ? r.Long(15) : null)
                {
                    Tablespace = r.IsDBNull(16) ? null : r.GetString(16),
                };
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static void CheckCreationBounds(ServerCatalog catalog, ChunkFilter filter)
    {
        if ((filter.CreatedBefore is not null || filter.CreatedAfter is not null) && !catalog.ShowChunksHasCreatedBefore)
        {
            throw new TimescaleException($"Selecting chunks by creation time (CreatedBefore/CreatedAfter) needs TimescaleDB 2.13; this database has {catalog.TimescaleVersionText}.");
        }
    }

    private static string Bounds(RelationName relation, ChunkFilter filter)
    {
        var parts = new List<string> { $"'{relation.Sql.Replace("'", "''", StringComparison.Ordinal)}'::regclass" };
        if (filter.OlderThan is not null)
        {
            parts.Add("older_than => @older_than");
        }

        if (filter.NewerThan is not null)
        {
            parts.Add("newer_than => @newer_than");
        }

        if (filter.CreatedBefore is not null)
        {
            parts.Add("created_before => @created_before");
        }

        if (filter.CreatedAfter is not null)
        {
            parts.Add("created_after => @created_after");
        }

        return string.Join(", ", parts);
    }

    private static void AddBounds(NpgsqlParameterCollection parameters, ChunkFilter filter)
    {
        void Add(string name, ChunkBound? bound)
        {
            if (bound is { } b)
            {
                parameters.Add(new NpgsqlParameter(name, b.Type) { Value = b.Value });
            }
        }

        Add("older_than", filter.OlderThan);
        Add("newer_than", filter.NewerThan);
        Add("created_before", filter.CreatedBefore);
        Add("created_after", filter.CreatedAfter);
    }
}
