using System.Reflection;
using Hourglass.EntityFrameworkCore.Hypertables;
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
            ("scheduleInterval", schedule.ScheduleInterval is { } interval ? code.Literal(JobScheduleSql.IntervalText(interval)) : null),
            ("initialStart", schedule.InitialStart is { } start ? code.Literal(start) : null),
            ("timezone", schedule.Timezone is { } timezone ? code.Literal(timezone) : null),
            ("maxRuntime", schedule.MaxRuntime is { } runtime ? code.Literal(JobScheduleSql.IntervalText(runtime)) : null),
            ("maxRetries", schedule.MaxRetries is { } retries ? code.Literal(retries) : null),
            ("retryPeriod", schedule.RetryPeriod is { } period ? code.Literal(JobScheduleSql.IntervalText(period)) : null),
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

    /// <summary>Interval text of a migration file ("6 hours", "0 seconds") as a time span.</summary>
    public static TimeSpan? Interval(string? text)
        => text is null ? null
            : JobScheduleSql.IsZero(text) ? TimeSpan.Zero
            : ChunkInterval.Normalize(text, out var error) is { } canonical ? ChunkInterval.ToTimeSpan(canonical)
            : throw new ArgumentException($"The job interval \"{text}\" cannot be read: {error}.", nameof(text));

    /// <summary>The scaffolded lambda <c>s =&gt; s.Every(...).MaxRetries(...)</c>, or null for an empty schedule.</summary>
    public static NestedClosureCodeFragment? Closure(JobSchedule schedule)
    {
        var type = typeof(JobScheduleBuilder);
        MethodCallCodeFragment? chain = null;
        void Add(string method, params object?[] arguments)
        {
            var info = type.GetMethod(method, BindingFlags.Public | BindingFlags.Instance)!;
            chain = chain is null ? new MethodCallCodeFragment(info, arguments) : chain.Chain(new MethodCallCodeFragment(info, arguments));
        }

        if (schedule.ScheduleInterval is { } interval)
        {
            Add(nameof(JobScheduleBuilder.Every), interval);
        }

        if (schedule.InitialStart is { } start)
        {
            Add(nameof(JobScheduleBuilder.StartingAt), start);
        }

        if (schedule.Timezone is { } timezone)
        {
            Add(nameof(JobScheduleBuilder.InTimezone), timezone);
        }

        if (schedule.MaxRuntime is { } runtime)
        {
            Add(nameof(JobScheduleBuilder.MaxRuntime), runtime);
        }

        if (schedule.MaxRetries is { } retries)
        {
            Add(nameof(JobScheduleBuilder.MaxRetries), retries);
        }

        if (schedule.RetryPeriod is { } period)
        {
            Add(nameof(JobScheduleBuilder.RetryPeriod), period);
        }

        if (schedule.FixedSchedule is { } isFixed)
        {
            Add(isFixed ? nameof(JobScheduleBuilder.Fixed) : nameof(JobScheduleBuilder.Drifting));
        }

        if (schedule.Scheduled is false)
        {
            Add(nameof(JobScheduleBuilder.Paused));
        }

        return chain is null ? null : new NestedClosureCodeFragment("s", chain);
    }
}
