using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>
/// SQL for columnstore operations: the TimescaleDB 2.18+ names (<c>enable_columnstore</c>, <c>segmentby</c>,
/// <c>orderby</c>, <c>add_columnstore_policy</c>, <c>convert_to_rowstore</c>), the compression names before 2.18.
/// </summary>
internal sealed class ColumnstoreSqlGenerator(TimescaleVersionGate gate) : ITimescaleOperationSqlGenerator
{
    /// <summary>The version that renamed compression to columnstore.</summary>
    public static readonly Version ColumnstoreApi = new(2, 18);

    /// <summary>The version from which settings can change while chunks are compressed (those keep their own settings).</summary>
    public static readonly Version PerChunkSettings = new(2, 14);

    public static bool UsesColumnstoreNames(TimescaleServerTarget target) => target.Version is null || target.Version >= ColumnstoreApi;

    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not (SetColumnstoreOperation or DisableColumnstoreOperation))
        {
            return false;
        }

        var timescale = (TimescaleMigrationOperation)operation;
        var current = UsesColumnstoreNames(context.Target);
        var table = context.Sql.DelimitIdentifier(timescale.Table, timescale.Schema);
        var regclass = context.RegClass(timescale.Table, timescale.Schema);
        switch (operation)
        {
            case SetColumnstoreOperation set:
                var options = new List<string> { current ? "timescaledb.enable_columnstore = true" : "timescaledb.compress = true" };
                var reset = new List<string>();
                var segmentBy = current ? "timescaledb.segmentby" : "timescaledb.compress_segmentby";
                var orderBy = current ? "timescaledb.orderby" : "timescaledb.compress_orderby";
                if (set.SegmentBy is not null)
                {
                    options.Add($"{segmentBy} = {TimescaleSqlContext.Literal(string.Join(", ", ColumnstoreDefinition.SplitList(set.SegmentBy).Select(c => context.Sql.DelimitIdentifier(c))))}");
                }
                else if (set.ResetUnset)
                {
                    reset.Add(segmentBy);
                }

                if (set.OrderBy is not null)
                {
                    var entries = ColumnstoreOrder.Parse(set.OrderBy, out var error) ?? throw new InvalidOperationException($"The orderby of {set.Describe()} is invalid: {error}.");
                    options.Add($"{orderBy} = {TimescaleSqlContext.Literal(string.Join(", ", entries.Select(e => e.ToSql(c => context.Sql.DelimitIdentifier(c)))))}");
                }
                else if (set.ResetUnset)
                {
                    reset.Add(orderBy);
                }

                AddTuning(set, context, options, reset);

                if (set.ResetUnset && context.Target.Version is { } version && version < PerChunkSettings)
                {
                    RefuseChangeWhileCompressed(table, regclass, builder);
                }

                builder.Append($"ALTER TABLE {table} SET ({string.Join(", ", options)})").AppendLine(";").EndCommand();
                if (reset.Count > 0)
                {
                    builder.Append($"ALTER TABLE {table} RESET ({string.Join(", ", reset)})").AppendLine(";").EndCommand();
                }

                return true;
            default:
                // TimescaleDB refuses to disable the columnstore while chunks are in it: convert them back first.
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
                builder.Append($"ALTER TABLE {table} SET ({(current ? "timescaledb.enable_columnstore" : "timescaledb.compress")} = false)").AppendLine(";").EndCommand();
                return true;
        }
    }

    /// <summary>
    /// Adds <c>sparse_index</c> and <c>compress_chunk_time_interval</c>. A sparse index this server lacks fails under
    /// Strict and is left out with a warning naming the version it needs under Degrade; a cleared merged interval is set
    /// to 0, since TimescaleDB cannot RESET it.
    /// </summary>
    private void AddTuning(SetColumnstoreOperation set, TimescaleSqlContext context, List<string> options, List<string> reset)
    {
        var version = context.Target.Version;
        var hasSparseIndexes = version is null || version >= SparseIndex.SparseIndexVersion;
        if (set.SparseIndexes is not null)
        {
            var indexes = SparseIndex.Parse(set.SparseIndexes, out var error) ?? throw new InvalidOperationException($"The sparse indexes of {set.Describe()} are invalid: {error}.");
            var supported = indexes.Where(i => Supported($"sparse index {i}", i.MinimumVersion, set, version)).ToList();
            if (indexes.Count == 0 ? Supported("option sparse_index = '' (automatic sparse indexes off)", SparseIndex.SparseIndexVersion, set, version) : supported.Count > 0)
            {
                options.Add($"timescaledb.sparse_index = {TimescaleSqlContext.Literal(string.Join(", ", supported.Select(i => i.ToSql(c => context.Sql.DelimitIdentifier(c)))))}");
            }
            else if (set.ResetUnset && hasSparseIndexes)
            {
                reset.Add("timescaledb.sparse_index");
            }
        }
        else if (set.ResetUnset && hasSparseIndexes)
        {
            reset.Add("timescaledb.sparse_index");
        }

        if (set.MergedChunkInterval is not null)
        {
            options.Add($"timescaledb.compress_chunk_time_interval = {TimescaleSqlContext.Literal(TimescaleInterval.Parse(set.MergedChunkInterval).ToString())}");
        }
        else if (set.ResetUnset)
        {
            options.Add("timescaledb.compress_chunk_time_interval = '0'");
        }
    }

    private bool Supported(string option, Version since, SetColumnstoreOperation set, Version? version)
        => gate.Allows(version, since, $"{option} in the {set.Describe()}", "remove it from WithColumnstore(...)");

    // Before 2.14 TimescaleDB rejects new settings while any chunk is compressed, with an error that does not say what
    // to do; stop first with one that does.
    private static void RefuseChangeWhileCompressed(string table, string regclass, MigrationCommandListBuilder builder)
    {
        var message = TimescaleSqlContext.Literal(
            $"Cannot change the columnstore settings of {table}: TimescaleDB before 2.14 refuses new segmentby/orderby while chunks are compressed.");
        var hint = TimescaleSqlContext.Literal(
            $"Decompress them first (SELECT decompress_chunk(c, if_compressed => TRUE) FROM show_chunks({regclass}) c) and run the migration again, or upgrade TimescaleDB to 2.14 or later.");
        builder.AppendLine(
            $$"""
            DO $hourglass$
            BEGIN
                IF EXISTS (
                    SELECT 1 FROM timescaledb_information.chunks
                    WHERE format('%I.%I', hypertable_schema, hypertable_name)::regclass = {{regclass}}::regclass AND is_compressed)
                THEN
                    RAISE EXCEPTION USING MESSAGE = {{message}}, HINT = {{hint}};
                END IF;
            END
            $hourglass$;
            """).EndCommand();
    }
}
