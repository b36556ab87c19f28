using System.Reflection;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Scheduling;

/// <summary>An operation that carries a job schedule (policy additions, schedule changes, jobs).</summary>
internal interface IScheduledOperation
{
    JobSchedule Schedule { get; set; }
}

/// <summary>Renders a <see cref="JobSchedule"/> in C#: in migration files and in scaffolded models.</summary>
internal static class JobScheduleCode
{
    /// <summary>The named arguments of <c>WithSchedule(...)</c> and <c>AddJob(...)</c>; null values are left out.</summary>
    public static (string Name, string? Value)[] Arguments(JobSchedule schedule, ICSharpHelper code)
        =>
        [
            ("scheduleInterval", schedule.ScheduleInterval is { } interval ? code.Literal(Text(interval)) : null),
            ("initialStart", schedule.InitialStart is { } start ? code.Literal(start) : null),
            ("timezone", schedule.Timezone is { } timezone ? code.Literal(timezone) : null),
            ("maxRuntime", schedule.MaxRuntime is { } runtime ? code.Literal(Text(runtime)) : null),
            ("maxRetries", schedule.MaxRetries is { } retries ? code.Literal(retries) : null),
            ("retryPeriod", schedule.RetryPeriod is { } period ? code.Literal(Text(period)) : null),
            ("fixedSchedule", schedule.FixedSchedule is { } isFixed ? code.Literal(isFixed) : null),
            ("scheduled", schedule.Scheduled is { } scheduled ? code.Literal(scheduled) : null),
        ];

    /// <summary>Appends <c>.WithSchedule(...)</c> to an operation call already written, when the schedule sets anything.</summary>
    public static bool AppendWithSchedule(IndentedStringBuilder builder, ICSharpHelper code, JobSchedule schedule)
    {
        if (!schedule.IsEmpty)
        {
            builder.AppendLine();
            MigrationCallWriter.Write(builder, "WithSchedule", Arguments(schedule, code));
        }

        return true;
    }

    /// <summary>The schedule read back from a migration file's interval text.</summary>
    public static JobSchedule FromArguments(
        string? scheduleInterval, DateTimeOffset? initialStart, string? timezone, string? maxRuntime, int? maxRetries, string? retryPeriod, bool? fixedSchedule, bool? scheduled)
        => new()
        {
            ScheduleInterval = Interval(scheduleInterval),
            InitialStart = initialStart,
            Timezone = timezone,
            MaxRuntime = Interval(maxRuntime),
            MaxRetries = maxRetries,
            RetryPeriod = Interval(retryPeriod),
            FixedSchedule = fixedSchedule,
            Scheduled = scheduled,
        };

    /// <summary>Interval text of a migration file ("6 hours", "1 month", "0 seconds") as an interval.</summary>
    public static TimescaleInterval? Interval(string? text) => TimescaleInterval.ParseLength(text);

    /// <summary>A job setting's canonical interval text, as migration files write it.</summary>
    public static string Text(TimescaleInterval interval) => interval.ToString();

    /// <summary>The scaffolded lambda <c>s =&gt; s.Every(...).MaxRetries(...)</c>, or null for an empty schedule.</summary>
    public static NestedClosureCodeFragment? Closure(JobSchedule schedule)
    {
        (string Method, object? Argument)?[] calls =
        [
            schedule.ScheduleInterval is { } interval ? (nameof(JobScheduleBuilder.Every), CodeValue(interval)) : null,
            schedule.InitialStart is { } start ? (nameof(JobScheduleBuilder.StartingAt), start) : null,
            schedule.Timezone is { } timezone ? (nameof(JobScheduleBuilder.InTimezone), timezone) : null,
            schedule.MaxRuntime is { } runtime ? (nameof(JobScheduleBuilder.MaxRuntime), CodeValue(runtime)) : null,
            schedule.MaxRetries is { } retries ? (nameof(JobScheduleBuilder.MaxRetries), retries) : null,
            schedule.RetryPeriod is { } period ? (nameof(JobScheduleBuilder.RetryPeriod), CodeValue(period)) : null,
            schedule.FixedSchedule is { } isFixed ? (isFixed ? nameof(JobScheduleBuilder.Fixed) : nameof(JobScheduleBuilder.Drifting), null) : null,
            schedule.Scheduled is false ? (nameof(JobScheduleBuilder.Paused), null) : null,
        ];
        MethodCallCodeFragment? chain = null;
        foreach (var (method, argument) in calls.OfType<(string, object?)>())
        {
            var call = new MethodCallCodeFragment(
                typeof(JobScheduleBuilder).GetMethod(method, BindingFlags.Public | BindingFlags.Instance, argument is null ? Type.EmptyTypes : [argument.GetType()])!,
                argument is null ? [] : [argument]);
            chain = chain is null ? call : chain.Chain(call);
        }

        return chain is null ? null : new NestedClosureCodeFragment("s", chain);
    }

    /// <summary>
    /// The argument scaffolded code passes for a job setting: a <see cref="TimeSpan"/> for a fixed length, as users write
    /// it, and interval text ("1 month") for one with months, which no time span can hold.
    /// </summary>
    public static object CodeValue(TimescaleInterval interval) => interval.HasMonths ? interval.ToString() : interval.ToTimeSpan();
}
