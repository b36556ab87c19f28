using System.Globalization;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>
/// SQL for hypertable operations: the TimescaleDB 2.13+ API (<c>by_range</c>, <c>by_hash</c>,
/// <c>set_partitioning_interval</c>), and the older positional forms only for servers older than 2.13.
/// </summary>
internal sealed class HypertableSqlGenerator(TimescaleDiagnostics diagnostics, TimescaleVersionGate gate) : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is CreateHypertableOperation { UuidV7: true } or AddHypertableDimensionOperation { UuidV7: true }
            && !UuidPartitioning.SupportedOn(context.Target.Version))
        {
            SkipUuidPartitioning((TimescaleMigrationOperation)operation, context);
            return true;
        }

        switch (operation)
        {
            case CreateHypertableOperation create:
                Generate(create, context, builder);
                return true;
            case AddHypertableDimensionOperation dimension:
                Generate(dimension, context, builder);
                return true;
            case SetHypertableChunkIntervalOperation interval when interval.Column is not null && context.ColumnsNotPartitioned.Contains((interval.Schema, interval.Table, interval.Column)):
                diagnostics.FeatureSkippedForVersion(interval.Describe(), UuidPartitioning.Since.ToString(2));
                return true;
            case SetHypertableChunkIntervalOperation interval:
                Generate(interval, context, builder);
                return true;
            case SetHypertablePartitionsOperation partitions:
                context.AppendCall(builder, $"set_number_partitions({context.RegClass(partitions.Table, partitions.Schema)}, {partitions.NumberOfPartitions.ToString(CultureInfo.InvariantCulture)}, {TimescaleSqlContext.Literal(partitions.Column)})");
                return true;
            case SetHypertableIntegerNowFunctionOperation now:
                context.AppendCall(builder, $"set_integer_now_func({context.RegClass(now.Table, now.Schema)}, {TimescaleSqlContext.Literal(now.Function)}, replace_if_exists => TRUE)");
                return true;
            case ConvertHypertableToTableOperation convert:
                Generate(convert, context, builder);
                return true;
            default:
                return false;
        }
    }

    // Before 2.22 TimescaleDB cannot partition by a uuid column. Strict refuses; Degrade leaves the table plain (and every
    // later TimescaleDB operation on it skipped) or the hypertable without that dimension, with a warning naming 2.22.
    private void SkipUuidPartitioning(TimescaleMigrationOperation operation, TimescaleSqlContext context)
    {
        if (gate.Allows(context.Target.Version, UuidPartitioning.Since, operation.Describe() + " partitioned by a UUIDv7 column", "partition by a time column instead"))
        {
            return;
        }

        if (operation is CreateHypertableOperation)
        {
            context.TablesLeftPlain[(operation.Schema, operation.Table)] = UuidPartitioning.Since;
        }
        else if (operation is AddHypertableDimensionOperation dimension)
        {
            context.ColumnsNotPartitioned.Add((operation.Schema, operation.Table, dimension.Column));
        }
    }

    /// <summary>An interval argument of an operation: <c>INTERVAL '1 day'</c>, or the bare number of an integer interval.</summary>
    internal static string IntervalSql(string interval) => TimescaleInterval.Parse(interval).ToSql();

    private static void Generate(CreateHypertableOperation operation, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        var table = context.RegClass(operation.Table, operation.Schema);
        var column = TimescaleSqlContext.Literal(operation.TimeColumn);
        var arguments = new List<string> { table };
        if (context.Target.SupportsDimensionBuilders)
        {
            arguments.Add(operation.ChunkInterval is null ? $"by_range({column})" : $"by_range({column}, {IntervalSql(operation.ChunkInterval)})");
        }
        else
        {
            arguments.Add(column);
            if (operation.ChunkInterval is not null)
            {
                arguments.Add("chunk_time_interval => " + IntervalSql(operation.ChunkInterval));
            }
        }

        if (!operation.CreateDefaultIndexes)
        {
            arguments.Add("create_default_indexes => FALSE");
        }

        if (operation.MigrateData)
        {
            arguments.Add("migrate_data => TRUE");
        }

        context.AppendCall(builder, $"create_hypertable({string.Join(", ", arguments)})");
        if (operation.IntegerNowFunction is not null)
        {
            context.AppendCall(builder, $"set_integer_now_func({table}, {TimescaleSqlContext.Literal(operation.IntegerNowFunction)}, replace_if_exists => TRUE)");
        }
    }

    private static void Generate(AddHypertableDimensionOperation operation, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        var table = context.RegClass(operation.Table, operation.Schema);
        var column = TimescaleSqlContext.Literal(operation.Column);
        string dimension;
        if (context.Target.SupportsDimensionBuilders)
        {
            dimension = operation.NumberOfPartitions is { } partitions
                ? string.Create(CultureInfo.InvariantCulture, $"by_hash({column}, {partitions})")
                : operation.Interval is null ? $"by_range({column})" : $"by_range({column}, {IntervalSql(operation.Interval)})";
        }
        else
        {
            dimension = operation.NumberOfPartitions is { } partitions
                ? string.Create(CultureInfo.InvariantCulture, $"{column}, number_partitions => {partitions}")
                : operation.Interval is null ? column : $"{column}, chunk_time_interval => {IntervalSql(operation.Interval)}";
        }

        context.AppendCall(builder, $"add_dimension({table}, {dimension})");
    }

    private static void Generate(SetHypertableChunkIntervalOperation operation, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        var table = context.RegClass(operation.Table, operation.Schema);
        var column = operation.Column is null ? "" : ", " + TimescaleSqlContext.Literal(operation.Column);
        context.AppendCall(builder, context.Target.SupportsDimensionBuilders
                ? $"set_partitioning_interval({table}, {IntervalSql(operation.Interval)}{column})"
                : $"set_chunk_time_interval({table}, {IntervalSql(operation.Interval)}{(operation.Column is null ? "" : ", dimension_name => " + TimescaleSqlContext.Literal(operation.Column))})");
    }


    // Rebuilds the table: constraints, indexes and foreign keys (also those pointing at it) are read from the catalog,
    // the hypertable is renamed away, a plain table of the same shape takes its name and rows, and the definitions are
    // replayed under their original names. Identity sequences continue after the highest copied value.
    private static void Generate(ConvertHypertableToTableOperation operation, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        var table = context.RegClass(operation.Table, operation.Schema);
        // TimescaleDB's default indexes are "<table>_<time>_idx" and "<table>_<dimension>_<time>_idx"; the model never
        // declares them, so the plain table does not get them back.
        var keepIndex = "TRUE";
        if (operation.TimeColumn is not null)
        {
            var prefix = TimescaleSqlContext.Literal(operation.Table + "_");
            var suffix = TimescaleSqlContext.Literal("_" + operation.TimeColumn + "_idx");
            keepIndex = $"NOT (starts_with(ic.relname, {prefix}) AND right(ic.relname, length({suffix})) = {suffix})";
        }
        builder.AppendLine(
            $$"""
            DO $hourglass$
            DECLARE
                old_table regclass := {{table}}::regclass;
                table_schema text;
                table_name text;
                parked_name text;
                column_list text;
                definitions text[];
                definition text;
                identity_column text;
            BEGIN
                SELECT n.nspname, c.relname INTO table_schema, table_name
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = old_table;
                parked_name := left(table_name, 40) || '_hourglass_rebuild';

                SELECT coalesce(array_agg(d ORDER BY o), '{}') INTO definitions FROM (
                    SELECT format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', table_schema, table_name, con.conname, pg_catalog.pg_get_constraintdef(con.oid)) AS d,
                           CASE con.contype WHEN 'p' THEN 1 WHEN 'u' THEN 2 WHEN 'x' THEN 3 ELSE 4 END AS o
                    FROM pg_catalog.pg_constraint con
                    WHERE con.conrelid = old_table AND con.contype IN ('p', 'u', 'x', 'f')
                    UNION ALL
                    SELECT pg_catalog.pg_get_indexdef(i.indexrelid), 5
                    FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = old_table
                      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = old_table)
                      AND {{keepIndex}}
                    UNION ALL
                    SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', con.conrelid::regclass, con.conname, pg_catalog.pg_get_constraintdef(con.oid)), 6
                    FROM pg_catalog.pg_constraint con
                    WHERE con.confrelid = old_table AND con.conrelid <> old_table AND con.contype = 'f'
                ) AS all_definitions;

                SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) INTO column_list
                FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = old_table AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';

                EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', table_schema, table_name, parked_name);
                EXECUTE format('CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS INCLUDING CONSTRAINTS)',
                    table_schema, table_name, table_schema, parked_name);
                EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %I.%I',
                    table_schema, table_name, column_list, column_list, table_schema, parked_name);
                FOR identity_column IN
                    SELECT a.attname FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = format('%I.%I', table_schema, table_name)::regclass AND a.attidentity <> '' AND NOT a.attisdropped
                LOOP
                    EXECUTE format('SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%L, %L), coalesce(max(%I), 0) + 1, false) FROM %I.%I',
                        format('%I.%I', table_schema, table_name), identity_column, identity_column, table_schema, table_name);
                END LOOP;
                EXECUTE format('DROP TABLE %I.%I CASCADE', table_schema, parked_name);
                FOREACH definition IN ARRAY definitions LOOP
                    EXECUTE definition;
                END LOOP;
            END
            $hourglass$;
            """).EndCommand();
    }
}
