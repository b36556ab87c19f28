using Hourglass.EntityFrameworkCore.Reorder;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>Reorder policy operations for migration files.</summary>
public static class ReorderMigrationBuilderExtensions
{
    /// <summary>Adds a reorder policy rewriting older chunks in the order of <paramref name="indexName"/>; chain <c>.WithSchedule(...)</c> for its job schedule.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="indexName">The index's name.</param>
    /// <param name="schema">The table's schema; null for the search path.</param>
    public static ScheduledOperationBuilder<AddReorderPolicyOperation> AddReorderPolicy(this MigrationBuilder migrationBuilder, string table, string indexName, string? schema = null)
        => JobScheduleMigrationBuilderExtensions.Add(migrationBuilder, new AddReorderPolicyOperation { Table = table, Schema = schema, IndexName = indexName });

    /// <summary>Removes the hypertable's reorder policy, if it has one.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="schema">The table's schema.</param>
    public static OperationBuilder<RemoveReorderPolicyOperation> RemoveReorderPolicy(this MigrationBuilder migrationBuilder, string table, string? schema = null)
        => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new RemoveReorderPolicyOperation { Table = table, Schema = schema });
}
