using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>Continuous aggregate operations for migration files.</summary>
public static class ContinuousAggregateMigrationBuilderExtensions
{
    /// <summary>
    /// Creates an empty continuous aggregate: <c>CREATE MATERIALIZED VIEW name WITH (timescaledb.continuous, ...) AS sql WITH NO DATA</c>.
    /// Follow it with <see cref="RefreshContinuousAggregate"/> to compute its rows.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="sql">The aggregate query.</param>
    /// <param name="schema">The view's schema; null for the search path.</param>
    /// <param name="materializedOnly">The value of <c>timescaledb.materialized_only</c>.</param>
    /// <param name="createGroupIndexes">The value of <c>timescaledb.create_group_indexes</c>.</param>
    /// <param name="chunkInterval">The chunk interval of the aggregate's own hypertable; null for TimescaleDB's default.</param>
    public static OperationBuilder<CreateContinuousAggregateOperation> CreateContinuousAggregate(
        this MigrationBuilder migrationBuilder,
        string name,
        string sql,
        string? schema = null,
        bool materializedOnly = true,
        bool createGroupIndexes = true,
        string? chunkInterval = null)
        => Add(migrationBuilder, new CreateContinuousAggregateOperation
        {
            Table = name,
            Schema = schema,
            Sql = sql,
            MaterializedOnly = materializedOnly,
            CreateGroupIndexes = createGroupIndexes,
            ChunkInterval = chunkInterval,
        });

    /// <summary>
    /// Adds aggregate columns to a continuous aggregate in place on TimescaleDB 2.28+:
    /// <c>ALTER MATERIALIZED VIEW name ADD COLUMN c type GENERATED ALWAYS AS (expression) STORED</c>; existing buckets
    /// are kept, with the new columns NULL until refreshed (see <paramref name="backfillWindow"/>). Older servers skip
    /// it and run the operations marked <see cref="OnlyBeforeTimescale{TOperation}"/> instead.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="columns">The new columns' names.</param>
    /// <param name="columnTypes">Their store types, e.g. "double precision".</param>
    /// <param name="expressions">Their aggregate expressions over the aggregate's source, e.g. "max(m.value)".</param>
    /// <param name="schema">The view's schema.</param>
    /// <param name="backfillWindow">Interval text: the buckets from now minus this to now are recomputed afterwards (forced refresh, outside the transaction); null: none.</param>
    public static OperationBuilder<AddContinuousAggregateColumnsOperation> AddContinuousAggregateColumns(
        this MigrationBuilder migrationBuilder,
        string name,
        string[] columns,
        string[] columnTypes,
        string[] expressions,
        string? schema = null,
        string? backfillWindow = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(columnTypes);
        ArgumentNullException.ThrowIfNull(expressions);
        if (columns.Length == 0 || columns.Length != columnTypes.Length || columns.Length != expressions.Length)
        {
            throw new ArgumentException($"AddContinuousAggregateColumns(\"{name}\"): give one type and one expression per column ({columns.Length} columns, {columnTypes.Length} types, {expressions.Length} expressions).", nameof(columns));
        }

        return Add(migrationBuilder, new AddContinuousAggregateColumnsOperation
        {
            Table = name,
            Schema = schema,
            Columns = columns,
            ColumnTypes = columnTypes,
            Expressions = expressions,
            BackfillWindow = backfillWindow,
        });
    }

    /// <summary>
    /// Runs the operation only on TimescaleDB versions before <paramref name="version"/>, which lack what a sibling
    /// operation does in place there (e.g. "2.28": the aggregate is dropped and created again where older servers
    /// cannot add its column). The server's version decides when the migration runs.
    /// </summary>
    /// <typeparam name="TOperation">The operation.</typeparam>
    /// <param name="builder">The operation's builder.</param>
    /// <param name="version">The first version on which the operation is left out, e.g. "2.28".</param>
    /// <returns>The same builder.</returns>
    public static OperationBuilder<TOperation> OnlyBeforeTimescale<TOperation>(this OperationBuilder<TOperation> builder, string version)
        where TOperation : Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        return builder.Annotation(Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation.OnlyBeforeTimescaleAnnotation, version);
    }

    /// <summary>
    /// Renames a column of a continuous aggregate in place: <c>ALTER MATERIALIZED VIEW name RENAME COLUMN column TO newName</c>;
    /// its buckets stay.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="column">The column's current name.</param>
    /// <param name="newName">The column's new name.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<RenameContinuousAggregateColumnOperation> RenameContinuousAggregateColumn(
        this MigrationBuilder migrationBuilder,
        string name,
        string column,
        string newName,
        string? schema = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        ArgumentException.ThrowIfNullOrWhiteSpace(newName);
        return Add(migrationBuilder, new RenameContinuousAggregateColumnOperation { Table = name, Schema = schema, Name = column, NewName = newName });
    }

    /// <summary>Drops a continuous aggregate and its materialized rows: <c>DROP MATERIALIZED VIEW IF EXISTS name</c>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<DropContinuousAggregateOperation> DropContinuousAggregate(this MigrationBuilder migrationBuilder, string name, string? schema = null)
        => Add(migrationBuilder, new DropContinuousAggregateOperation { Table = name, Schema = schema });

    /// <summary>Adds a refresh policy: <c>add_continuous_aggregate_policy(view, start_offset, end_offset, schedule_interval)</c>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="startOffset">Interval text such as "3 days"; null for the oldest data.</param>
    /// <param name="endOffset">Interval text such as "1 hour"; null for the newest data.</param>
    /// <param name="scheduleInterval">How often the policy runs, as interval text.</param>
    /// <param name="schema">The view's schema.</param>
    /// <param name="bucketsPerBatch"><c>buckets_per_batch</c> (TimescaleDB 2.19+); null for TimescaleDB's default.</param>
    /// <param name="maxBatchesPerExecution"><c>max_batches_per_execution</c> (TimescaleDB 2.19+); null for TimescaleDB's default.</param>
    /// <param name="refreshNewestFirst"><c>refresh_newest_first</c> (TimescaleDB 2.20+); null for TimescaleDB's default.</param>
    /// <param name="includeTieredData"><c>include_tiered_data</c> (TimescaleDB 2.18+); null for the server's setting.</param>
    public static ScheduledOperationBuilder<AddContinuousAggregatePolicyOperation> AddContinuousAggregatePolicy(
        this MigrationBuilder migrationBuilder,
        string name,
        string? startOffset,
        string? endOffset,
        string scheduleInterval,
        string? schema = null,
        int? bucketsPerBatch = null,
        int? maxBatchesPerExecution = null,
        bool? refreshNewestFirst = null,
        bool? includeTieredData = null)
        => JobScheduleMigrationBuilderExtensions.Add(migrationBuilder, new AddContinuousAggregatePolicyOperation
        {
            Table = name,
            Schema = schema,
            StartOffset = startOffset,
            EndOffset = endOffset,
            ScheduleInterval = scheduleInterval,
            BucketsPerBatch = bucketsPerBatch,
            MaxBatchesPerExecution = maxBatchesPerExecution,
            RefreshNewestFirst = refreshNewestFirst,
            IncludeTieredData = includeTieredData,
        });

    /// <summary>
    /// Changes the refresh policy's batching and tiering options in place (<c>alter_job</c>, same job id); an option
    /// passed as null is reset to TimescaleDB's default.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view's name.</param>
    /// <param name="schema">The view's schema; null for the search path.</param>
    /// <param name="bucketsPerBatch"><c>buckets_per_batch</c> (TimescaleDB 2.19+).</param>
    /// <param name="maxBatchesPerExecution"><c>max_batches_per_execution</c> (TimescaleDB 2.19+).</param>
    /// <param name="refreshNewestFirst"><c>refresh_newest_first</c> (TimescaleDB 2.20+).</param>
    /// <param name="includeTieredData"><c>include_tiered_data</c> (TimescaleDB 2.18+).</param>
    public static OperationBuilder<AlterContinuousAggregatePolicyOptionsOperation> AlterContinuousAggregatePolicyOptions(
        this MigrationBuilder migrationBuilder,
        string name,
        string? schema = null,
        int? bucketsPerBatch = null,
        int? maxBatchesPerExecution = null,
        bool? refreshNewestFirst = null,
        bool? includeTieredData = null)
        => Add(migrationBuilder, new AlterContinuousAggregatePolicyOptionsOperation
        {
            Table = name,
            Schema = schema,
            BucketsPerBatch = bucketsPerBatch,
            MaxBatchesPerExecution = maxBatchesPerExecution,
            RefreshNewestFirst = refreshNewestFirst,
            IncludeTieredData = includeTieredData,
        });

    /// <summary>Sets the chunk interval of the aggregate's own hypertable; null resets it to TimescaleDB's default (ten times the source's).</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view's name.</param>
    /// <param name="chunkInterval">Interval text such as "30 days"; null for the default.</param>
    /// <param name="schema">The view's schema; null for the search path.</param>
    public static OperationBuilder<SetContinuousAggregateChunkIntervalOperation> SetContinuousAggregateChunkInterval(
        this MigrationBuilder migrationBuilder, string name, string? chunkInterval, string? schema = null)
        => Add(migrationBuilder, new SetContinuousAggregateChunkIntervalOperation { Table = name, Schema = schema, ChunkInterval = chunkInterval });

    /// <summary>Enables or changes the aggregate's columnstore: <c>ALTER MATERIALIZED VIEW ... SET (timescaledb.enable_columnstore = true, ...)</c>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view's name.</param>
    /// <param name="schema">The view's schema; null for the search path.</param>
    /// <param name="segmentBy">Comma-separated segmentby columns; null for TimescaleDB's choice.</param>
    /// <param name="orderBy">The orderby with column names, e.g. "bucket DESC"; null for TimescaleDB's (the bucket and the GROUP BY columns).</param>
    public static OperationBuilder<SetContinuousAggregateColumnstoreOperation> SetContinuousAggregateColumnstore(
        this MigrationBuilder migrationBuilder, string name, string? schema = null, string? segmentBy = null, string? orderBy = null)
        => Add(migrationBuilder, new SetContinuousAggregateColumnstoreOperation { Table = name, Schema = schema, SegmentBy = segmentBy, OrderBy = orderBy });

    /// <summary>Disables the aggregate's columnstore, converting its columnstore chunks back to rowstore first.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view's name.</param>
    /// <param name="schema">The view's schema; null for the search path.</param>
    public static OperationBuilder<DisableContinuousAggregateColumnstoreOperation> DisableContinuousAggregateColumnstore(this MigrationBuilder migrationBuilder, string name, string? schema = null)
        => Add(migrationBuilder, new DisableContinuousAggregateColumnstoreOperation { Table = name, Schema = schema });

    /// <summary>Removes the refresh policy, if there is one.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<RemoveContinuousAggregatePolicyOperation> RemoveContinuousAggregatePolicy(this MigrationBuilder migrationBuilder, string name, string? schema = null)
        => Add(migrationBuilder, new RemoveContinuousAggregatePolicyOperation { Table = name, Schema = schema });

    /// <summary>Switches real-time aggregation: <c>ALTER MATERIALIZED VIEW name SET (timescaledb.materialized_only = ...)</c>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="materializedOnly">The new value.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<SetContinuousAggregateMaterializedOnlyOperation> SetContinuousAggregateMaterializedOnly(
        this MigrationBuilder migrationBuilder,
        string name,
        bool materializedOnly,
        string? schema = null)
        => Add(migrationBuilder, new SetContinuousAggregateMaterializedOnlyOperation { Table = name, Schema = schema, MaterializedOnly = materializedOnly });

    /// <summary>
    /// Computes every bucket of a continuous aggregate: <c>CALL refresh_continuous_aggregate(view, NULL, NULL)</c>, run
    /// outside the migration's transaction (the migration's earlier commands are committed first).
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<RefreshContinuousAggregateOperation> RefreshContinuousAggregate(this MigrationBuilder migrationBuilder, string name, string? schema = null)
        => Add(migrationBuilder, new RefreshContinuousAggregateOperation { Table = name, Schema = schema });

    private static OperationBuilder<T> Add<T>(MigrationBuilder migrationBuilder, T operation)
        where T : Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<T>(operation);
    }
}
