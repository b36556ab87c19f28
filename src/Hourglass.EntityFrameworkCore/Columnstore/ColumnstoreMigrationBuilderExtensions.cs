using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>Columnstore operations for migration files.</summary>
public static class ColumnstoreMigrationBuilderExtensions
{
    /// <summary>Enables or changes the columnstore of a hypertable.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="schema">The table's schema; null for the search path.</param>
    /// <param name="segmentBy">Comma-separated segmentby columns; null for TimescaleDB's choice.</param>
    /// <param name="orderBy">The orderby with column names, e.g. <c>"time DESC"</c>; null for TimescaleDB's choice.</param>
    /// <param name="resetUnset">Whether a null setting resets an existing one to TimescaleDB's default.</param>
    /// <param name="sparseIndexes">Sparse indexes with column names, e.g. <c>"bloom(tag), minmax(value)"</c>; <c>""</c> turns the automatic ones off; null for TimescaleDB's choice.</param>
    /// <param name="mergedChunkInterval">Interval text of <c>compress_chunk_time_interval</c>, e.g. <c>"7 days"</c>; null for none.</param>
    public static OperationBuilder<SetColumnstoreOperation> SetColumnstore(
        this MigrationBuilder migrationBuilder,
        string table,
        string? schema = null,
        string? segmentBy = null,
        string? orderBy = null,
        bool resetUnset = false,
        string? sparseIndexes = null,
        string? mergedChunkInterval = null)
        => JobScheduleMigrationBuilderExtensions.AddUnscheduled(
            migrationBuilder,
            new SetColumnstoreOperation
            {
                Table = table,
                Schema = schema,
                SegmentBy = segmentBy,
                OrderBy = orderBy,
                ResetUnset = resetUnset,
                SparseIndexes = sparseIndexes,
                MergedChunkInterval = mergedChunkInterval,
            });

    /// <summary>Converts the hypertable's columnstore chunks back to rowstore and disables the columnstore.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="schema">The table's schema.</param>
    public static OperationBuilder<DisableColumnstoreOperation> DisableColumnstore(this MigrationBuilder migrationBuilder, string table, string? schema = null)
        => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new DisableColumnstoreOperation { Table = table, Schema = schema });

    /// <summary>
    /// Adds a columnstore policy converting chunks older than <paramref name="after"/>, or created longer ago than
    /// <paramref name="createdBefore"/> (give one); chain <c>.WithSchedule(...)</c> for its job schedule.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="after">Interval text such as "7 days", or digits for integer time columns.</param>
    /// <param name="schema">The table's schema.</param>
    /// <param name="createdBefore">Instead of <paramref name="after"/>: interval text such as "7 days" (<c>created_before</c>).</param>
    public static ScheduledOperationBuilder<AddColumnstorePolicyOperation> AddColumnstorePolicy(this MigrationBuilder migrationBuilder, string table, string? after = null, string? schema = null, string? createdBefore = null)
    {
        if ((after is null) == (createdBefore is null))
        {
            throw new ArgumentException($"AddColumnstorePolicy(\"{table}\") needs exactly one of after and createdBefore.", after is null ? nameof(after) : nameof(createdBefore));
        }

        return JobScheduleMigrationBuilderExtensions.Add(migrationBuilder, new AddColumnstorePolicyOperation { Table = table, Schema = schema, After = after ?? "", CreatedBefore = createdBefore });
    }

    /// <summary>Removes the hypertable's columnstore policy, if it has one.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="schema">The table's schema.</param>
    public static OperationBuilder<RemoveColumnstorePolicyOperation> RemoveColumnstorePolicy(this MigrationBuilder migrationBuilder, string table, string? schema = null)
        => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new RemoveColumnstorePolicyOperation { Table = table, Schema = schema });

    /// <summary>Sets the columnstore policy's <c>recompress_unordered</c> in its job's config (TimescaleDB 2.29+); null resets it to TimescaleDB's default.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="recompressUnordered">Whether the policy recompresses unordered chunks; null for TimescaleDB's default (true).</param>
    /// <param name="schema">The table's schema.</param>
    public static OperationBuilder<Hourglass.EntityFrameworkCore.Policies.SetColumnstorePolicyRecompressUnorderedOperation> SetColumnstorePolicyRecompressUnordered(
        this MigrationBuilder migrationBuilder, string table, bool? recompressUnordered, string? schema = null)
        => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new Hourglass.EntityFrameworkCore.Policies.SetColumnstorePolicyRecompressUnorderedOperation { Table = table, Schema = schema, RecompressUnordered = recompressUnordered });
}
