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
        TimescalePolicy.Retention => new(TimeSpan.FromDays(1), TimeSpan.FromMinutes(5), -1, TimeSpan.FromMinutes(5), null),
        // The interval defaults to half the chunk interval.
        TimescalePolicy.Columnstore => new(null, TimeSpan.Zero, -1, TimeSpan.FromHours(1), null),
        TimescalePolicy.Reorder => new(null, TimeSpan.Zero, -1, TimeSpan.FromMinutes(5), null, CreateTakesScheduleInterval: false),
        _ => new(null, TimeSpan.Zero, -1, null, null, RetryPeriodIsScheduleInterval: true),
    };

    /// <summary>
    /// The schedule interval TimescaleDB gives a hypertable policy, as SQL over the hypertable's first dimension
    /// <c>d</c> of <c>timescaledb_information.dimensions</c>.
    /// </summary>
    public static string DefaultIntervalSql(TimescalePolicy policy) => policy switch
    {
        TimescalePolicy.Columnstore => "LEAST(d.time_interval / 2, INTERVAL '12 hours')",
        TimescalePolicy.Reorder => "d.time_interval / 2",
        _ => "INTERVAL '1 day'",
    };

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

/// <summary>Reads a job's schedule from <c>timescaledb_information.jobs</c> (as <c>j</c>) and the job table (as <c>b</c>, for the time zone).</summary>
internal static class JobScheduleCatalog
{
    /// <summary>The columns <see cref="Read"/> takes, in order.</summary>
    public const string Columns = "j.schedule_interval, j.initial_start, b.timezone, j.max_runtime, j.max_retries, j.retry_period, j.fixed_schedule, j.scheduled";

    /// <summary>The join that gives <c>b.timezone</c>.</summary>
    public const string Join = "JOIN _timescaledb_config.bgw_job b ON b.id = j.job_id";

    /// <summary>The schedule in <paramref name="row"/> from <paramref name="offset"/>, with the kind's defaults left out.</summary>
    public static JobSchedule Read(object?[] row, int offset, JobDefaults defaults)
        => new JobSchedule
        {
            ScheduleInterval = row[offset] as TimeSpan?,
            InitialStart = row[offset + 1] switch
            {
                DateTime start => new DateTimeOffset(DateTime.SpecifyKind(start, DateTimeKind.Utc)),
                DateTimeOffset start => start,
                _ => null,
            },
            Timezone = row[offset + 2] as string,
            MaxRuntime = row[offset + 3] as TimeSpan?,
            MaxRetries = row[offset + 4] as int?,
            RetryPeriod = row[offset + 5] as TimeSpan?,
            FixedSchedule = row[offset + 6] as bool?,
            Scheduled = row[offset + 7] as bool?,
        }.WithoutDefaults(defaults);
}
