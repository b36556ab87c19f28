using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hourglass.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass;

/// <summary>
/// Copies a database's TimescaleDB objects and rows <b>logically</b> into another database whose TimescaleDB version may
/// differ (TimescaleDB's catalog itself cannot move between versions: <c>timescaledb_post_restore()</c> refuses it). What
/// the source declares is read through this library's catalog reads; on the target it is created again with the
/// target's own API: hypertables with the same dimensions and intervals, columnstore settings, rows by binary COPY
/// (converted chunks are read decompressed), the chunks that were in the columnstore converted again, continuous
/// aggregates from their definitions with their own chunk interval, columnstore settings and hand-made indexes
/// (refreshed up to the source's watermark), and policies and jobs with the same
/// kinds, schedules and configurations.
/// </summary>
/// <remarks>
/// The caller creates the plain schema first (schemas, types, functions, tables, indexes and constraints, without
/// TimescaleDB's own objects and without the aggregates' views; e.g. from <c>pg_dump --schema-only</c>), then calls the
/// steps in order on one target connection: <see cref="CreateHypertablesAsync"/>, <see cref="CopyRowsAsync"/>,
/// <see cref="CreateContinuousAggregatesAsync"/>, <see cref="ConvertChunksAsync"/>, <see cref="CreateJobsPausedAsync"/>
/// — all inside one transaction, so a failure leaves nothing — then, after the commit,
/// <see cref="RefreshContinuousAggregatesAsync"/> (TimescaleDB refreshes only outside a transaction) and
/// <see cref="ResumeJobsAsync"/>. Jobs are created paused so that no policy changes the copied rows before they are
/// verified.
/// </remarks>
public sealed class TimescaleLogicalCopy
{
    private static readonly string[] s_idKeys = ["hypertable_id", "mat_hypertable_id"];

    private readonly Dictionary<(string Schema, string Name), List<string>> _columnstoreChunks;
    private readonly IReadOnlyList<AggregateMaterialization> _materializations;

    private TimescaleLogicalCopy(
        string timescaleVersion,
        IReadOnlyList<CopiedTable> tables,
        IReadOnlyList<HypertableLayout> hypertables,
        IReadOnlyList<ContinuousAggregate> aggregates,
        IReadOnlyList<JobSettings> jobs,
        Dictionary<(string Schema, string Name), List<string>> columnstoreChunks,
        IReadOnlyList<AggregateMaterialization> materializations)
    {
        SourceTimescaleVersion = timescaleVersion;
        Tables = tables;
        Hypertables = hypertables;
        ContinuousAggregates = aggregates;
        AggregateStorage = materializations.Select(m => m.Storage).ToList();
        Jobs = jobs;
        _columnstoreChunks = columnstoreChunks;
        _materializations = materializations;
    }

    /// <summary>The source's TimescaleDB version.</summary>
    public string SourceTimescaleVersion { get; }

    /// <summary>The user tables whose rows are copied (hypertables through their parent), with their columns.</summary>
    public IReadOnlyList<CopiedTable> Tables { get; }

    /// <summary>The source's hypertables (not the aggregates' internal ones).</summary>
    public IReadOnlyList<HypertableLayout> Hypertables { get; }

    /// <summary>The source's continuous aggregates, parents before the aggregates that read them.</summary>
    public IReadOnlyList<ContinuousAggregate> ContinuousAggregates { get; }

    /// <summary>The source's continuous aggregates' storage (group indexes, columnstore).</summary>
    public IReadOnlyList<AggregateStorage> AggregateStorage { get; }

    /// <summary>The source's policies and user jobs (TimescaleDB's own housekeeping jobs, which every database has, are left out).</summary>
    public IReadOnlyList<JobSettings> Jobs { get; }

    /// <summary>How many of the source's chunks are in the columnstore.</summary>
    public int ColumnstoreChunkCount => _columnstoreChunks.Values.Sum(c => c.Count);

    /// <summary>Reads what to copy from the source database.</summary>
    /// <param name="source">An open connection to the source.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The copy plan.</returns>
    /// <exception cref="TimescaleException">The source has no TimescaleDB.</exception>
    public static async Task<TimescaleLogicalCopy> ReadAsync(NpgsqlConnection source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var catalog = await ServerCatalog.ReadAsync(source, cancellationToken).ConfigureAwait(false);
        catalog.RequireTimescale("TimescaleLogicalCopy.ReadAsync");
        var tables = await ReadTablesAsync(source, cancellationToken).ConfigureAwait(false);
        var layouts = await TimescaleClient.ReadLayoutsAsync(source, catalog, cancellationToken).ConfigureAwait(false);
        var hypertables = layouts.Where(h => !ServerCatalog.OwnSchemas.Contains(h.Schema)).ToList();
        var aggregates = await TimescaleClient.ReadAggregatesAsync(source, catalog, null, null, cancellationToken).ConfigureAwait(false);
        var materializations = await TimescaleClient.ReadAggregateMaterializationsAsync(source, catalog, cancellationToken).ConfigureAwait(false);
        var jobs = (await TimescaleClient.ReadJobSettingsAsync(source, catalog, cancellationToken).ConfigureAwait(false))
            .Where(j => j.Kind is JobKind.Columnstore or JobKind.Retention or JobKind.Reorder or JobKind.ContinuousAggregateRefresh or JobKind.Custom)
            .ToList();
        var chunks = new Dictionary<(string, string), List<string>>();
        foreach (var hypertable in hypertables.Where(h => h.ColumnstoreEnabled))
        {
            var all = await new TimescaleClient(null, source).GetChunksAsync($"{hypertable.Schema}.{hypertable.Name}", null, cancellationToken).ConfigureAwait(false);
            var slices = await ReadChunkSlicesAsync(source, hypertable.Schema, hypertable.Name, cancellationToken).ConfigureAwait(false);
            chunks[(hypertable.Schema, hypertable.Name)] = all.Where(c => c.IsColumnstore).Select(c => slices[(c.Schema, c.Name)]).ToList();
        }

        return new TimescaleLogicalCopy(catalog.TimescaleVersionText!, tables, hypertables, OrderByDependency(aggregates), jobs, chunks, materializations);
    }

    /// <summary>Makes the copied tables hypertables with the source's dimensions, intervals and columnstore settings (the tables must exist and be empty).</summary>
    /// <param name="target">The target connection (in the copy's transaction).</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task that completes when the hypertables exist.</returns>
    public async Task CreateHypertablesAsync(NpgsqlConnection target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var catalog = await ServerCatalog.ReadAsync(target, cancellationToken).ConfigureAwait(false);
        catalog.RequireFunction("TimescaleLogicalCopy.CreateHypertablesAsync", "by_range", "2.13");
        var fn = catalog.Fn;
        foreach (var hypertable in Hypertables)
        {
            var table = new RelationName(hypertable.Schema, hypertable.Name);
            var literal = Literal(table.Sql);
            var primary = hypertable.Dimensions[0];
            await Db.ExecuteAsync(
                target,
                $"SELECT {fn}.create_hypertable({literal}::regclass, {fn}.{DimensionSql(primary)}, create_default_indexes => false)",
                null,
                cancellationToken).ConfigureAwait(false);
            foreach (var dimension in hypertable.Dimensions.Skip(1))
            {
                await Db.ExecuteAsync(target, $"SELECT {fn}.add_dimension({literal}::regclass, {fn}.{DimensionSql(dimension)})", null, cancellationToken).ConfigureAwait(false);
            }

            if (hypertable.Dimensions.FirstOrDefault(d => d.IntegerNowFunction is not null) is { IntegerNowFunction: { } now })
            {
                await Db.ExecuteAsync(target, $"SELECT {fn}.set_integer_now_func({literal}::regclass, {Literal(now)}::regproc)", null, cancellationToken).ConfigureAwait(false);
            }

            if (hypertable.Columnstore is { } settings)
            {
                await Db.ExecuteAsync(target, $"ALTER TABLE {table.Sql} SET ({string.Join(", ", ColumnstoreOptions(catalog, table.ToString(), settings))})", null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Copies every table's rows by binary COPY from the source (hypertables through their parent, so converted chunks
    /// are read decompressed) with triggers and foreign keys off for the copy (<c>session_replication_role = replica</c>,
    /// as pg_restore's <c>--disable-triggers</c>), so the order of the tables does not matter. Needs a superuser on the target.
    /// </summary>
    /// <param name="source">An open connection to the source.</param>
    /// <param name="target">The target connection (in the copy's transaction).</param>
    /// <param name="onTable">Told each table's "schema.name" before its rows are copied.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>The number of rows copied.</returns>
    public async Task<long> CopyRowsAsync(NpgsqlConnection source, NpgsqlConnection target, Action<string>? onTable = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await Db.ExecuteAsync(target, "SET LOCAL session_replication_role = replica", null, cancellationToken).ConfigureAwait(false);
        long rows = 0;
        foreach (var table in Tables)
        {
            onTable?.Invoke($"{table.Schema}.{table.Name}");
            var name = new RelationName(table.Schema, table.Name);
            var columns = string.Join(", ", table.Columns.Select(RelationName.Quote));
            var reader = await source.BeginRawBinaryCopyAsync($"COPY (SELECT {columns} FROM {name.Sql}) TO STDOUT (FORMAT binary)", cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var writer = await target.BeginRawBinaryCopyAsync($"COPY {name.Sql} ({columns}) FROM STDIN (FORMAT binary)", cancellationToken).ConfigureAwait(false);
                await using (writer.ConfigureAwait(false))
                {
                    await reader.CopyToAsync(writer, cancellationToken).ConfigureAwait(false);
                }
            }

            rows += (await Db.QueryAsync(target, $"SELECT count(*) FROM {name.Sql}", null, r => r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];
        }

        await Db.ExecuteAsync(target, "SET LOCAL session_replication_role = origin", null, cancellationToken).ConfigureAwait(false);
        return rows;
    }

    /// <summary>
    /// Creates the continuous aggregates from their definitions, without data (parents first), with the source's
    /// materialized-only setting, group indexes, columnstore settings, chunk interval and indexes created by hand;
    /// <see cref="RefreshContinuousAggregatesAsync"/>
    /// materializes them after the commit.
    /// </summary>
    /// <param name="target">The target connection (in the copy's transaction).</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task that completes when the aggregates exist.</returns>
    public async Task CreateContinuousAggregatesAsync(NpgsqlConnection target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var catalog = await ServerCatalog.ReadAsync(target, cancellationToken).ConfigureAwait(false);
        foreach (var aggregate in ContinuousAggregates)
        {
            var view = new RelationName(aggregate.Schema, aggregate.Name);
            var options = new List<string> { "timescaledb.continuous", $"timescaledb.materialized_only = {(aggregate.MaterializedOnly ? "true" : "false")}" };
            var storage = AggregateStorage.FirstOrDefault(s => s.Schema == aggregate.Schema && s.Name == aggregate.Name);
            if (storage is { HasGroupIndexes: false })
            {
                options.Add("timescaledb.create_group_indexes = false");
            }

            // The definition is printed with the source's search_path (public names unqualified): read it with the same one.
            await Db.ExecuteAsync(
                target,
                $"CREATE MATERIALIZED VIEW {view.Sql} WITH ({string.Join(", ", options)}) AS {aggregate.Definition.TrimEnd().TrimEnd(';')} WITH NO DATA",
                null,
                cancellationToken).ConfigureAwait(false);
            if (aggregate.ColumnstoreEnabled)
            {
                var columnstore = ColumnstoreOptions(catalog, aggregate.QualifiedName, storage?.Columnstore ?? ColumnstoreSettings.None);
                await Db.ExecuteAsync(target, $"ALTER MATERIALIZED VIEW {view.Sql} SET ({string.Join(", ", columnstore)})", null, cancellationToken).ConfigureAwait(false);
            }
        }

        var created = await TimescaleClient.ReadAggregateMaterializationsAsync(target, catalog, cancellationToken).ConfigureAwait(false);
        var indexNames = created.SelectMany(m => m.Indexes.Select(i => (m.MaterializationSchema, i.Name))).ToHashSet();
        foreach (var source in _materializations)
        {
            var copy = created.Single(m => m.Schema == source.Schema && m.Name == source.Name);
            await CopyMaterializationAsync(target, catalog, source, copy, indexNames, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What TimescaleDB does not take from an aggregate's definition: its materialization's chunk interval and the
    /// indexes created on it by hand (any the target's aggregate lacks, compared by their definition without names).
    /// </summary>
    private static async Task CopyMaterializationAsync(
        NpgsqlConnection target,
        ServerCatalog catalog,
        AggregateMaterialization source,
        AggregateMaterialization created,
        HashSet<(string Schema, string Name)> indexNames,
        CancellationToken cancellationToken)
    {
        var table = new RelationName(created.MaterializationSchema, created.MaterializationName).Sql;
        if (source.ChunkInterval is { } interval && interval != created.ChunkInterval)
        {
            // The catalog's length, microseconds for time columns, is what both functions take as an integer.
            var function = catalog.HasFunction("set_partitioning_interval") ? "set_partitioning_interval" : "set_chunk_time_interval";
            await Db.ExecuteAsync(target, $"SELECT {catalog.Fn}.{function}({Literal(table)}::regclass, {interval.ToString(CultureInfo.InvariantCulture)}::bigint)", null, cancellationToken).ConfigureAwait(false);
        }

        var existing = created.Indexes.Select(i => i.Shape).ToHashSet(StringComparer.Ordinal);
        foreach (var index in source.Indexes.Where(i => !existing.Contains(i.Shape)))
        {
            // Index names are per schema: TimescaleDB's own names carry the materialization's id, which the target may give another aggregate.
            var name = indexNames.Add((created.MaterializationSchema, index.Name)) ? RelationName.Quote(index.Name) + " " : "";
            await Db.ExecuteAsync(target, $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX {name}ON {table} {index.Definition}", null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Converts the target's chunks to the columnstore where the source's chunk of the same range was converted.
    /// </summary>
    /// <param name="target">The target connection (in the copy's transaction).</param>
    /// <param name="onChunk">Told each converted chunk.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>The number of chunks converted.</returns>
    /// <exception cref="TimescaleException">A converted source chunk has no target chunk of the same range.</exception>
    public async Task<int> ConvertChunksAsync(NpgsqlConnection target, Action<string>? onChunk = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var catalog = await ServerCatalog.ReadAsync(target, cancellationToken).ConfigureAwait(false);
        var client = new TimescaleClient(null, target);
        var converted = 0;
        foreach (var ((schema, name), sourceChunks) in _columnstoreChunks)
        {
            if (sourceChunks.Count == 0)
            {
                continue;
            }

            var targetChunks = await client.GetChunksAsync($"{schema}.{name}", null, cancellationToken).ConfigureAwait(false);
            var slices = await ReadChunkSlicesAsync(target, schema, name, cancellationToken).ConfigureAwait(false);
            foreach (var wanted in sourceChunks)
            {
                // A chunk is its slices in every dimension (time range and hash partition), equal on both sides for equal intervals and partitions.
                var matches = targetChunks.Where(c => slices.GetValueOrDefault((c.Schema, c.Name)) == wanted).ToList();
                if (matches.Count == 0)
                {
                    throw new TimescaleException($"A chunk of {schema}.{name} ({wanted}) is in the columnstore in the source, but the copy has no chunk with those ranges to convert.");
                }

                foreach (var chunk in matches.Where(c => !c.IsColumnstore))
                {
                    var literal = $"{Literal(new RelationName(chunk.Schema, chunk.Name).Sql)}::regclass";
                    await Db.ExecuteAsync(
                        target,
                        catalog.HasFunction("convert_to_columnstore")
                            ? $"CALL {catalog.Fn}.convert_to_columnstore({literal}, if_not_columnstore => true)"
                            : $"SELECT {catalog.Fn}.compress_chunk({literal}, if_not_compressed => true)",
                        null,
                        cancellationToken).ConfigureAwait(false);
                    onChunk?.Invoke(chunk.QualifiedName);
                    converted++;
                }
            }
        }

        return converted;
    }

    /// <summary>
    /// Creates the source's policies and user jobs on the target, paused, with the same schedules and configurations
    /// (the internal hypertable ids in a policy's configuration are the target's own).
    /// </summary>
    /// <param name="target">The target connection (in the copy's transaction).</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>Each source job with the id of its copy.</returns>
    public async Task<IReadOnlyList<CopiedJob>> CreateJobsPausedAsync(NpgsqlConnection target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var catalog = await ServerCatalog.ReadAsync(target, cancellationToken).ConfigureAwait(false);
        var fn = catalog.Fn;
        var copied = new List<CopiedJob>();
        foreach (var job in Jobs)
        {
            var relation = job.RelationName is null ? null : Literal(new RelationName(job.RelationSchema!, job.RelationName).Sql) + "::regclass";
            // A policy argument as the configuration holds it: an integer amount (integer time columns) or interval text.
            string Value(string key) => job.ConfigValues.GetValueOrDefault(key) switch
            {
                { WholeNumber: { } number } => number.ToString(CultureInfo.InvariantCulture),
                { Text: { } text } => $"INTERVAL {Literal(text)}",
                _ => "NULL",
            };
            bool Has(string key) => job.ConfigValues.ContainsKey(key);
            var columnstore = catalog.HasFunction("add_columnstore_policy");
            var sql = job.Kind switch
            {
                JobKind.Retention => Has("drop_created_before")
                    ? $"SELECT {fn}.add_retention_policy({relation}, drop_created_before => {Value("drop_created_before")})"
                    : $"SELECT {fn}.add_retention_policy({relation}, drop_after => {Value("drop_after")})",
                JobKind.Columnstore when columnstore => Has("compress_created_before")
                    ? $"CALL {fn}.add_columnstore_policy({relation}, created_before => {Value("compress_created_before")})"
                    : $"CALL {fn}.add_columnstore_policy({relation}, after => {Value("compress_after")})",
                JobKind.Columnstore => Has("compress_created_before")
                    ? $"SELECT {fn}.add_compression_policy({relation}, compress_created_before => {Value("compress_created_before")})"
                    : $"SELECT {fn}.add_compression_policy({relation}, compress_after => {Value("compress_after")})",
                JobKind.Reorder => $"SELECT {fn}.add_reorder_policy({relation}, {Literal(job.ConfigValues.GetValueOrDefault("index_name")?.Text ?? "")})",
                JobKind.ContinuousAggregateRefresh =>
                    $"SELECT {fn}.add_continuous_aggregate_policy({relation}, start_offset => {Value("start_offset")}, end_offset => {Value("end_offset")}, schedule_interval => @schedule)",
                _ => $"SELECT {fn}.add_job({Literal($"{RelationName.Quote(job.ProcedureSchema)}.{RelationName.Quote(job.ProcedureName)}")}::regproc, @schedule, config => @config::jsonb, scheduled => false)",
            };
            var before = await JobIdsAsync(target, catalog, cancellationToken).ConfigureAwait(false);
            await Db.ExecuteAsync(
                target,
                sql,
                p =>
                {
                    p.Add(new NpgsqlParameter("schedule", NpgsqlDbType.Interval) { Value = (object?)job.ScheduleInterval ?? DBNull.Value });
                    p.Add(new NpgsqlParameter("config", NpgsqlDbType.Text) { Value = (object?)job.Config ?? DBNull.Value });
                },
                cancellationToken).ConfigureAwait(false);
            var created = (await JobIdsAsync(target, catalog, cancellationToken).ConfigureAwait(false)).Except(before).Single();

            // The target's own ids of the hypertable/aggregate, then every other key as the source has it.
            var targetConfig = (await Db.QueryAsync(target, $"SELECT config::text FROM {catalog.JobTable} WHERE id = @id", p => p.AddWithValue("id", created), r => r.Text(0), cancellationToken).ConfigureAwait(false))[0];
            var config = MergeConfig(job.Config, targetConfig);
            var changes = JobChanges.FromSchedule(job.Schedule) with { Scheduled = false, Config = config };
            await new TimescaleClient(null, target).AlterJobAsync(created, changes, cancellationToken).ConfigureAwait(false);
            copied.Add(new CopiedJob(job, created));
        }

        return copied;
    }

    /// <summary>
    /// Materializes each continuous aggregate up to the source's watermark (parents first), from the copied rows. Runs
    /// outside a transaction, after the copy's commit.
    /// </summary>
    /// <param name="target">The target connection, with no transaction open.</param>
    /// <param name="onAggregate">Told each aggregate before its refresh.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task that completes when every aggregate is refreshed.</returns>
    public async Task RefreshContinuousAggregatesAsync(NpgsqlConnection target, Action<string>? onAggregate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var client = new TimescaleClient(null, target);
        foreach (var aggregate in ContinuousAggregates.Where(a => a.IsRefreshed))
        {
            onAggregate?.Invoke(aggregate.QualifiedName);
            if (aggregate.WatermarkInteger is { } integer)
            {
                await client.RefreshContinuousAggregateAsync(aggregate.QualifiedName, null, integer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await client.RefreshContinuousAggregateAsync(aggregate.QualifiedName, null, aggregate.Watermark, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Resumes the copied jobs that were scheduled on the source (they were created paused).</summary>
    /// <param name="target">The target connection.</param>
    /// <param name="jobs">What <see cref="CreateJobsPausedAsync"/> returned.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>The number of jobs resumed.</returns>
    public static async Task<int> ResumeJobsAsync(NpgsqlConnection target, IReadOnlyList<CopiedJob> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(jobs);
        var client = new TimescaleClient(null, target);
        var resumed = 0;
        foreach (var job in jobs.Where(j => j.Source.Scheduled != false))
        {
            await client.ResumeJobAsync(job.TargetId, cancellationToken).ConfigureAwait(false);
            resumed++;
        }

        return resumed;
    }

    /// <summary>The source's configuration, with the target's internal ids (hypertable_id, mat_hypertable_id).</summary>
    internal static string? MergeConfig(string? source, string? target)
    {
        if (source is null || JsonNode.Parse(source) is not JsonObject merged)
        {
            return source;
        }

        var own = target is null ? null : JsonNode.Parse(target) as JsonObject;
        foreach (var key in s_idKeys)
        {
            merged.Remove(key);
            if (own?[key] is { } id)
            {
                merged[key] = id.DeepClone();
            }
        }

        return merged.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static readonly Version ColumnstoreNames = new(2, 18);

    private static List<string> ColumnstoreOptions(ServerCatalog catalog, string table, ColumnstoreSettings settings)
    {
        var current = catalog.TimescaleVersion is not { } version || version >= ColumnstoreNames;
        var options = new List<string> { current ? "timescaledb.enable_columnstore = true" : "timescaledb.compress = true" };
        if (settings.SegmentBy.Count > 0)
        {
            options.Add($"{(current ? "timescaledb.segmentby" : "timescaledb.compress_segmentby")} = {Literal(string.Join(", ", settings.SegmentBy.Select(RelationName.Quote)))}");
        }

        if (settings.OrderBy.Count > 0)
        {
            options.Add($"{(current ? "timescaledb.orderby" : "timescaledb.compress_orderby")} = {Literal(string.Join(", ", settings.OrderBy.Select(o => o.ToSql(RelationName.Quote))))}");
        }

        if (settings.SparseIndexes is { } indexes)
        {
            if (indexes.FirstOrDefault(i => catalog.TimescaleVersion is { } v && v < i.MinimumVersion) is { } unsupported)
            {
                throw new TimescaleException($"{table}: the source's sparse index {unsupported} needs TimescaleDB {unsupported.MinimumVersion} or later; the target has {catalog.TimescaleVersionText}. Upgrade the target's TimescaleDB, or remove the sparse index on the source first.");
            }

            options.Add($"timescaledb.sparse_index = {Literal(settings.SparseIndexText!)}");
        }

        if (settings.MergedChunkInterval is { } merged)
        {
            options.Add($"timescaledb.compress_chunk_time_interval = {Literal(merged.ToString())}");
        }

        return options;
    }

    private static string DimensionSql(Dimension dimension) => dimension.Kind == DimensionKind.Hash
        ? $"by_hash({Literal(dimension.Column)}, {dimension.Partitions!.Value.ToString(CultureInfo.InvariantCulture)})"
        : dimension.IntegerInterval is { } integer
            ? $"by_range({Literal(dimension.Column)}, {integer.ToString(CultureInfo.InvariantCulture)})"
            : $"by_range({Literal(dimension.Column)}, INTERVAL {Literal(TimescaleInterval.FromTimeSpan(dimension.Interval!.Value).ToString())})";

    /// <summary>Each chunk's slices in every dimension as one text ("device [0, 1073741823), time [..., ...)"), by chunk.</summary>
    private static async Task<Dictionary<(string Schema, string Name), string>> ReadChunkSlicesAsync(NpgsqlConnection connection, string schema, string name, CancellationToken cancellationToken) =>
        (await Db.QueryAsync(
            connection,
            """
            -- The chunk table names its chunk by schema_name/table_name before 2.29, by relid (regclass) from 2.29, which
            -- also dropped its 'dropped' column: read through to_jsonb so one query serves both.
            SELECT n.nspname::text, k.relname::text,
                   string_agg(format('%s [%s, %s)', d.column_name, s.range_start, s.range_end), ', ' ORDER BY d.column_name)
            FROM _timescaledb_catalog.chunk c
            CROSS JOIN LATERAL (SELECT to_jsonb(c) AS j) cj
            JOIN pg_catalog.pg_class k ON k.oid = coalesce(cj.j ->> 'relid', format('%I.%I', cj.j ->> 'schema_name', cj.j ->> 'table_name'))::regclass
            JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace
            JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id
            JOIN _timescaledb_catalog.chunk_constraint cc ON cc.chunk_id = c.id AND cc.dimension_slice_id IS NOT NULL
            JOIN _timescaledb_catalog.dimension_slice s ON s.id = cc.dimension_slice_id
            JOIN _timescaledb_catalog.dimension d ON d.id = s.dimension_id
            WHERE h.schema_name = @schema AND h.table_name = @name AND NOT coalesce((cj.j ->> 'dropped')::boolean, false)
            GROUP BY 1, 2
            """,
            p =>
            {
                p.AddWithValue("schema", schema);
                p.AddWithValue("name", name);
            },
            r => (Key: (r.GetString(0), r.GetString(1)), Slices: r.GetString(2)),
            cancellationToken).ConfigureAwait(false)).ToDictionary(x => x.Key, x => x.Slices);

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static Task<List<int>> JobIdsAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken) =>
        Db.QueryAsync(connection, $"SELECT id FROM {catalog.JobTable}", null, r => r.GetInt32(0), cancellationToken);

    private static List<ContinuousAggregate> OrderByDependency(IReadOnlyList<ContinuousAggregate> aggregates)
    {
        var ordered = new List<ContinuousAggregate>();
        var pending = aggregates.ToList();
        while (pending.Count > 0)
        {
            var ready = pending.Where(a => !a.IsOnAggregate || ordered.Any(o => o.Schema == a.SourceSchema && o.Name == a.SourceName)).ToList();
            if (ready.Count == 0)
            {
                ready = pending;
            }

            ordered.AddRange(ready);
            pending.RemoveAll(ready.Contains);
        }

        return ordered;
    }

    private static async Task<List<CopiedTable>> ReadTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await Db.QueryAsync(
            connection,
            """
            SELECT n.nspname::text, c.relname::text,
                   ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
              AND n.nspname NOT LIKE '\_timescaledb%' AND n.nspname NOT LIKE 'timescaledb\_%'
              AND c.oid NOT IN (SELECT objid FROM pg_catalog.pg_depend WHERE deptype = 'e' AND classid = 'pg_catalog.pg_class'::regclass)
            ORDER BY 1, 2
            """,
            null,
            r => new CopiedTable(r.GetString(0), r.GetString(1), r.GetFieldValue<string[]>(2)),
            cancellationToken).ConfigureAwait(false);
}

/// <summary>A table whose rows <see cref="TimescaleLogicalCopy"/> copies.</summary>
/// <param name="Schema">Its schema.</param>
/// <param name="Name">Its name.</param>
/// <param name="Columns">Its columns in order, without generated ones (the target computes those).</param>
public sealed record CopiedTable(string Schema, string Name, IReadOnlyList<string> Columns);

/// <summary>A job the copy created: the source's settings and the target's id.</summary>
/// <param name="Source">The source job.</param>
/// <param name="TargetId">The id of its copy on the target.</param>
public sealed record CopiedJob(JobSettings Source, int TargetId);
