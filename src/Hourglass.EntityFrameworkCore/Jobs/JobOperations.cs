using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>A TimescaleDB job (user-defined action) operation, identified by its procedure.</summary>
public abstract class JobOperation : TimescaleMigrationOperation
{
    /// <summary>The procedure, as <c>name</c> (found through the search path) or <c>schema.name</c>.</summary>
    public string Procedure { get; set; } = "";

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;
}

/// <summary>Schedules a procedure: <c>add_job(procedure, schedule_interval, ...)</c>, then <c>alter_job</c> for the retry settings.</summary>
public class AddJobOperation : JobOperation, IScheduledOperation
{
    JobSchedule IScheduledOperation.Schedule { get; set; } = JobSchedule.Empty;

    internal JobSchedule Schedule
    {
        get => ((IScheduledOperation)this).Schedule;
        set => ((IScheduledOperation)this).Schedule = value;
    }

    /// <summary>Interval text, e.g. "1 hour" or "1 month".</summary>
    public string ScheduleInterval
    {
        get => Text(Schedule.ScheduleInterval) ?? "";
        set => Schedule = Schedule with { ScheduleInterval = string.IsNullOrEmpty(value) ? null : JobScheduleCode.Interval(value) };
    }

    /// <summary>The JSON object passed as <c>config</c>; null for none.</summary>
    public string? Config { get; set; }

    /// <summary>Interval text after which a run is stopped; null for no limit.</summary>
    public string? MaxRuntime
    {
        get => Text(Schedule.MaxRuntime);
        set => Schedule = Schedule with { MaxRuntime = JobScheduleCode.Interval(value) };
    }

    /// <summary>Retries of a failed run; -1 retries forever; null for TimescaleDB's default (-1).</summary>
    public int? MaxRetries
    {
        get => Schedule.MaxRetries;
        set => Schedule = Schedule with { MaxRetries = value };
    }

    /// <summary>Interval text to wait before a retry; null for TimescaleDB's default (5 minutes).</summary>
    public string? RetryPeriod
    {
        get => Text(Schedule.RetryPeriod);
        set => Schedule = Schedule with { RetryPeriod = JobScheduleCode.Interval(value) };
    }

    /// <summary>The first run; null to start now.</summary>
    public DateTimeOffset? InitialStart
    {
        get => Schedule.InitialStart;
        set => Schedule = Schedule with { InitialStart = value };
    }

    /// <summary>Whether runs follow a fixed grid from the initial start (TimescaleDB's default) or start an interval after the previous run ended.</summary>
    public bool FixedSchedule
    {
        get => Schedule.FixedSchedule ?? true;
        set => Schedule = Schedule with { FixedSchedule = value ? null : false };
    }

    /// <summary>The time zone a fixed schedule follows; null for UTC.</summary>
    public string? Timezone
    {
        get => Schedule.Timezone;
        set => Schedule = Schedule with { Timezone = value };
    }

    /// <summary>Whether the scheduler runs the job; false creates it paused.</summary>
    public bool Scheduled
    {
        get => Schedule.Scheduled ?? true;
        set => Schedule = Schedule with { Scheduled = value ? null : false };
    }

    /// <inheritdoc />
    public override string Describe() => $"job {Procedure} (every {ScheduleInterval})";

    private static string? Text(TimescaleInterval? interval) => interval is { } value ? JobScheduleCode.Text(value) : null;
}

/// <summary>Changes every setting of a procedure's job in place with <c>alter_job</c>, keeping its id and run history.</summary>
public sealed class AlterJobOperation : AddJobOperation
{
    /// <inheritdoc />
    public override string Describe() => $"change of job {Procedure}";
}

/// <summary>Removes a procedure's job: <c>delete_job(job_id)</c>. The procedure itself stays.</summary>
public sealed class DeleteJobOperation : JobOperation
{
    /// <inheritdoc />
    public override string Describe() => $"removal of job {Procedure}";
}
