using System.ComponentModel;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Scheduling;

/// <summary>
/// TimescaleDB's policies, as migration files written before <see cref="JobKind"/> became the one job kind name them
/// (<c>AlterPolicySchedule(policy: TimescalePolicy.Retention, ...)</c>, <c>[PolicySchedule(TimescalePolicy.Retention)]</c>).
/// New code uses <see cref="JobKind"/>; each value here is the <see cref="JobKind"/> of the same name.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum TimescalePolicy
{
    /// <summary><see cref="JobKind.Columnstore"/>.</summary>
    Columnstore,

    /// <summary><see cref="JobKind.Retention"/>.</summary>
    Retention,

    /// <summary><see cref="JobKind.Reorder"/>.</summary>
    Reorder,

    /// <summary><see cref="JobKind.ContinuousAggregateRefresh"/>.</summary>
    ContinuousAggregateRefresh,
}

/// <summary>Changes a policy's job schedule in place: <c>alter_job(job_id, ...)</c>; the job keeps its id and history.</summary>
public sealed class AlterPolicyScheduleOperation : TimescaleMigrationOperation, IScheduledOperation
{
    /// <summary>Which policy of the table (or view): <see cref="JobKind.Columnstore"/>, <see cref="JobKind.Retention"/>, <see cref="JobKind.Reorder"/> or <see cref="JobKind.ContinuousAggregateRefresh"/>.</summary>
    public JobKind Policy { get; set; }

    JobSchedule IScheduledOperation.Schedule { get; set; } = JobSchedule.Empty;

    internal JobSchedule Schedule => ((IScheduledOperation)this).Schedule;

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"schedule change of the {Policy} policy of {DisplayTable}";
}

/// <summary>The policies' jobs in migration SQL; their procedures and defaults are <see cref="JobKinds"/>'.</summary>
internal static class PolicyJobs
{
    /// <summary>The <see cref="JobKind"/> an older migration file's <see cref="TimescalePolicy"/> names.</summary>
    public static JobKind Kind(TimescalePolicy policy) => policy switch
    {
        TimescalePolicy.Columnstore => JobKind.Columnstore,
        TimescalePolicy.Retention => JobKind.Retention,
        TimescalePolicy.Reorder => JobKind.Reorder,
        _ => JobKind.ContinuousAggregateRefresh,
    };

    /// <summary>
    /// An <c>alter_job</c> call (without SELECT) that replaces the config of the policy's job with <paramref name="configChange"/>,
    /// an expression over the current config, which it names <c>config</c> (e.g. <c>config - 'key'</c>).
    /// </summary>
    public static string AlterConfig(JobKind policy, string regclass, string configChange)
        => $"alter_job(i.job_id, config => {configChange.Replace("config", "i.config", StringComparison.Ordinal)}) FROM timescaledb_information.jobs i WHERE i.job_id IN (SELECT job_id FROM {JobsOf(policy, regclass)})";

    /// <summary>The policy's job as a FROM clause with a job_id column.</summary>
    public static string JobsOf(JobKind policy, string regclass)
        => policy == JobKind.ContinuousAggregateRefresh
            ? $"""
               (SELECT j.job_id FROM timescaledb_information.jobs j
                 JOIN _timescaledb_catalog.continuous_agg c ON c.mat_hypertable_id = (j.config ->> 'mat_hypertable_id')::int
                WHERE j.proc_name = '{policy.ProcedureName()}' AND format('%I.%I', c.user_view_schema, c.user_view_name)::regclass = {regclass}::regclass) AS job
               """
            : $"(SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = '{policy.ProcedureName()}' AND format('%I.%I', hypertable_schema, hypertable_name)::regclass = {regclass}::regclass) AS job";
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
    public static JobSchedule Read(JobSettings job, JobDefaults defaults)
        => job.Schedule.WithoutDefaults(defaults);
}
