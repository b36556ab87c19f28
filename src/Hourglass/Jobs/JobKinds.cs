namespace Hourglass;

/// <summary>
/// What TimescaleDB knows about each <see cref="JobKind"/>: the procedure that runs it and the schedule it gets when a
/// setting is not given. The one place these live; the EF Core plugin's policies and the job calls read them here.
/// </summary>
public static class JobKinds
{
    /// <summary>The policies: the jobs TimescaleDB runs for a hypertable or continuous aggregate.</summary>
    public static IReadOnlyList<JobKind> Policies { get; } = [JobKind.Columnstore, JobKind.Retention, JobKind.Reorder, JobKind.ContinuousAggregateRefresh];

    /// <summary>Whether <paramref name="kind"/> is a policy of a hypertable or continuous aggregate.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>True for columnstore, retention, reorder and refresh policies.</returns>
    public static bool IsPolicy(this JobKind kind) => kind is JobKind.Columnstore or JobKind.Retention or JobKind.Reorder or JobKind.ContinuousAggregateRefresh;

    /// <summary>
    /// The procedure (in TimescaleDB's internal schema) that runs a policy or TimescaleDB's own job: <c>policy_retention</c>
    /// for <see cref="JobKind.Retention"/>; the columnstore policy keeps its older name, <c>policy_compression</c>, on every
    /// version.
    /// </summary>
    /// <param name="kind">A policy or TimescaleDB job kind.</param>
    /// <returns>The procedure name.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A user's job or another internal job, which has no one procedure.</exception>
    public static string ProcedureName(this JobKind kind) => kind switch
    {
        JobKind.Columnstore => "policy_compression",
        JobKind.Retention => "policy_retention",
        JobKind.Reorder => "policy_reorder",
        JobKind.ContinuousAggregateRefresh => "policy_refresh_continuous_aggregate",
        JobKind.Telemetry => "policy_telemetry",
        JobKind.JobHistoryRetention => "policy_job_stat_history_retention",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"A {kind} job has no one procedure."),
    };

    /// <summary>What a job does, from the procedure that runs it.</summary>
    /// <param name="procedureSchema">The procedure's schema.</param>
    /// <param name="procedureName">The procedure.</param>
    /// <returns>The kind; <see cref="JobKind.Custom"/> for a user's procedure.</returns>
    public static JobKind FromProcedure(string procedureSchema, string procedureName)
    {
        ArgumentNullException.ThrowIfNull(procedureSchema);
        return procedureName switch
        {
            "policy_compression" => JobKind.Columnstore,
            "policy_retention" => JobKind.Retention,
            "policy_reorder" => JobKind.Reorder,
            "policy_refresh_continuous_aggregate" => JobKind.ContinuousAggregateRefresh,
            "policy_telemetry" => JobKind.Telemetry,
            "policy_job_stat_history_retention" => JobKind.JobHistoryRetention,
            _ when procedureSchema.StartsWith("_timescaledb", StringComparison.Ordinal) => JobKind.Internal,
            _ => JobKind.Custom,
        };
    }

    /// <summary>
    /// What TimescaleDB gives a job of <paramref name="kind"/> when a setting is not given (the same from 2.13 to 2.29).
    /// A hypertable policy's schedule interval is derived from the chunk interval (<see cref="DefaultScheduleInterval"/>),
    /// so it is null here.
    /// </summary>
    /// <param name="kind">A policy, or <see cref="JobKind.Custom"/> for add_job.</param>
    /// <returns>The defaults.</returns>
    /// <exception cref="ArgumentOutOfRangeException">TimescaleDB's own jobs, which are not created through Hourglass.</exception>
    public static JobDefaults Defaults(this JobKind kind) => kind switch
    {
        JobKind.Retention => new(Length(TimeSpan.FromDays(1)), Length(TimeSpan.FromMinutes(5)), -1, Length(TimeSpan.FromMinutes(5)), null),
        // The interval defaults to half the chunk interval.
        JobKind.Columnstore => new(null, TimescaleInterval.Zero, -1, Length(TimeSpan.FromHours(1)), null),
        JobKind.Reorder => new(null, TimescaleInterval.Zero, -1, Length(TimeSpan.FromMinutes(5)), null, CreateTakesScheduleInterval: false),
        JobKind.ContinuousAggregateRefresh => new(null, TimescaleInterval.Zero, -1, null, null, RetryPeriodIsScheduleInterval: true),
        JobKind.Custom => JobDefaults.UserJob,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"TimescaleDB creates its {kind} job itself; it has no defaults to declare."),
    };

    /// <summary>
    /// The schedule interval TimescaleDB gives a hypertable policy from the hypertable's chunk interval (its first
    /// dimension's): half of it for columnstore (at most 12 hours) and reorder policies. An integer time column has no
    /// such interval, and the kinds' fixed defaults apply (TimescaleDB's compression_api.c and reorder_api.c).
    /// </summary>
    /// <param name="kind">The policy.</param>
    /// <param name="chunkInterval">The hypertable's chunk interval; null for integer time columns.</param>
    /// <returns>The interval, in whole microseconds as the server divides them.</returns>
    public static TimescaleInterval DefaultScheduleInterval(this JobKind kind, TimeSpan? chunkInterval) => Length((kind, chunkInterval) switch
    {
        (JobKind.Columnstore, { } interval) => interval / 2 < TimeSpan.FromHours(12) ? interval / 2 : TimeSpan.FromHours(12),
        (JobKind.Reorder, { } interval) => interval / 2,
        (JobKind.Reorder, null) => TimeSpan.FromDays(4),
        _ => TimeSpan.FromDays(1),
    });

    // Whole microseconds, as the server divides them (half of an odd chunk interval rounds down).
    private static TimescaleInterval Length(TimeSpan value) => TimescaleInterval.FromMicroseconds(value.Ticks / TimeSpan.TicksPerMicrosecond);
}
