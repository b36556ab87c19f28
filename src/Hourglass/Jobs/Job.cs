using System.Globalization;

namespace Hourglass;

/// <summary>A TimescaleDB job: a policy or a user-defined action, with its schedule, configuration and run statistics.</summary>
/// <param name="Id">job_id.</param>
/// <param name="Name">application_name, e.g. "Columnstore Policy [1000]".</param>
/// <param name="Kind">What the job does, from its procedure.</param>
/// <param name="ProcedureSchema">The procedure's schema.</param>
/// <param name="ProcedureName">The procedure, e.g. policy_retention or a user's own.</param>
/// <param name="RelationSchema">The schema of the hypertable or continuous aggregate the job works on (the aggregate, not its internal hypertable).</param>
/// <param name="RelationName">The name of that hypertable or continuous aggregate; null for jobs on no table.</param>
/// <param name="ScheduleInterval">How often it runs; null when the interval has months (see <paramref name="ScheduleIntervalText"/>).</param>
/// <param name="ScheduleIntervalText">The interval as the server prints it, e.g. "1 day" or "1 mon".</param>
/// <param name="Scheduled">false when paused: the scheduler does not start it.</param>
/// <param name="FixedSchedule">Whether runs start at fixed times rather than an interval after the last finish.</param>
/// <param name="Config">The job's configuration, JSON text.</param>
/// <param name="MaxRuntime">How long a run may take.</param>
/// <param name="MaxRetries">How often a failed run is retried (-1: forever).</param>
/// <param name="RetryPeriod">The wait before a retry.</param>
/// <param name="NextStart">When the scheduler starts it next; null when paused or unknown.</param>
/// <param name="LastRunStartedAt">When its last run started; null if it never ran.</param>
/// <param name="LastSuccessfulFinish">When a run last succeeded.</param>
/// <param name="LastRunStatus">"Success" or "Failed"; null if it never ran.</param>
/// <param name="JobStatus">"Scheduled", "Running" or "Paused" (job_stats).</param>
/// <param name="LastRunDuration">How long the last run took.</param>
/// <param name="TotalRuns">Runs counted by the scheduler.</param>
/// <param name="TotalSuccesses">Successful runs.</param>
/// <param name="TotalFailures">Failed runs.</param>
public sealed record Job(
    int Id,
    string Name,
    JobKind Kind,
    string ProcedureSchema,
    string ProcedureName,
    string? RelationSchema,
    string? RelationName,
    TimeSpan? ScheduleInterval,
    string? ScheduleIntervalText,
    bool Scheduled,
    bool FixedSchedule,
    string? Config,
    TimeSpan? MaxRuntime,
    int MaxRetries,
    TimeSpan? RetryPeriod,
    DateTimeOffset? NextStart,
    DateTimeOffset? LastRunStartedAt,
    DateTimeOffset? LastSuccessfulFinish,
    string? LastRunStatus,
    string? JobStatus,
    TimeSpan? LastRunDuration,
    long TotalRuns,
    long TotalSuccesses,
    long TotalFailures)
{
    /// <summary>"schema.procedure".</summary>
    public string Procedure => $"{ProcedureSchema}.{ProcedureName}";

    /// <summary>"schema.name" of the relation, or null.</summary>
    public string? Relation => RelationName is null ? null : $"{RelationSchema}.{RelationName}";

    /// <summary>Whether its last run failed.</summary>
    public bool IsFailing => LastRunStatus == "Failed";

    /// <summary>Whether it never ran (and is not simply paused).</summary>
    public bool NeverRan => LastRunStartedAt is null && TotalRuns == 0;
}

/// <summary>What a job does.</summary>
public enum JobKind
{
    /// <summary>A user-defined action (add_job).</summary>
    Custom,

    /// <summary>The columnstore (compression) policy of a hypertable or aggregate.</summary>
    Columnstore,

    /// <summary>The retention policy: drops old chunks.</summary>
    Retention,

    /// <summary>The reorder policy: rewrites chunks in index order.</summary>
    Reorder,

    /// <summary>A continuous aggregate's refresh policy.</summary>
    ContinuousAggregateRefresh,

    /// <summary>TimescaleDB's telemetry job (unscheduled when telemetry is off).</summary>
    Telemetry,

    /// <summary>TimescaleDB's own cleanup of job history.</summary>
    JobHistoryRetention,

    /// <summary>Another job of TimescaleDB's own.</summary>
    Internal,
}

/// <summary>
/// Names a job: by id (<c>1000</c> converts implicitly), by name or procedure (<see cref="Named"/>), or as the policy of
/// a hypertable or aggregate (<see cref="Policy"/>: "the retention policy of metrics").
/// </summary>
public readonly record struct JobSelector
{
    private JobSelector(int? id, string? name, string? relation, JobKind kind)
    {
        JobId = id;
        JobName = name;
        RelationText = relation;
        Kind = kind;
    }

    internal int? JobId { get; }

    internal string? JobName { get; }

    internal string? RelationText { get; }

    internal JobKind Kind { get; }

    /// <summary>The job with this id.</summary>
    /// <param name="id">job_id.</param>
    /// <returns>The selector.</returns>
    public static JobSelector Id(int id) => new(id, null, null, JobKind.Custom);

    /// <summary>
    /// The one job whose application_name, procedure name or "schema.procedure" is <paramref name="name"/>. A bare procedure
    /// name that jobs in several schemas run is looked up along the connection's search_path, as PostgreSQL resolves functions.
    /// </summary>
    /// <param name="name">A job name or procedure.</param>
    /// <returns>The selector.</returns>
    public static JobSelector Named(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new(null, name, null, JobKind.Custom);
    }

    /// <summary>The <paramref name="kind"/> policy of a hypertable or continuous aggregate.</summary>
    /// <param name="relation">"schema.name" or "name".</param>
    /// <param name="kind">Which policy.</param>
    /// <returns>The selector.</returns>
    public static JobSelector Policy(string relation, JobKind kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relation);
        return new(null, null, relation, kind);
    }

    /// <summary>The job with this id.</summary>
    /// <param name="id">job_id.</param>
    public static implicit operator JobSelector(int id) => Id(id);

    /// <summary>The same as <see cref="Id"/>.</summary>
    /// <param name="id">job_id.</param>
    /// <returns>The selector.</returns>
    public static JobSelector FromInt32(int id) => Id(id);

    /// <inheritdoc />
    public override string ToString() =>
        JobId is { } id ? $"job {id.ToString(CultureInfo.InvariantCulture)}"
        : JobName is not null ? $"job '{JobName}'"
        : $"the {Kind} policy of '{RelationText}'";
}

/// <summary>
/// What <see cref="TimescaleClient.AlterJobAsync"/> changes; null members stay as they are. Intervals are
/// <see cref="TimescaleInterval"/>s, so a schedule may be months ("1 month" runs on the same day each month on a fixed
/// schedule); a <see cref="TimeSpan"/> converts implicitly.
/// </summary>
public sealed record JobChanges
{
    /// <summary>New schedule interval.</summary>
    public TimescaleInterval? ScheduleInterval { get; init; }

    /// <summary>New maximum run time; "0 seconds" for no limit.</summary>
    public TimescaleInterval? MaxRuntime { get; init; }

    /// <summary>New number of retries (-1: forever).</summary>
    public int? MaxRetries { get; init; }

    /// <summary>New wait before a retry.</summary>
    public TimescaleInterval? RetryPeriod { get; init; }

    /// <summary>false pauses the job, true resumes it.</summary>
    public bool? Scheduled { get; init; }

    /// <summary>True: runs start at initial start + n × interval; false: an interval after the previous run ended.</summary>
    public bool? FixedSchedule { get; init; }

    /// <summary>The start a fixed schedule counts its runs from.</summary>
    public DateTimeOffset? InitialStart { get; init; }

    /// <summary>The IANA time zone a fixed schedule follows (e.g. "Europe/Berlin"), so a daily 03:00 run stays at 03:00 across daylight saving.</summary>
    public string? Timezone { get; init; }

    /// <summary>New configuration, JSON text.</summary>
    public string? Config { get; init; }

    /// <summary>When the scheduler starts it next.</summary>
    public DateTimeOffset? NextStart { get; init; }

    /// <summary>The changes that set every setting <paramref name="schedule"/> sets.</summary>
    /// <param name="schedule">The schedule settings to apply.</param>
    /// <returns>The changes.</returns>
    public static JobChanges FromSchedule(JobSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return new()
        {
            ScheduleInterval = schedule.ScheduleInterval,
            MaxRuntime = schedule.MaxRuntime,
            MaxRetries = schedule.MaxRetries,
            RetryPeriod = schedule.RetryPeriod,
            Scheduled = schedule.Scheduled,
            FixedSchedule = schedule.FixedSchedule,
            InitialStart = schedule.InitialStart,
            Timezone = schedule.Timezone,
        };
    }

    /// <summary>The schedule settings these changes set (without <see cref="Config"/> and <see cref="NextStart"/>).</summary>
    public JobSchedule Schedule => new()
    {
        ScheduleInterval = ScheduleInterval,
        MaxRuntime = MaxRuntime,
        MaxRetries = MaxRetries,
        RetryPeriod = RetryPeriod,
        Scheduled = Scheduled,
        FixedSchedule = FixedSchedule,
        InitialStart = InitialStart,
        Timezone = Timezone,
    };
}

/// <summary>One failed run of a job (timescaledb_information.job_errors, TimescaleDB 2.15+).</summary>
/// <param name="JobId">The job.</param>
/// <param name="ProcedureSchema">Its procedure's schema.</param>
/// <param name="ProcedureName">Its procedure.</param>
/// <param name="Pid">The process that ran it.</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="FinishedAt">When it failed.</param>
/// <param name="SqlState">The SQLSTATE of the error.</param>
/// <param name="Message">The error message.</param>
public sealed record JobError(int JobId, string? ProcedureSchema, string? ProcedureName, int? Pid, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? SqlState, string? Message);
