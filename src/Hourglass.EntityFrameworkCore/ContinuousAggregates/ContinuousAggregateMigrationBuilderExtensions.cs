using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>Continuous aggregate operations for migration files.</summary>
public static class ContinuousAggregateMigrationBuilderExtensions
{
    /// <summary>
    /// Creates an empty continuous aggregate: <c>CREATE MATERIALIZED VIEW name WITH (timescaledb.continuous, ...) AS sql WITH NO DATA</c>.
    /// Follow it with <see cref="RefreshContinuousAggregate"/> to compute its rows.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="sql">The aggregate query.</param>
    /// <param name="schema">The view's schema; null for the search path.</param>
    /// <param name="materializedOnly">The value of <c>timescaledb.materialized_only</c>.</param>
    public static OperationBuilder<CreateContinuousAggregateOperation> CreateContinuousAggregate(
        this MigrationBuilder migrationBuilder,
        string name,
        string sql,
        string? schema = null,
        bool materializedOnly = true)
        => Add(migrationBuilder, new CreateContinuousAggregateOperation { Table = name, Schema = schema, Sql = sql, MaterializedOnly = materializedOnly });

    /// <summary>Drops a continuous aggregate and its materialized rows: <c>DROP MATERIALIZED VIEW IF EXISTS name</c>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<DropContinuousAggregateOperation> DropContinuousAggregate(this MigrationBuilder migrationBuilder, string name, string? schema = null)
        => Add(migrationBuilder, new DropContinuousAggregateOperation { Table = name, Schema = schema });

    /// <summary>Adds a refresh policy: <c>add_continuous_aggregate_policy(view, start_offset, end_offset, schedule_interval)</c>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="startOffset">Interval text such as "3 days"; null for the oldest data.</param>
    /// <param name="endOffset">Interval text such as "1 hour"; null for the newest data.</param>
    /// <param name="scheduleInterval">How often the policy runs, as interval text.</param>
    /// <param name="schema">The view's schema.</param>
    public static ScheduledOperationBuilder<AddContinuousAggregatePolicyOperation> AddContinuousAggregatePolicy(
        this MigrationBuilder migrationBuilder,
        string name,
        string? startOffset,
        string? endOffset,
        string scheduleInterval,
        string? schema = null)
        => JobScheduleMigrationBuilderExtensions.Add(migrationBuilder, new AddContinuousAggregatePolicyOperation
        {
            Table = name,
            Schema = schema,
            StartOffset = startOffset,
            EndOffset = endOffset,
            ScheduleInterval = scheduleInterval,
        });

    /// <summary>Removes the refresh policy, if there is one.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<RemoveContinuousAggregatePolicyOperation> RemoveContinuousAggregatePolicy(this MigrationBuilder migrationBuilder, string name, string? schema = null)
        => Add(migrationBuilder, new RemoveContinuousAggregatePolicyOperation { Table = name, Schema = schema });

    /// <summary>Switches real-time aggregation: <c>ALTER MATERIALIZED VIEW name SET (timescaledb.materialized_only = ...)</c>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="materializedOnly">The new value.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<SetContinuousAggregateMaterializedOnlyOperation> SetContinuousAggregateMaterializedOnly(
        this MigrationBuilder migrationBuilder,
        string name,
        bool materializedOnly,
        string? schema = null)
        => Add(migrationBuilder, new SetContinuousAggregateMaterializedOnlyOperation { Table = name, Schema = schema, MaterializedOnly = materializedOnly });

    /// <summary>
    /// Computes every bucket of a continuous aggregate: <c>CALL refresh_continuous_aggregate(view, NULL, NULL)</c>, run
    /// outside the migration's transaction (the migration's earlier commands are committed first).
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The view.</param>
    /// <param name="schema">The view's schema.</param>
    public static OperationBuilder<RefreshContinuousAggregateOperation> RefreshContinuousAggregate(this MigrationBuilder migrationBuilder, string name, string? schema = null)
        => Add(migrationBuilder, new RefreshContinuousAggregateOperation { Table = name, Schema = schema });

    private static OperationBuilder<T> Add<T>(MigrationBuilder migrationBuilder, T operation)
        where T : Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<T>(operation);
    }
}
