using Hourglass.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Scheduling;

/// <summary>
/// Sets when and how a TimescaleDB job runs. Every policy (<c>WithColumnstorePolicy</c>, <c>WithRetentionPolicy</c>,
/// <c>WithReorderPolicy</c>, <c>WithRefreshPolicy</c>) and every job (<c>HasJob</c>) takes the same options, e.g.
/// <c>s =&gt; s.Every(TimeSpan.FromHours(6)).MaxRetries(3).Fixed()</c>. What is not set stays TimescaleDB's default for
/// that kind of job. Migrations write the options with the creating call and <c>alter_job</c>, and change them later
/// in place with <c>alter_job</c>, keeping the job's id and run history.
/// </summary>
public sealed class JobScheduleBuilder
{
    private readonly string _owner;

    internal JobScheduleBuilder(string owner, JobSchedule schedule)
    {
        _owner = owner;
        Schedule = schedule;
    }

    internal JobSchedule Schedule { get; private set; }

    /// <summary>Runs the job every <paramref name="interval"/> (<c>schedule_interval</c>).</summary>
    /// <param name="interval">A positive time span, whole microseconds.</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder Every(TimeSpan interval) => Set(Schedule with { ScheduleInterval = Positive(interval, "schedule interval", "Every(TimeSpan.FromHours(1))") });

    /// <summary>
    /// Runs the job every <paramref name="interval"/>, given as interval text (<c>schedule_interval</c>): the way to
    /// schedule by calendar months, e.g. <c>Every("1 month")</c> or <c>Every("1 year")</c>, which no time span can hold.
    /// A fixed schedule takes whole months or days and time, not both (TimescaleDB refuses "1 month 1 day" there).
    /// </summary>
    /// <param name="interval">Positive interval text such as "1 month", "3 months" or "6 hours".</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder Every(string interval) => Set(Schedule with { ScheduleInterval = Positive(interval, "schedule interval", "Every(\"1 month\")") });

    /// <summary>Runs the job for the first time at <paramref name="initialStart"/> (<c>initial_start</c>); a fixed schedule counts from it.</summary>
    /// <param name="initialStart">The first run.</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder StartingAt(DateTimeOffset initialStart) => Set(Schedule with { InitialStart = initialStart.ToUniversalTime() });

    /// <summary>
    /// Aligns a fixed schedule with this time zone's calendar, so a daily run stays at the same local hour across
    /// daylight saving changes (<c>timezone</c>).
    /// </summary>
    /// <param name="timezone">An IANA time zone name, e.g. <c>Europe/Berlin</c>.</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder InTimezone(string timezone)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(timezone);
        return Set(Schedule with { Timezone = timezone });
    }

    /// <summary>Stops a run that takes longer than <paramref name="maxRuntime"/> (<c>max_runtime</c>).</summary>
    /// <param name="maxRuntime">A positive time span.</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder MaxRuntime(TimeSpan maxRuntime) => Set(Schedule with { MaxRuntime = Positive(maxRuntime, "max runtime", "MaxRuntime(TimeSpan.FromMinutes(10))") });

    /// <summary>Stops a run that takes longer than <paramref name="maxRuntime"/>, given as interval text (<c>max_runtime</c>).</summary>
    /// <param name="maxRuntime">Positive interval text such as "10 minutes" or "1 month".</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder MaxRuntime(string maxRuntime) => Set(Schedule with { MaxRuntime = Positive(maxRuntime, "max runtime", "MaxRuntime(\"10 minutes\")") });

    /// <summary>Retries a failed run this many times (<c>max_retries</c>); -1 retries forever.</summary>
    /// <param name="maxRetries">-1 or more.</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder MaxRetries(int maxRetries)
        => maxRetries < -1
            ? throw Error($"max retries {maxRetries} is below -1", "use -1 (retry forever), 0 (never retry) or a positive count")
            : Set(Schedule with { MaxRetries = maxRetries });

    /// <summary>Waits <paramref name="retryPeriod"/> before retrying a failed run (<c>retry_period</c>).</summary>
    /// <param name="retryPeriod">A positive time span.</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder RetryPeriod(TimeSpan retryPeriod) => Set(Schedule with { RetryPeriod = Positive(retryPeriod, "retry period", "RetryPeriod(TimeSpan.FromMinutes(5))") });

    /// <summary>Waits <paramref name="retryPeriod"/>, given as interval text, before retrying a failed run (<c>retry_period</c>).</summary>
    /// <param name="retryPeriod">Positive interval text such as "5 minutes" or "1 day".</param>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder RetryPeriod(string retryPeriod) => Set(Schedule with { RetryPeriod = Positive(retryPeriod, "retry period", "RetryPeriod(\"5 minutes\")") });

    /// <summary>
    /// Runs on a fixed grid: initial start + n × interval, whatever the previous run took (<c>fixed_schedule =&gt; true</c>).
    /// Jobs are fixed by default; policies are fixed when they have a start (<see cref="StartingAt"/>).
    /// </summary>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder Fixed() => Set(Schedule with { FixedSchedule = true });

    /// <summary>Starts each run an interval after the previous one ended (<c>fixed_schedule =&gt; false</c>).</summary>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder Drifting() => Set(Schedule with { FixedSchedule = false });

    /// <summary>Leaves the job to <c>run_job</c>: the scheduler does not run it (<c>scheduled =&gt; false</c>).</summary>
    /// <returns>This builder.</returns>
    public JobScheduleBuilder Paused() => Set(Schedule with { Scheduled = false });

    /// <summary>
    /// Runs <paramref name="configure"/> on a builder for <paramref name="owner"/> and checks the result; with the job
    /// kind's <paramref name="defaults"/> also what only the complete schedule shows (<see cref="JobSchedule.FixedScheduleProblem"/>).
    /// </summary>
    internal static JobSchedule Build(string owner, JobSchedule current, Action<JobScheduleBuilder>? configure, JobDefaults? defaults = null)
    {
        var builder = new JobScheduleBuilder(owner, current);
        configure?.Invoke(builder);
        builder.Check(defaults);
        return builder.Schedule;
    }

    /// <summary>The error for a complete schedule that TimescaleDB would refuse, naming <paramref name="owner"/>.</summary>
    internal static void Check(string owner, JobSchedule schedule, JobDefaults defaults) => new JobScheduleBuilder(owner, schedule).Check(defaults);

    private void Check(JobDefaults? defaults)
    {
        if (Schedule.Timezone is not null && Schedule.FixedSchedule is false)
        {
            throw Error("a time zone only applies to a fixed schedule, and the schedule drifts", "remove Drifting() or InTimezone(...)");
        }

        if (defaults is not null && Schedule.FixedScheduleProblem(defaults) is { } problem)
        {
            throw Error(problem, $"schedule by whole months (Every(\"1 month\")) or by days and time only (Every(\"31 days\")), or let the schedule drift (Drifting())");
        }
    }

    private TimescaleInterval Positive(TimeSpan value, string what, string example)
        => TimescaleInterval.FromTimeSpan(value, out _) is { IsPositive: true } interval
            ? interval
            : throw Error($"the {what} {value} is not a positive whole number of microseconds", $"pass a positive time span, e.g. {example}");

    private TimescaleInterval Positive(string text, string what, string example)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (interval, problem) = IntervalUse.JobSetting(what, "").Check(text);
        return problem is null ? interval : throw Error(problem, $"pass positive interval text, e.g. {example}");
    }

    private InvalidOperationException Error(string problem, string fix) => new($"{_owner}: {problem}. Fix: {fix}.");

    private JobScheduleBuilder Set(JobSchedule schedule)
    {
        Schedule = schedule;
        return this;
    }
}
