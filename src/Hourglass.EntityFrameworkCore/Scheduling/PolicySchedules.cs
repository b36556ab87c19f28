using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Scheduling;

/// <summary>TimescaleDB's policies: the jobs it runs for a hypertable or continuous aggregate.</summary>
public enum TimescalePolicy
{
    /// <summary>The columnstore (compression) policy of a hypertable: <c>policy_compression</c>.</summary>
    Columnstore,

    /// <summary>The retention policy of a hypertable: <c>policy_retention</c>.</summary>
    Retention,

    /// <summary>The reorder policy of a hypertable: <c>policy_reorder</c>.</summary>
    Reorder,

    /// <summary>The refresh policy of a continuous aggregate: <c>policy_refresh_continuous_aggregate</c>.</summary>
    ContinuousAggregateRefresh,
}

/// <summary>Changes a policy's job schedule in place: <c>alter_job(job_id, ...)</c>; the job keeps its id and history.</summary>
public sealed class AlterPolicyScheduleOperation : TimescaleMigrationOperation, IScheduledOperation
{
    /// <summary>Which policy of the table (or view).</summary>
    public TimescalePolicy Policy { get; set; }

    JobSchedule IScheduledOperation.Schedule { get; set; } = JobSchedule.Empty;

    internal JobSchedule Schedule => ((IScheduledOperation)this).Schedule;

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"schedule change of the {Policy} policy of {DisplayTable}";
}

/// <summary>The job of each policy, and its defaults.</summary>
internal static class PolicyJobs
{
    public static string ProcName(TimescalePolicy policy) => policy switch
    {
        TimescalePolicy.Columnstore => "policy_compression",
        TimescalePolicy.Retention => "policy_retention",
        TimescalePolicy.Reorder => "policy_reorder",
        _ => "policy_refresh_continuous_aggregate",
    };

    /// <summary>What TimescaleDB gives each policy's job when a setting is not given (the same from 2.13 to 2.28).</summary>
    public static JobDefaults Defaults(TimescalePolicy policy) => policy switch
    {
        TimescalePolicy.Retention => new(Length(TimeSpan.FromDays(1)), Length(TimeSpan.FromMinutes(5)), -1, Length(TimeSpan.FromMinutes(5)), null),
        // The interval defaults to half the chunk interval.
        TimescalePolicy.Columnstore => new(null, TimescaleInterval.Zero, -1, Length(TimeSpan.FromHours(1)), null),
        TimescalePolicy.Reorder => new(null, TimescaleInterval.Zero, -1, Length(TimeSpan.FromMinutes(5)), null, CreateTakesScheduleInterval: false),
        _ => new(null, TimescaleInterval.Zero, -1, null, null, RetryPeriodIsScheduleInterval: true),
    };

    /// <summary>
    /// The schedule interval TimescaleDB gives a hypertable policy from the hypertable's chunk interval (its first
    /// dimension's). An integer time column has no such interval, and the kinds' fixed defaults apply (TimescaleDB's
    /// compression_api.c and reorder_api.c).
    /// </summary>
    public static TimescaleInterval DefaultInterval(TimescalePolicy policy, TimeSpan? chunkInterval) => Length((policy, chunkInterval) switch
    {
        (TimescalePolicy.Columnstore, { } interval) => interval / 2 < TimeSpan.FromHours(12) ? interval / 2 : TimeSpan.FromHours(12),
        (TimescalePolicy.Reorder, { } interval) => interval / 2,
        (TimescalePolicy.Reorder, null) => TimeSpan.FromDays(4),
        _ => TimeSpan.FromDays(1),
    });

    // Whole microseconds, as the server divides them (half of an odd chunk interval rounds down).
    private static TimescaleInterval Length(TimeSpan value) => TimescaleInterval.FromMicroseconds(value.Ticks / TimeSpan.TicksPerMicrosecond);

    /// <summary>The policy's job as a FROM clause with a job_id column.</summary>
    public static string JobsOf(TimescalePolicy policy, string regclass)
        => policy == TimescalePolicy.ContinuousAggregateRefresh
            ? $"""
               (SELECT j.job_id FROM timescaledb_information.jobs j
                 JOIN _timescaledb_catalog.continuous_agg c ON c.mat_hypertable_id = (j.config ->> 'mat_hypertable_id')::int
                WHERE j.proc_name = '{ProcName(policy)}' AND format('%I.%I', c.user_view_schema, c.user_view_name)::regclass = {regclass}::regclass) AS job
               """
            : $"(SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = '{ProcName(policy)}' AND format('%I.%I', hypertable_schema, hypertable_name)::regclass = {regclass}::regclass) AS job";
}

/// <summary>SQL and C# for <see cref="AlterPolicyScheduleOperation"/>, whichever policy it changes.</summary>
internal sealed class PolicyScheduleGenerator : ITimescaleOperationSqlGenerator, ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not AlterPolicyScheduleOperation alter)
        {
            return false;
        }

        JobScheduleSql.AppendAlter(context, builder, PolicyJobs.JobsOf(alter.Policy, context.RegClass(alter.Table, alter.Schema)), JobScheduleSql.Settings(alter.Schedule));
        return true;
    }

    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation is AlterPolicyScheduleOperation alter
            && TableOperationCall.Write(builder, code, "AlterPolicySchedule", alter, ("policy", code.Literal(alter.Policy, fullName: true)))
            && JobScheduleCode.AppendWithSchedule(builder, code, alter.Schedule);
}

/// <summary>A job's schedule from the catalog's typed job settings (read by the Hourglass library).</summary>
internal static class JobScheduleCatalog
{
    /// <summary>The schedule of <paramref name="job"/>, months included, with the kind's defaults left out.</summary>
    public static JobSchedule Read(Hourglass.JobSettings job, JobDefaults defaults)
        => new JobSchedule
        {
            ScheduleInterval = TimescaleInterval.FromCatalog(job.ScheduleInterval),
            InitialStart = job.InitialStart,
            Timezone = job.Timezone,
            MaxRuntime = TimescaleInterval.FromCatalog(job.MaxRuntime),
            MaxRetries = job.MaxRetries,
            RetryPeriod = TimescaleInterval.FromCatalog(job.RetryPeriod),
            FixedSchedule = job.FixedSchedule,
            Scheduled = job.Scheduled,
        }.WithoutDefaults(defaults);
}
