using System.ComponentModel;
using Hourglass;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>A policy operation in a migration file, whose job schedule <see cref="WithSchedule"/> sets.</summary>
/// <typeparam name="TOperation">A policy operation.</typeparam>
public sealed class ScheduledOperationBuilder<TOperation> : OperationBuilder<TOperation>
    where TOperation : TimescaleMigrationOperation
{
    internal ScheduledOperationBuilder(TOperation operation)
        : base(operation)
    {
        if (operation is not IScheduledOperation)
        {
            throw new ArgumentException($"{typeof(TOperation).Name} has no job schedule.", nameof(operation));
        }
    }

    /// <summary>
    /// Sets the job schedule: the creating call takes the interval, start and time zone, <c>alter_job</c> the rest.
    /// Settings left out keep TimescaleDB's value.
    /// </summary>
    /// <param name="scheduleInterval">Interval text such as "6 hours" or "1 month" (<c>schedule_interval</c>).</param>
    /// <param name="initialStart">The first run (<c>initial_start</c>).</param>
    /// <param name="timezone">The time zone a fixed schedule follows.</param>
    /// <param name="maxRuntime">Interval text after which a run is stopped; "0 seconds" for no limit.</param>
    /// <param name="maxRetries">Retries of a failed run; -1 retries forever.</param>
    /// <param name="retryPeriod">Interval text to wait before a retry.</param>
    /// <param name="fixedSchedule">True for a fixed grid, false to start each run an interval after the previous one ended.</param>
    /// <param name="scheduled">False to pause the job.</param>
    /// <returns>This builder.</returns>
    public ScheduledOperationBuilder<TOperation> WithSchedule(
        string? scheduleInterval = null,
        DateTimeOffset? initialStart = null,
        string? timezone = null,
        string? maxRuntime = null,
        int? maxRetries = null,
        string? retryPeriod = null,
        bool? fixedSchedule = null,
        bool? scheduled = null)
    {
        var target = (IScheduledOperation)Operation;
        target.Schedule = target.Schedule.Over(JobScheduleCode.FromArguments(scheduleInterval, initialStart, timezone, maxRuntime, maxRetries, retryPeriod, fixedSchedule, scheduled));
        return this;
    }
}

/// <summary>Job schedule operations for migration files.</summary>
public static class JobScheduleMigrationBuilderExtensions
{
    /// <summary>
    /// Changes the job schedule of a policy in place with <c>alter_job</c> (its id and run history stay); chain
    /// <c>.WithSchedule(...)</c> with the settings to change.
    /// </summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="policy">Which policy of the table or view: <see cref="JobKind.Columnstore"/>, <see cref="JobKind.Retention"/>, <see cref="JobKind.Reorder"/> or <see cref="JobKind.ContinuousAggregateRefresh"/>.</param>
    /// <param name="table">The hypertable, or the continuous aggregate's view for <see cref="JobKind.ContinuousAggregateRefresh"/>.</param>
    /// <param name="schema">The schema; null for the search path.</param>
    /// <returns>The operation's builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="policy"/> is not a policy.</exception>
    public static ScheduledOperationBuilder<AlterPolicyScheduleOperation> AlterPolicySchedule(this MigrationBuilder migrationBuilder, JobKind policy, string table, string? schema = null)
        => policy.IsPolicy()
            ? Add(migrationBuilder, new AlterPolicyScheduleOperation { Policy = policy, Table = table, Schema = schema })
            : throw new ArgumentOutOfRangeException(nameof(policy), policy, $"AlterPolicySchedule changes a policy's job; {policy} is not a policy (use AlterJob for a user's job).");

    /// <summary>The same as <see cref="AlterPolicySchedule(MigrationBuilder, JobKind, string, string?)"/>, for migration files that name the policy as a <see cref="TimescalePolicy"/>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="policy">Which policy of the table or view.</param>
    /// <param name="table">The hypertable, or the continuous aggregate's view.</param>
    /// <param name="schema">The schema; null for the search path.</param>
    /// <returns>The operation's builder.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static ScheduledOperationBuilder<AlterPolicyScheduleOperation> AlterPolicySchedule(this MigrationBuilder migrationBuilder, TimescalePolicy policy, string table, string? schema = null)
        => AlterPolicySchedule(migrationBuilder, PolicyJobs.Kind(policy), table, schema);

    internal static ScheduledOperationBuilder<TOperation> Add<TOperation>(MigrationBuilder migrationBuilder, TOperation operation)
        where TOperation : TimescaleMigrationOperation
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Operations.Add(operation);
        return new ScheduledOperationBuilder<TOperation>(operation);
    }

    internal static OperationBuilder<TOperation> AddUnscheduled<TOperation>(MigrationBuilder migrationBuilder, TOperation operation)
        where TOperation : TimescaleMigrationOperation
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<TOperation>(operation);
    }
}
