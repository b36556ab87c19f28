using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Hourglass.EntityFrameworkCore.Scheduling;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// SQL for continuous aggregate operations. The view is created <c>WITH NO DATA</c> inside the migration's transaction.
/// Filling it (<c>CALL refresh_continuous_aggregate</c>) cannot run in a transaction: while Hourglass's migrator applies
/// the migration, the refresh is only recorded in the transaction (<see cref="PendingRefreshes"/>) and runs after the
/// migration is committed with its history row, so a process that dies midway never leaves half a migration behind.
/// In scripts and <c>EnsureCreated</c> the refresh is a command of its own, which EF runs outside the transaction.
/// (On the Apache-licensed edition every operation here is skipped or refused before SQL is generated: they all
/// require community features.)
/// </summary>
internal sealed class ContinuousAggregateSqlGenerator(PendingRefreshes pendingRefreshes) : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not (CreateContinuousAggregateOperation or DropContinuousAggregateOperation or AddContinuousAggregatePolicyOperation
            or RemoveContinuousAggregatePolicyOperation or SetContinuousAggregateMaterializedOnlyOperation or RefreshContinuousAggregateOperation))
        {
            return false;
        }

        var timescale = (TimescaleMigrationOperation)operation;
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
                    .Append($"schedule_interval => {Interval(add.ScheduleInterval)}")
                    .Append(string.Concat(JobScheduleSql.CreateArguments(add.Schedule with { ScheduleInterval = null }, Defaults).Select(a => ", " + a)))
                    .AppendLine(");")
                    .EndCommand();
                JobScheduleSql.AppendAlter(context, builder, PolicyJobs.JobsOf(JobKind.ContinuousAggregateRefresh, regclass), JobScheduleSql.SettingsAfterCreate(add.Schedule with { ScheduleInterval = null }, Defaults));
                break;
            case RemoveContinuousAggregatePolicyOperation:
                builder.AppendLine($"{context.SelectOrPerform} remove_continuous_aggregate_policy({regclass}, if_exists => TRUE);").EndCommand();
                break;
            case SetContinuousAggregateMaterializedOnlyOperation set:
                builder.AppendLine($"ALTER MATERIALIZED VIEW {view} SET (timescaledb.materialized_only = {(set.MaterializedOnly ? "true" : "false")});").EndCommand();
                break;
            case RefreshContinuousAggregateOperation when context.CompletedByMigrator:
                pendingRefreshes.AppendRecord(builder, regclass);
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

    private static JobDefaults Defaults => JobKind.ContinuousAggregateRefresh.Defaults();

    private static string Interval(string? interval) => interval is null ? "NULL" : TimescaleInterval.Parse(interval).ToSql();
}
