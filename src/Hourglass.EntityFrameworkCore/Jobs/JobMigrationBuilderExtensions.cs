using Hourglass.EntityFrameworkCore.Jobs;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>TimescaleDB job operations for migration files.</summary>
public static class JobMigrationBuilderExtensions
{
    /// <summary>Schedules <paramref name="procedure"/> as a TimescaleDB job (<c>add_job</c>). The procedure must exist.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="procedure">The procedure, as <c>name</c> or <c>schema.name</c>.</param>
    /// <param name="scheduleInterval">Interval text, e.g. "1 hour".</param>
    /// <param name="config">A JSON object passed as <c>config</c>.</param>
    /// <param name="maxRuntime">Interval text after which a run is stopped.</param>
    /// <param name="maxRetries">Retries of a failed run; -1 retries forever.</param>
    /// <param name="retryPeriod">Interval text to wait before a retry.</param>
    /// <param name="initialStart">The first run.</param>
    /// <param name="fixedSchedule">False to start each run an interval after the previous one ended.</param>
    /// <param name="timezone">The time zone a fixed schedule follows.</param>
    /// <param name="scheduled">False to create the job paused.</param>
    public static OperationBuilder<AddJobOperation> AddJob(
        this MigrationBuilder migrationBuilder,
        string procedure,
        string scheduleInterval,
        string? config = null,
        string? maxRuntime = null,
        int? maxRetries = null,
        string? retryPeriod = null,
        DateTimeOffset? initialStart = null,
        bool fixedSchedule = true,
        string? timezone = null,
        bool scheduled = true)
        => Add(migrationBuilder, Fill(new AddJobOperation(), procedure, scheduleInterval, config, maxRuntime, maxRetries, retryPeriod, initialStart, fixedSchedule, timezone, scheduled));

    /// <summary>Changes every setting of <paramref name="procedure"/>'s job in place (<c>alter_job</c>); settings left out return to TimescaleDB's defaults.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="procedure">The procedure, as <c>name</c> or <c>schema.name</c>.</param>
    /// <param name="scheduleInterval">Interval text, e.g. "1 hour".</param>
    /// <param name="config">A JSON object passed as <c>config</c>; null keeps the current one.</param>
    /// <param name="maxRuntime">Interval text after which a run is stopped.</param>
    /// <param name="maxRetries">Retries of a failed run; -1 retries forever.</param>
    /// <param name="retryPeriod">Interval text to wait before a retry.</param>
    /// <param name="initialStart">The first run; null keeps the current one.</param>
    /// <param name="fixedSchedule">False to start each run an interval after the previous one ended.</param>
    /// <param name="timezone">The time zone a fixed schedule follows; null keeps the current one.</param>
    /// <param name="scheduled">False to pause the job.</param>
    public static OperationBuilder<AlterJobOperation> AlterJob(
        this MigrationBuilder migrationBuilder,
        string procedure,
        string scheduleInterval,
        string? config = null,
        string? maxRuntime = null,
        int? maxRetries = null,
        string? retryPeriod = null,
        DateTimeOffset? initialStart = null,
        bool fixedSchedule = true,
        string? timezone = null,
        bool scheduled = true)
        => Add(migrationBuilder, Fill(new AlterJobOperation(), procedure, scheduleInterval, config, maxRuntime, maxRetries, retryPeriod, initialStart, fixedSchedule, timezone, scheduled));

    /// <summary>Removes <paramref name="procedure"/>'s job (<c>delete_job</c>); the procedure stays.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="procedure">The procedure, as <c>name</c> or <c>schema.name</c>.</param>
    public static OperationBuilder<DeleteJobOperation> DeleteJob(this MigrationBuilder migrationBuilder, string procedure)
        => Add(migrationBuilder, new DeleteJobOperation { Procedure = procedure });

    private static T Fill<T>(
        T operation, string procedure, string scheduleInterval, string? config, string? maxRuntime, int? maxRetries, string? retryPeriod,
        DateTimeOffset? initialStart, bool fixedSchedule, string? timezone, bool scheduled)
        where T : AddJobOperation
    {
        operation.Procedure = procedure;
        operation.Config = config;
        operation.Schedule = JobScheduleCode.FromArguments(scheduleInterval, initialStart, timezone, maxRuntime, maxRetries, retryPeriod, fixedSchedule ? null : false, scheduled ? null : false);
        return operation;
    }

    private static OperationBuilder<T> Add<T>(MigrationBuilder migrationBuilder, T operation)
        where T : JobOperation
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<T>(operation);
    }
}
