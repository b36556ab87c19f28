using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.Logging;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// SQL for continuous aggregate operations. The view is created <c>WITH NO DATA</c> inside the migration's transaction;
/// filling it (<c>CALL refresh_continuous_aggregate</c>) is a command of its own that EF runs outside the transaction,
/// because TimescaleDB refuses to materialize inside a transaction block. On the Apache-licensed edition, which has no
/// continuous aggregates, the Degrade fallback (a plain materialized view) is generated instead, or Strict refuses.
/// </summary>
internal sealed class ContinuousAggregateSqlGenerator(TimescaleServerDetector detector) : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not (CreateContinuousAggregateOperation or DropContinuousAggregateOperation or AddContinuousAggregatePolicyOperation
            or RemoveContinuousAggregatePolicyOperation or SetContinuousAggregateMaterializedOnlyOperation or RefreshContinuousAggregateOperation))
        {
            return false;
        }

        var timescale = (TimescaleMigrationOperation)operation;
        if (!context.Target.HasCommunityFeatures)
        {
            GenerateForApacheEdition(timescale, builder);
            return true;
        }

        var view = context.Sql.DelimitIdentifier(timescale.Table, timescale.Schema);
        var regclass = context.RegClass(timescale.Table, timescale.Schema);
        switch (operation)
        {
            case CreateContinuousAggregateOperation create:
                builder
                    .Append($"CREATE MATERIALIZED VIEW {view} WITH (timescaledb.continuous, timescaledb.materialized_only = {(create.MaterializedOnly ? "true" : "false")}) AS")
                    .AppendLine()
                    .AppendLine(create.Sql.Trim().TrimEnd(';').TrimEnd())
                    .AppendLine("WITH NO DATA;")
                    .EndCommand();
                break;
            case DropContinuousAggregateOperation:
                builder.AppendLine($"DROP MATERIALIZED VIEW IF EXISTS {view};").EndCommand();
                break;
            case AddContinuousAggregatePolicyOperation add:
                builder
                    .Append($"{context.SelectOrPerform} add_continuous_aggregate_policy({regclass}, ")
                    .Append($"start_offset => {Interval(add.StartOffset)}, end_offset => {Interval(add.EndOffset)}, ")
                    .Append($"schedule_interval => {Interval(add.ScheduleInterval)})")
                    .AppendLine(";")
                    .EndCommand();
                break;
            case RemoveContinuousAggregatePolicyOperation:
                builder.AppendLine($"{context.SelectOrPerform} remove_continuous_aggregate_policy({regclass}, if_exists => TRUE);").EndCommand();
                break;
            case SetContinuousAggregateMaterializedOnlyOperation set:
                builder.AppendLine($"ALTER MATERIALIZED VIEW {view} SET (timescaledb.materialized_only = {(set.MaterializedOnly ? "true" : "false")});").EndCommand();
                break;
            case RefreshContinuousAggregateOperation:
                // A single statement in a command of its own: Npgsql would send several as one implicit transaction.
                builder
                    .AppendLine($"CALL refresh_continuous_aggregate({regclass}, NULL, NULL);")
                    .EndCommand(suppressTransaction: true);
                break;
        }

        return true;
    }

    private static string Interval(string? interval) => interval is null ? "NULL" : HypertableSqlGenerator.IntervalSql(interval);

    private void GenerateForApacheEdition(TimescaleMigrationOperation operation, MigrationCommandListBuilder builder)
    {
        const string Edition = "this TimescaleDB is the Apache-licensed edition (timescaledb.license = 'apache'), which has no continuous aggregates or policies";
        if (detector.MissingBehavior == TimescaleMissingBehavior.Strict)
        {
            throw new InvalidOperationException(
                $"{char.ToUpperInvariant(Edition[0])}{Edition[1..]}, and TimescaleMissingBehavior.Strict forbids running without them. Needed for: {operation.Describe()}. "
                + "Fix: use the community edition (timescaledb.license = 'timescale'), or TimescaleMissingBehavior.Degrade to get a plain materialized view.");
        }

        // time_bucket and the other hyperfunctions are in the Apache edition, so a plain materialized view always works.
        var fallback = operation is CreateContinuousAggregateOperation create ? create.PlainMaterializedView() : operation.WithoutTimescale();
        detector.Logger.LogWarning("{Edition}: {Fallback}", Edition, fallback?.Warning ?? "skipped " + operation.Describe());
        if (fallback?.Operation is SqlOperation sql)
        {
            builder.AppendLine(sql.Sql).EndCommand();
        }
    }
}
