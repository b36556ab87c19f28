using System.Globalization;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Hourglass.EntityFrameworkCore.Scheduling;

/// <summary>
/// Writes a <see cref="JobSchedule"/> as SQL: the arguments every creating function takes (<c>schedule_interval</c>,
/// <c>initial_start</c>, <c>timezone</c>), then one <c>alter_job</c> for the rest, and <c>alter_job</c> alone to change a
/// job in place (its id and run history stay).
/// </summary>
internal static class JobScheduleSql
{
    /// <summary>The named arguments of <c>add_*_policy</c> and <c>add_job</c> for the settings they take.</summary>
    public static IEnumerable<string> CreateArguments(JobSchedule schedule, JobDefaults defaults)
    {
        if (schedule.ScheduleInterval is { } interval && defaults.CreateTakesScheduleInterval)
        {
            yield return $"schedule_interval => {Interval(interval)}";
        }

        if (schedule.InitialStart is { } start)
        {
            yield return $"initial_start => {Timestamp(start)}";
        }

        if (schedule.Timezone is { } timezone)
        {
            yield return $"timezone => {TimescaleSqlContext.Literal(timezone)}";
        }
    }

    /// <summary>The <c>alter_job</c> arguments for the settings the creating function does not take.</summary>
    public static List<string> SettingsAfterCreate(JobSchedule schedule, JobDefaults defaults)
        => Settings(KeepingStart(
            KeepingTimezone(
                schedule with
                {
                    ScheduleInterval = defaults.CreateTakesScheduleInterval ? null : schedule.ScheduleInterval,
                    InitialStart = null,
                    Timezone = null,
                },
                schedule.Timezone),
            schedule.InitialStart));

    /// <summary>See <see cref="JobSchedule.KeepingStart"/>.</summary>
    public static JobSchedule KeepingStart(JobSchedule settings, DateTimeOffset? start) => settings.KeepingStart(start);

    /// <summary>See <see cref="JobSchedule.KeepingTimezone"/>.</summary>
    public static JobSchedule KeepingTimezone(JobSchedule settings, string? timezone) => settings.KeepingTimezone(timezone);

    /// <summary>The <c>alter_job</c> arguments for every setting that is set; alter_job leaves a NULL argument unchanged.</summary>
    public static List<string> Settings(JobSchedule schedule)
    {
        var settings = new List<string>();
        if (schedule.ScheduleInterval is { } interval)
        {
            settings.Add($"schedule_interval => {Interval(interval)}");
        }

        if (schedule.MaxRuntime is { } runtime)
        {
            settings.Add($"max_runtime => {Interval(runtime)}");
        }

        if (schedule.MaxRetries is { } retries)
        {
            settings.Add($"max_retries => {retries.ToString(CultureInfo.InvariantCulture)}");
        }

        if (schedule.RetryPeriod is { } period)
        {
            settings.Add($"retry_period => {Interval(period)}");
        }

        if (schedule.Scheduled is { } scheduled)
        {
            settings.Add($"scheduled => {(scheduled ? "TRUE" : "FALSE")}");
        }

        if (schedule.FixedSchedule is { } isFixed)
        {
            settings.Add($"fixed_schedule => {(isFixed ? "TRUE" : "FALSE")}");
        }

        if (schedule.InitialStart is { } start)
        {
            settings.Add($"initial_start => {Timestamp(start)}");
        }

        if (schedule.Timezone is { } timezone)
        {
            settings.Add($"timezone => {TimescaleSqlContext.Literal(timezone)}");
        }

        return settings;
    }

    /// <summary>Writes <c>SELECT alter_job(job_id, settings) FROM jobs</c> when there are settings.</summary>
    public static void AppendAlter(TimescaleSqlContext context, MigrationCommandListBuilder builder, string jobs, IReadOnlyList<string> settings)
    {
        if (settings.Count > 0)
        {
            context.AppendCall(builder, $"alter_job(job_id, {string.Join(", ", settings)}) FROM {jobs}");
        }
    }

    /// <summary><c>INTERVAL '6 hours'</c>, <c>INTERVAL '1 month'</c>; <c>INTERVAL '0 seconds'</c> for no run limit.</summary>
    public static string Interval(TimescaleInterval interval) => interval.ToSql();

    /// <summary>A timestamptz literal in UTC, to the microsecond.</summary>
    public static string Timestamp(DateTimeOffset value)
        => TimescaleSqlContext.Literal(value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", CultureInfo.InvariantCulture)) + "::timestamptz";
}

/// <summary>How a job's schedule gets from one model to the next.</summary>
internal static class JobScheduleComparison
{
    /// <summary>
    /// The <c>alter_job</c> settings that turn <paramref name="existing"/> into <paramref name="wanted"/> in place; empty
    /// when they are equal; null when only recreating the job can do it (a start or time zone to clear, or a default the
    /// server derives).
    /// </summary>
    public static JobSchedule? InPlace(JobSchedule existing, JobSchedule wanted, JobDefaults defaults)
    {
        if (existing == wanted)
        {
            return JobSchedule.Empty;
        }

        if ((existing.InitialStart is not null && wanted.InitialStart is null) || (existing.Timezone is not null && wanted.Timezone is null))
        {
            return null;
        }

        var reset = defaults.ResetValues(wanted);
        var oldFixed = existing.FixedSchedule ?? defaults.FixedSchedule ?? (existing.InitialStart is not null);
        var newFixed = wanted.FixedSchedule ?? defaults.FixedSchedule ?? (wanted.InitialStart is not null);
        var settings = new JobSchedule
        {
            ScheduleInterval = Changed(existing.ScheduleInterval, wanted.ScheduleInterval, reset.ScheduleInterval, out var intervalLost),
            MaxRuntime = Changed(existing.MaxRuntime, wanted.MaxRuntime, reset.MaxRuntime, out var runtimeLost),
            MaxRetries = Changed(existing.MaxRetries, wanted.MaxRetries, reset.MaxRetries, out var retriesLost),
            RetryPeriod = Changed(existing.RetryPeriod, wanted.RetryPeriod, reset.RetryPeriod, out var periodLost),
            Scheduled = Changed(existing.Scheduled, wanted.Scheduled, reset.Scheduled, out _),
            InitialStart = wanted.InitialStart == existing.InitialStart ? null : wanted.InitialStart,
            Timezone = wanted.Timezone == existing.Timezone ? null : wanted.Timezone,
            FixedSchedule = oldFixed == newFixed ? null : newFixed,
        };
        return intervalLost || runtimeLost || retriesLost || periodLost
            ? null
            : JobScheduleSql.KeepingStart(JobScheduleSql.KeepingTimezone(settings, wanted.Timezone), wanted.InitialStart);
    }

    private static T? Changed<T>(T? existing, T? wanted, T? reset, out bool lost)
        where T : struct
    {
        lost = false;
        if (Nullable.Equals(existing, wanted))
        {
            return null;
        }

        if (wanted is not null)
        {
            return wanted;
        }

        lost = reset is null;
        return reset;
    }
}
