using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>Writes continuous aggregate operations in migration files as <c>migrationBuilder.CreateContinuousAggregate(...)</c> and friends.</summary>
internal sealed class ContinuousAggregateCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
    {
        if (operation is not TimescaleMigrationOperation timescale)
        {
            return false;
        }

        var name = ("name", code.Literal(timescale.Table));
        var schema = ("schema", timescale.Schema is null ? null : code.Literal(timescale.Schema));
        (string Method, string? Comment, (string, string?)[] Arguments)? call = operation switch
        {
            CreateContinuousAggregateOperation o => (
                "CreateContinuousAggregate",
                "Created empty; RefreshContinuousAggregate below (or the refresh policy) computes its rows.",
                [name, schema, ("sql", code.Literal(o.Sql)), ("materializedOnly", code.Literal(o.MaterializedOnly)),
                    ("createGroupIndexes", o.CreateGroupIndexes ? null : code.Literal(false)), ("chunkInterval", o.ChunkInterval is null ? null : code.Literal(o.ChunkInterval))]),
            AddContinuousAggregateColumnsOperation o => (
                "AddContinuousAggregateColumns",
                "TimescaleDB 2.28+: ALTER MATERIALIZED VIEW ... ADD COLUMN, in place: the materialization hypertable and its buckets stay, "
                    + (o.BackfillWindow is null
                        ? "the new columns are NULL in existing buckets until they are refreshed (BackfillAddedColumns(window) in the model refreshes a window here). "
                        : $"the new columns are filled by a forced refresh of the buckets of the last {o.BackfillWindow} (outside the transaction), and NULL in older buckets. ")
                    + "Older TimescaleDB: skipped; the OnlyBeforeTimescale(\"2.28\") operations drop the aggregate and create it again, which discards every bucket "
                    + "and recomputes it from the source rows (the whole hypertable is read; buckets older than the source's retention are lost).",
                [name, ("columns", code.Literal(o.Columns)), ("columnTypes", code.Literal(o.ColumnTypes)), ("expressions", code.Literal(o.Expressions)), schema,
                    ("backfillWindow", o.BackfillWindow is null ? null : code.Literal(o.BackfillWindow))]),
            RenameContinuousAggregateColumnOperation o => (
                "RenameContinuousAggregateColumn",
                "In place: the materialization hypertable and its buckets stay.",
                [name, ("column", code.Literal(o.Name)), ("newName", code.Literal(o.NewName)), schema]),
            DropContinuousAggregateOperation => (
                "DropContinuousAggregate",
                "Discards the materialized rows; a view created again recomputes them from the source table.",
                [name, schema]),
            AddContinuousAggregatePolicyOperation o => (
                "AddContinuousAggregatePolicy",
                null,
                [name, schema, ("startOffset", Literal(code, o.StartOffset)), ("endOffset", Literal(code, o.EndOffset)), ("scheduleInterval", code.Literal(o.ScheduleInterval)),
                    .. Options(code, o.Options)]),
            AlterContinuousAggregatePolicyOptionsOperation o => (
                "AlterContinuousAggregatePolicyOptions",
                "In place (alter_job): the policy keeps its job id; an option left out is reset to TimescaleDB's default.",
                [name, schema, .. Options(code, o.Options)]),
            SetContinuousAggregateChunkIntervalOperation o => (
                "SetContinuousAggregateChunkInterval",
                "New chunks of the aggregate get it; existing ones keep theirs.",
                [name, schema, ("chunkInterval", o.ChunkInterval is null ? "null" : code.Literal(o.ChunkInterval))]),
            SetContinuousAggregateColumnstoreOperation o => (
                "SetContinuousAggregateColumnstore",
                null,
                [name, schema, ("segmentBy", o.SegmentBy is null ? null : code.Literal(o.SegmentBy)), ("orderBy", o.OrderBy is null ? null : code.Literal(o.OrderBy))]),
            DisableContinuousAggregateColumnstoreOperation => (
                "DisableContinuousAggregateColumnstore",
                "Converts the aggregate's columnstore chunks back to rowstore first.",
                [name, schema]),
            RemoveContinuousAggregatePolicyOperation => ("RemoveContinuousAggregatePolicy", null, [name, schema]),
            SetContinuousAggregateMaterializedOnlyOperation o => (
                "SetContinuousAggregateMaterializedOnly",
                null,
                [name, schema, ("materializedOnly", code.Literal(o.MaterializedOnly))]),
            RefreshContinuousAggregateOperation => (
                "RefreshContinuousAggregate",
                "Computes every bucket from the source rows; runs outside the migration's transaction (TimescaleDB requires it).",
                [name, schema]),
            _ => null,
        };
        if (call is null)
        {
            return false;
        }

        var arguments = call.Value.Arguments.Where(a => a.Item2 is not null).Select(a => $"{a.Item1}: {a.Item2}").ToList();
        builder.AppendLine("." + call.Value.Method + "(");
        using (builder.Indent())
        {
            if (call.Value.Comment is { } comment)
            {
                builder.AppendLine("// " + comment);
            }

            for (var i = 0; i < arguments.Count; i++)
            {
                builder.Append(arguments[i]);
                if (i < arguments.Count - 1)
                {
                    builder.AppendLine(",");
                }
            }

            builder.Append(")");
        }

        return operation is not AddContinuousAggregatePolicyOperation add || JobScheduleCode.AppendWithSchedule(builder, code, add.Schedule);
    }

    private static (string, string?)[] Options(ICSharpHelper code, ContinuousAggregateRefreshOptions options) =>
    [
        ("bucketsPerBatch", options.BucketsPerBatch is { } buckets ? code.Literal(buckets) : null),
        ("maxBatchesPerExecution", options.MaxBatchesPerExecution is { } batches ? code.Literal(batches) : null),
        ("refreshNewestFirst", options.RefreshNewestFirst is { } newest ? code.Literal(newest) : null),
        ("includeTieredData", options.IncludeTieredData is { } tiered ? code.Literal(tiered) : null),
    ];

    // The parameter is nullable and has no default, so null is written out: the window is then unbounded.
    private static string Literal(ICSharpHelper code, string? interval) => interval is null ? "null" : code.Literal(interval);
}
