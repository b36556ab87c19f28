using Hourglass.EntityFrameworkCore.Retention;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>Retention policy operations for migration files.</summary>
public static class RetentionMigrationBuilderExtensions
{
    /// <summary>
    /// Adds a retention policy dropping chunks older than <paramref name="dropAfter"/>, or created longer ago than
    /// <paramref name="dropCreatedBefore"/> (give one); chain <c>.WithSchedule(...)</c> for its job schedule.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="dropAfter">Interval text such as "90 days", or digits for integer time columns.</param>
    /// <param name="schema">The table's schema; null for the search path.</param>
    /// <param name="dropCreatedBefore">Instead of <paramref name="dropAfter"/>: interval text such as "90 days" (<c>drop_created_before</c>).</param>
    public static ScheduledOperationBuilder<AddRetentionPolicyOperation> AddRetentionPolicy(this MigrationBuilder migrationBuilder, string table, string? dropAfter = null, string? schema = null, string? dropCreatedBefore = null)
    {
        if ((dropAfter is null) == (dropCreatedBefore is null))
        {
            throw new ArgumentException($"AddRetentionPolicy(\"{table}\") needs exactly one of dropAfter and dropCreatedBefore.", dropAfter is null ? nameof(dropAfter) : nameof(dropCreatedBefore));
        }

        return JobScheduleMigrationBuilderExtensions.Add(migrationBuilder, new AddRetentionPolicyOperation { Table = table, Schema = schema, DropAfter = dropAfter ?? "", DropCreatedBefore = dropCreatedBefore });
    }

    /// <summary>Removes the hypertable's retention policy, if it has one.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="schema">The table's schema.</param>
    public static OperationBuilder<RemoveRetentionPolicyOperation> RemoveRetentionPolicy(this MigrationBuilder migrationBuilder, string table, string? schema = null)
        => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new RemoveRetentionPolicyOperation { Table = table, Schema = schema });
}
