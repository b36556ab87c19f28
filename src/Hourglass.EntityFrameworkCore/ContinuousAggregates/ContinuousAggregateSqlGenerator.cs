using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Hourglass.EntityFrameworkCore.Scheduling;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// SQL for continuous aggregate operations. The view is created <c>WITH NO DATA</c> inside the migration's transaction;
/// filling it (<c>CALL refresh_continuous_aggregate</c>) is a command of its own that EF runs outside the transaction,
/// because TimescaleDB refuses to materialize inside a transaction block. (On the Apache-licensed edition every operation
/// here is skipped or refused before SQL is generated: they all require community features.)
/// <para>
/// EF commits the transaction before the refresh and writes the migration's history row after it, so a process that dies
/// during the refresh leaves the view and its policy committed with the migration not recorded. The rerun applies the
/// migration again: the view is created <c>IF NOT EXISTS</c> and the policy added with <c>if_not_exists =&gt; true</c>,
/// so it completes instead of failing on "already exists"; drops, removals and the refresh are idempotent anyway.
/// </para>
/// </summary>
internal sealed class ContinuousAggregateSqlGenerator : ITimescaleOperationSqlGenerator
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
                    .Append($"CREATE MATERIALIZED VIEW IF NOT EXISTS {view} WITH (timescaledb.continuous, timescaledb.materialized_only = {(create.MaterializedOnly ? "true" : "false")}) AS")
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
                    .Append($"schedule_interval => {Interval(add.ScheduleInterval)}, if_not_exists => true")
                    .Append(string.Concat(JobScheduleSql.CreateArguments(add.Schedule with { ScheduleInterval = null }, Defaults).Select(a => ", " + a)))
                    .AppendLine(");")
                    .EndCommand();
                JobScheduleSql.AppendAlter(context, builder, PolicyJobs.JobsOf(TimescalePolicy.ContinuousAggregateRefresh, regclass), JobScheduleSql.SettingsAfterCreate(add.Schedule with { ScheduleInterval = null }, Defaults));
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

    private static JobDefaults Defaults => PolicyJobs.Defaults(TimescalePolicy.ContinuousAggregateRefresh);

    private static string Interval(string? interval) => interval is null ? "NULL" : TimescaleInterval.Parse(interval).ToSql();
}
