using Hourglass.EntityFrameworkCore.Columnstore;
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
internal sealed class ContinuousAggregateSqlGenerator(PendingRefreshes pendingRefreshes, TimescaleDiagnostics diagnostics, TimescaleVersionGate gate) : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not (CreateContinuousAggregateOperation or DropContinuousAggregateOperation or AddContinuousAggregatePolicyOperation
            or RemoveContinuousAggregatePolicyOperation or SetContinuousAggregateMaterializedOnlyOperation or RefreshContinuousAggregateOperation
            or SetContinuousAggregateChunkIntervalOperation or SetContinuousAggregateColumnstoreOperation or DisableContinuousAggregateColumnstoreOperation
            or AlterContinuousAggregatePolicyOptionsOperation or AddContinuousAggregateColumnsOperation or RenameContinuousAggregateColumnOperation))
        {
            return false;
        }

        var timescale = (TimescaleMigrationOperation)operation;
        var view = context.Sql.DelimitIdentifier(timescale.Table, timescale.Schema);
        var regclass = context.RegClass(timescale.Table, timescale.Schema);
        switch (operation)
        {
            case CreateContinuousAggregateOperation create:
            {
                var with = new List<string> { "timescaledb.continuous", $"timescaledb.materialized_only = {(create.MaterializedOnly ? "true" : "false")}" };
                if (!create.CreateGroupIndexes)
                {
                    with.Add("timescaledb.create_group_indexes = false");
                }

                TimescaleInterval? chunkInterval = create.ChunkInterval is null ? null : TimescaleInterval.Parse(create.ChunkInterval);
                var chunkIntervalInWith = chunkInterval is { IsInteger: false } && HasChunkIntervalOption(context.Target);
                if (chunkIntervalInWith && chunkInterval is { } inWith)
                {
                    with.Add($"timescaledb.chunk_interval = {TimescaleSqlContext.Literal(inWith.ToString())}");
                }

                builder
                    .Append($"CREATE MATERIALIZED VIEW {view} WITH ({string.Join(", ", with)}) AS")
                    .AppendLine()
                    .AppendLine(create.Sql.Trim().TrimEnd(';').TrimEnd())
                    .AppendLine("WITH NO DATA;")
                    .EndCommand();
                if (chunkInterval is { } separate && !chunkIntervalInWith)
                {
                    SetChunkIntervalOfMaterialization(context, builder, regclass, separate.ToSql());
                }

                break;
            }

            case SetContinuousAggregateChunkIntervalOperation set:
                if (set.ChunkInterval is not null && TimescaleInterval.Parse(set.ChunkInterval) is { IsInteger: false } interval && HasChunkIntervalOption(context.Target))
                {
                    builder.AppendLine($"ALTER MATERIALIZED VIEW {view} SET (timescaledb.chunk_interval = {TimescaleSqlContext.Literal(interval.ToString())});").EndCommand();
                }
                else
                {
                    // Back to TimescaleDB's default: ten times the chunk interval of the hypertable the aggregate reads.
                    SetChunkIntervalOfMaterialization(
                        context,
                        builder,
                        regclass,
                        set.ChunkInterval is null
                            ? "(SELECT d.interval_length * 10 FROM _timescaledb_catalog.dimension d WHERE d.hypertable_id = ca.raw_hypertable_id AND d.interval_length IS NOT NULL ORDER BY d.id LIMIT 1)"
                            : TimescaleInterval.Parse(set.ChunkInterval).ToSql());
                }

                break;
            case SetContinuousAggregateColumnstoreOperation set:
            {
                var current = ColumnstoreSqlGenerator.UsesColumnstoreNames(context.Target);
                var options = new List<string> { current ? "timescaledb.enable_columnstore = true" : "timescaledb.compress = true" };
                if (set.SegmentBy is not null)
                {
                    options.Add($"{(current ? "timescaledb.segmentby" : "timescaledb.compress_segmentby")} = {TimescaleSqlContext.Literal(string.Join(", ", ColumnstoreDefinition.SplitList(set.SegmentBy).Select(c => context.Sql.DelimitIdentifier(c))))}");
                }

                if (set.OrderBy is not null)
                {
                    var entries = ColumnstoreOrder.Parse(set.OrderBy, out var error) ?? throw new InvalidOperationException($"The orderby of {set.Describe()} is invalid: {error}.");
                    options.Add($"{(current ? "timescaledb.orderby" : "timescaledb.compress_orderby")} = {TimescaleSqlContext.Literal(string.Join(", ", entries.Select(e => e.ToSql(c => context.Sql.DelimitIdentifier(c)))))}");
                }

                builder.AppendLine($"ALTER MATERIALIZED VIEW {view} SET ({string.Join(", ", options)});").EndCommand();
                break;
            }

            case DisableContinuousAggregateColumnstoreOperation:
            {
                // TimescaleDB refuses to disable the columnstore while chunks are in it: convert them back first.
                var current = ColumnstoreSqlGenerator.UsesColumnstoreNames(context.Target);
                var convert = current ? "CALL convert_to_rowstore(chunk, if_columnstore => TRUE);" : "PERFORM decompress_chunk(chunk, if_compressed => TRUE);";
                builder.AppendLine(
                    $$"""
                    DO $hourglass$
                    DECLARE
                        chunk regclass;
                    BEGIN
                        FOR chunk IN
                            SELECT c FROM show_chunks({{regclass}}) AS c
                            JOIN timescaledb_information.chunks i ON format('%I.%I', i.chunk_schema, i.chunk_name)::regclass = c
                            WHERE i.is_compressed
                        LOOP
                            {{convert}}
                        END LOOP;
                    END
                    $hourglass$;
                    """).EndCommand();
                builder.AppendLine($"ALTER MATERIALIZED VIEW {view} SET ({(current ? "timescaledb.enable_columnstore" : "timescaledb.compress")} = false);").EndCommand();
                break;
            }

            case AlterContinuousAggregatePolicyOptionsOperation alter:
            {
                var settings = Supported(alter.Options, alter.Describe(), context.Target).ToList();
                var json = "{" + string.Join(", ", settings.Select(o => $"\"{o.Key}\": {o.Value}")) + "}";
                builder
                    .AppendLine($"{context.SelectOrPerform} alter_job(j.job_id, config => (j.config - ARRAY[{string.Join(", ", ContinuousAggregateRefreshOptions.Keys.Select(TimescaleSqlContext.Literal))}]) || {TimescaleSqlContext.Literal(json)}::jsonb)")
                    .AppendLine("FROM timescaledb_information.jobs j")
                    .AppendLine("JOIN _timescaledb_catalog.continuous_agg c ON c.mat_hypertable_id = (j.config ->> 'mat_hypertable_id')::int")
                    .AppendLine($"WHERE j.proc_name = 'policy_refresh_continuous_aggregate' AND format('%I.%I', c.user_view_schema, c.user_view_name)::regclass = {regclass}::regclass;")
                    .EndCommand();
                break;
            }
            case AddContinuousAggregateColumnsOperation add:
                AddColumns(add, view, regclass, context, builder);
                break;
            case RenameContinuousAggregateColumnOperation rename:
                builder
                    .AppendLine($"ALTER MATERIALIZED VIEW {view} RENAME COLUMN {context.Sql.DelimitIdentifier(rename.Name)} TO {context.Sql.DelimitIdentifier(rename.NewName)};")
                    .EndCommand();
                break;
            case DropContinuousAggregateOperation:
                StopRunningJobs(builder, regclass);
                builder.AppendLine($"DROP MATERIALIZED VIEW IF EXISTS {view};").EndCommand();
                break;
            case AddContinuousAggregatePolicyOperation add:
                builder
                    .Append($"{context.SelectOrPerform} add_continuous_aggregate_policy({regclass}, ")
                    .Append($"start_offset => {Interval(add.StartOffset)}, end_offset => {Interval(add.EndOffset)}, ")
                    .Append($"schedule_interval => {Interval(add.ScheduleInterval)}")
                    .Append(string.Concat(JobScheduleSql.CreateArguments(add.Schedule with { ScheduleInterval = null }, Defaults).Select(a => ", " + a)))
                    .Append(string.Concat(Supported(add.Options, add.Describe(), context.Target).Select(o => $", {o.Key} => {o.Value}")))
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

    /// <summary>
    /// Cancels the aggregate's running jobs and waits (10 s at most) until their workers have gone, in a statement of its
    /// own before the DROP. TimescaleDB's DROP cancels them itself, but a cancelled refresh then deletes its registration
    /// row (2.26.3+) in a transaction of its own while the DROP deletes the same row: the DROP fails with "tuple
    /// concurrently deleted". Waiting here lets the DROP start after the worker has cleaned up. The wait is bounded
    /// because a worker may wait for a lock this migration's earlier statements hold; by then its cleanup is done.
    /// pg_stat_activity is read once per transaction unless its snapshot is cleared, here and for the DROP's own lookup.
    /// </summary>
    private static void StopRunningJobs(MigrationCommandListBuilder builder, string regclass)
    {
        var workers = $"""
            pg_stat_activity a
                    JOIN timescaledb_information.jobs j ON j.application_name = a.application_name
                    JOIN timescaledb_information.continuous_aggregates c
                      ON (j.hypertable_schema, j.hypertable_name) IN ((c.view_schema, c.view_name), (c.materialization_hypertable_schema, c.materialization_hypertable_name))
                    WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
                      AND format('%I.%I', c.view_schema, c.view_name)::regclass = to_regclass({regclass})
            """;
        builder.AppendLine(
            $$"""
            DO $hourglass$
            DECLARE
                deadline timestamptz := clock_timestamp() + interval '10 seconds';
                worker int;
            BEGIN
                FOR worker IN SELECT a.pid FROM {{workers}}
                LOOP
                    BEGIN
                        PERFORM pg_cancel_backend(worker);
                    EXCEPTION WHEN insufficient_privilege THEN
                        NULL;
                    END;
                END LOOP;
                WHILE clock_timestamp() < deadline AND EXISTS (SELECT FROM {{workers}})
                LOOP
                    PERFORM pg_sleep(0.05);
                    PERFORM pg_stat_clear_snapshot();
                END LOOP;
                PERFORM pg_stat_clear_snapshot();
            END
            $hourglass$;
            """).EndCommand();
    }

    /// <summary>
    /// In place from 2.28 (or an unknown version): one ALTER for all columns, skipped when the first column is already
    /// there, so a run that died during the backfill (which runs after a commit) completes when run again. Before 2.28
    /// nothing: the migration's OnlyBeforeTimescale operations create the aggregate again, and a warning says so.
    /// </summary>
    private void AddColumns(AddContinuousAggregateColumnsOperation add, string view, string regclass, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (context.Target.Version is { } version && version < AddContinuousAggregateColumnsOperation.InPlaceSince)
        {
            diagnostics.FeatureSkippedForVersion(
                $"the {add.Describe()} (the migration drops the aggregate and creates it again instead: every bucket is recomputed from the source rows)",
                AddContinuousAggregateColumnsOperation.InPlaceSince.ToString(2));
            return;
        }

        var columns = add.Columns.Select((c, i) => $"ADD COLUMN {context.Sql.DelimitIdentifier(c)} {add.ColumnTypes[i]} GENERATED ALWAYS AS ({add.Expressions[i]}) STORED");
        var alter = $"ALTER MATERIALIZED VIEW {view} {string.Join(", ", columns)}";
        builder
            .AppendLine("DO $hourglass$")
            .AppendLine("BEGIN")
            .AppendLine($"    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = {regclass}::regclass AND attname = {TimescaleSqlContext.Literal(add.Columns[0])} AND NOT attisdropped) THEN")
            .AppendLine($"        EXECUTE {TimescaleSqlContext.Literal(alter)};")
            .AppendLine("    END IF;")
            .AppendLine("END")
            .AppendLine("$hourglass$;")
            .EndCommand();
        if (add.BackfillWindow is { } window)
        {
            // Forced: the buckets are materialized already and not invalidated, so a plain refresh would skip them.
            builder
                .AppendLine($"CALL refresh_continuous_aggregate({regclass}, now() - {TimescaleInterval.Parse(window).ToSql()}, NULL, force => true);")
                .EndCommand(suppressTransaction: true);
        }
    }

    private static JobDefaults Defaults => JobKind.ContinuousAggregateRefresh.Defaults();

    /// <summary>The version from which a continuous aggregate takes <c>timescaledb.chunk_interval</c> in its WITH clause.</summary>
    public static readonly Version ChunkIntervalOption = new(2, 20);

    private static bool HasChunkIntervalOption(TimescaleServerTarget target) => target.Version is null || target.Version >= ChunkIntervalOption;

    // Before 2.20 (and for integer time columns) the chunk interval is set on the materialization hypertable itself.
    private static void SetChunkIntervalOfMaterialization(TimescaleSqlContext context, MigrationCommandListBuilder builder, string regclass, string interval)
        => builder
            .AppendLine($"{context.SelectOrPerform} {(context.Target.SupportsDimensionBuilders ? "set_partitioning_interval" : "set_chunk_time_interval")}(format('%I.%I', mat.schema_name, mat.table_name)::regclass, {interval})")
            .AppendLine("FROM _timescaledb_catalog.continuous_agg ca")
            .AppendLine("JOIN _timescaledb_catalog.hypertable mat ON mat.id = ca.mat_hypertable_id")
            .AppendLine($"WHERE format('%I.%I', ca.user_view_schema, ca.user_view_name)::regclass = {regclass}::regclass;")
            .EndCommand();

    /// <summary>
    /// The refresh options this server has; one it lacks fails under Strict, and is left out with a warning naming
    /// the version it needs under Degrade.
    /// </summary>
    private IEnumerable<(string Key, string Value)> Supported(ContinuousAggregateRefreshOptions options, string owner, TimescaleServerTarget target)
    {
        foreach (var (key, value, since) in options.Settings())
        {
            if (gate.Allows(target.Version, since, $"option {key} = {value} of the {owner}", "remove the option from WithRefreshOptions(...)"))
            {
                yield return (key, value);
            }
        }
    }

    private static string Interval(string? interval) => interval is null ? "NULL" : TimescaleInterval.Parse(interval).ToSql();
}
