using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Hourglass.EntityFrameworkCore.Scheduling;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// Creates an empty continuous aggregate: <c>CREATE MATERIALIZED VIEW name WITH (timescaledb.continuous, ...) AS sql WITH NO DATA</c>
/// (a <see cref="RefreshContinuousAggregateOperation"/> fills it: TimescaleDB refuses to materialize inside a transaction
/// block). <see cref="TimescaleMigrationOperation.Table"/> holds the view's name.
/// </summary>
public sealed class CreateContinuousAggregateOperation : TimescaleMigrationOperation
{
    /// <summary>The aggregate query.</summary>
    public string Sql { get; set; } = "";

    /// <summary>The value of <c>timescaledb.materialized_only</c>.</summary>
    public bool MaterializedOnly { get; set; } = ContinuousAggregateDefinition.DefaultMaterializedOnly;

    /// <summary>The value of <c>timescaledb.create_group_indexes</c> (TimescaleDB's default, true, is not written).</summary>
    public bool CreateGroupIndexes { get; set; } = true;

    /// <summary>The chunk interval of the aggregate's own hypertable as interval text; null for TimescaleDB's default.</summary>
    public string? ChunkInterval { get; set; }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"continuous aggregate {DisplayTable}";

    internal override DegradedOperation? WithoutTimescale()
    {
        var view = DisplayTable;
        if (ContinuousAggregateSql.TimescaleFunction(Sql) is { } function)
        {
            return new DegradedOperation(
                null,
                $"skipped continuous aggregate {view}: its query calls {function}(), which plain PostgreSQL does not have, so the view does not exist and queries of its entity fail.");
        }

        return PlainMaterializedView();
    }

    private DegradedOperation PlainMaterializedView()
        => new(
            new SqlOperation { Sql = $"CREATE MATERIALIZED VIEW {DisplayTable} AS\n{Sql.Trim().TrimEnd(';').TrimEnd()}\nWITH NO DATA;" },
            $"continuous aggregate {DisplayTable} is created as a plain PostgreSQL materialized view (no incremental refresh: refresh it with RefreshContinuousAggregateAsync or REFRESH MATERIALIZED VIEW).");
}

/// <summary>Drops a continuous aggregate and its materialized data: <c>DROP MATERIALIZED VIEW IF EXISTS name</c>.</summary>
public sealed class DropContinuousAggregateOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"removal of continuous aggregate {DisplayTable}";

    internal override DegradedOperation? WithoutTimescale()
        => new(
            new SqlOperation { Sql = $"DROP MATERIALIZED VIEW IF EXISTS {DisplayTable};" },
            $"continuous aggregate {DisplayTable} is dropped as a plain materialized view, if it exists.");
}

/// <summary>Adds a refresh policy: <c>add_continuous_aggregate_policy(view, start_offset, end_offset, schedule_interval)</c>.</summary>
public sealed class AddContinuousAggregatePolicyOperation : TimescaleMigrationOperation, IScheduledOperation
{
    JobSchedule IScheduledOperation.Schedule { get; set; } = JobSchedule.Empty;

    /// <summary>The rest of the job schedule (its interval is <see cref="ScheduleInterval"/>).</summary>
    internal JobSchedule Schedule
    {
        get => ((IScheduledOperation)this).Schedule;
        set => ((IScheduledOperation)this).Schedule = value;
    }

    /// <summary>The window's start offset as interval text; null for the oldest data.</summary>
    public string? StartOffset { get; set; }

    /// <summary>The window's end offset as interval text; null for the newest data.</summary>
    public string? EndOffset { get; set; }

    /// <summary>How often the policy runs, as interval text.</summary>
    public string ScheduleInterval { get; set; } = "1 hour";

    /// <summary><c>buckets_per_batch</c> (TimescaleDB 2.19+); null for TimescaleDB's default.</summary>
    public int? BucketsPerBatch { get; set; }

    /// <summary><c>max_batches_per_execution</c> (TimescaleDB 2.19+); null for TimescaleDB's default.</summary>
    public int? MaxBatchesPerExecution { get; set; }

    /// <summary><c>refresh_newest_first</c> (TimescaleDB 2.20+); null for TimescaleDB's default.</summary>
    public bool? RefreshNewestFirst { get; set; }

    /// <summary><c>include_tiered_data</c> (TimescaleDB 2.18+); null for the server's setting.</summary>
    public bool? IncludeTieredData { get; set; }

    internal ContinuousAggregateRefreshOptions Options
    {
        get => new(BucketsPerBatch, MaxBatchesPerExecution, RefreshNewestFirst, IncludeTieredData);
        set => (BucketsPerBatch, MaxBatchesPerExecution, RefreshNewestFirst, IncludeTieredData) = (value.BucketsPerBatch, value.MaxBatchesPerExecution, value.RefreshNewestFirst, value.IncludeTieredData);
    }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"refresh policy of continuous aggregate {DisplayTable}";

    internal override DegradedOperation? WithoutTimescale()
        => new(null, $"skipped the refresh policy of continuous aggregate {DisplayTable}: plain PostgreSQL has no policies, refresh the view yourself.");
}

/// <summary>Removes a refresh policy: <c>remove_continuous_aggregate_policy(view, if_exists =&gt; true)</c>.</summary>
public sealed class RemoveContinuousAggregatePolicyOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"removal of the refresh policy of continuous aggregate {DisplayTable}";

    internal override DegradedOperation? WithoutTimescale()
        => new(null, $"skipped the removal of the refresh policy of continuous aggregate {DisplayTable}: plain PostgreSQL has no policies.");
}

/// <summary>Switches real-time aggregation: <c>ALTER MATERIALIZED VIEW name SET (timescaledb.materialized_only = ...)</c>.</summary>
public sealed class SetContinuousAggregateMaterializedOnlyOperation : TimescaleMigrationOperation
{
    /// <summary>The new value of <c>timescaledb.materialized_only</c>.</summary>
    public bool MaterializedOnly { get; set; }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"materialized_only = {(MaterializedOnly ? "true" : "false")} of continuous aggregate {DisplayTable}";

    internal override DegradedOperation? WithoutTimescale()
        => new(null, $"skipped materialized_only = {(MaterializedOnly ? "true" : "false")} of continuous aggregate {DisplayTable}: a plain materialized view only returns materialized rows.");
}

/// <summary>
/// Recomputes a continuous aggregate over all its source rows: <c>CALL refresh_continuous_aggregate(view, NULL, NULL)</c>,
/// run outside the migration's transaction.
/// </summary>
public sealed class RefreshContinuousAggregateOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"refresh of continuous aggregate {DisplayTable}";

    internal override DegradedOperation? WithoutTimescale()
        => new(
            new SqlOperation { Sql = $"DO $hourglass$ BEGIN IF to_regclass('{DisplayTable.Replace("'", "''", StringComparison.Ordinal)}') IS NOT NULL THEN REFRESH MATERIALIZED VIEW {DisplayTable}; END IF; END $hourglass$;" },
            $"continuous aggregate {DisplayTable} is refreshed as a plain materialized view, if it exists.");
}

/// <summary>
/// Adds aggregate columns to a continuous aggregate in place (TimescaleDB 2.28+):
/// <c>ALTER MATERIALIZED VIEW name ADD COLUMN c type GENERATED ALWAYS AS (aggregate) STORED</c>. The materialization
/// hypertable and its buckets stay; the new columns are NULL in buckets materialized before, until a refresh
/// recomputes them: <see cref="BackfillWindow"/> forces one over the newest buckets. On older servers nothing runs
/// here: the migration's operations marked <c>OnlyBeforeTimescale("2.28")</c> drop the aggregate and create it again.
/// </summary>
public sealed class AddContinuousAggregateColumnsOperation : TimescaleMigrationOperation
{
    /// <summary>The first TimescaleDB version that adds a column to a continuous aggregate in place.</summary>
    public static readonly Version InPlaceSince = new(2, 28);

    /// <summary>The new columns' names.</summary>
    public string[] Columns { get; set; } = [];

    /// <summary>The new columns' store types (e.g. <c>double precision</c>), one per column.</summary>
    public string[] ColumnTypes { get; set; } = [];

    /// <summary>Each column's aggregate expression over the aggregate's source, as in its query (e.g. <c>max(m.value)</c>).</summary>
    public string[] Expressions { get; set; } = [];

    /// <summary>
    /// Interval text: after adding the columns, the buckets from now minus this to now are recomputed
    /// (<c>refresh_continuous_aggregate(..., force =&gt; true)</c>, outside the migration's transaction); null: none are.
    /// </summary>
    public string? BackfillWindow { get; set; }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"in-place addition of {string.Join(", ", Columns)} to continuous aggregate {DisplayTable}";

    internal override DegradedOperation? WithoutTimescale()
        => new(null, $"continuous aggregate {DisplayTable} gets its new columns {string.Join(", ", Columns)} by being created again as a plain materialized view (the operations that follow).");
}

/// <summary>
/// Renames a column of a continuous aggregate in place: <c>ALTER MATERIALIZED VIEW name RENAME COLUMN old TO new</c>.
/// TimescaleDB renames it in the materialization hypertable too, so every bucket stays.
/// </summary>
public sealed class RenameContinuousAggregateColumnOperation : TimescaleMigrationOperation
{
    /// <summary>The column's current name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The column's new name.</summary>
    public string NewName { get; set; } = "";

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"renaming of column {Name} of continuous aggregate {DisplayTable} to {NewName}";

    internal override DegradedOperation? WithoutTimescale()
        => new(
            new SqlOperation { Sql = $"ALTER MATERIALIZED VIEW IF EXISTS {DisplayTable} RENAME COLUMN {Delimit(Name)} TO {Delimit(NewName)};" },
            $"column {Name} of continuous aggregate {DisplayTable} is renamed to {NewName} in the plain materialized view, if it exists.");

}
