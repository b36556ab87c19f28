using System.ComponentModel;
using System.Globalization;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Scheduling;

/// <summary>
/// The job schedule of one of the entity's hypertable policies, declared with attributes: what the <c>schedule</c>
/// argument of <c>WithColumnstorePolicy</c>, <c>WithRetentionPolicy</c> and <c>WithReorderPolicy</c> sets, e.g.
/// <c>[PolicySchedule(JobKind.Retention, Every = "1 day", MaxRetries = 3)]</c> next to <c>[RetentionPolicy("90 days")]</c>.
/// Settings left out stay TimescaleDB's defaults. A fluent policy call on the same entity replaces this attribute's schedule.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public sealed class PolicyScheduleAttribute : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Policy schedule";

    string? ITimescaleModelAttribute.Property => null;

    private int? _maxRetries;

    /// <summary>The schedule of the entity's <paramref name="policy"/>.</summary>
    /// <param name="policy"><see cref="JobKind.Columnstore"/>, <see cref="JobKind.Retention"/> or <see cref="JobKind.Reorder"/>.</param>
    public PolicyScheduleAttribute(JobKind policy) => Policy = policy;

    /// <summary>The schedule of the entity's <paramref name="policy"/>, as attributes written before <see cref="JobKind"/> named it.</summary>
    /// <param name="policy">The policy.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public PolicyScheduleAttribute(TimescalePolicy policy) => Policy = PolicyJobs.Kind(policy);

    /// <summary>The policy this schedule belongs to; the entity declares that policy too.</summary>
    public JobKind Policy { get; }

    /// <summary>How often the job runs (<c>schedule_interval</c>), as interval text such as <c>"1 day"</c>, <c>"6 hours"</c> or <c>"1 month"</c>.</summary>
    public string? Every { get; set; }

    /// <summary>The first run (<c>initial_start</c>), as an ISO 8601 time with its offset, e.g. <c>"2026-01-01T03:00:00+00:00"</c>.</summary>
    public string? StartingAt { get; set; }

    /// <summary>The IANA time zone a fixed schedule follows (<c>timezone</c>), e.g. <c>"Europe/Berlin"</c>.</summary>
    public string? Timezone { get; set; }

    /// <summary>How long a run may take before it is stopped (<c>max_runtime</c>), as interval text.</summary>
    public string? MaxRuntime { get; set; }

    /// <summary>How often a failed run is retried (<c>max_retries</c>); -1 retries forever.</summary>
    public int MaxRetries { get => _maxRetries ?? 0; set => _maxRetries = value; }

    /// <summary>How long to wait before retrying a failed run (<c>retry_period</c>), as interval text.</summary>
    public string? RetryPeriod { get; set; }

    /// <summary>Runs at initial start + n × interval (<c>fixed_schedule =&gt; true</c>).</summary>
    public bool Fixed { get; set; }

    /// <summary>Runs an interval after the previous run ended (<c>fixed_schedule =&gt; false</c>).</summary>
    public bool Drifting { get; set; }

    /// <summary>Leaves the job to <c>run_job</c> only (<c>scheduled =&gt; false</c>).</summary>
    public bool Paused { get; set; }

    /// <summary>The schedule this attribute declares, checked as the fluent builder checks it.</summary>
    internal JobSchedule ToSchedule(IReadOnlyEntityType entityType, string feature, JobDefaults defaults)
    {
        var property = $"{nameof(PolicyScheduleAttribute)}({Policy})";
        if (Fixed && Drifting)
        {
            throw TimescaleModelError.Create(feature, entityType, property, "the schedule is both Fixed and Drifting", "set one of Fixed = true or Drifting = true");
        }

        DateTimeOffset? initialStart = null;
        if (StartingAt is not null)
        {
            initialStart = DateTimeOffset.TryParse(StartingAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                ? parsed
                : throw TimescaleModelError.Create(feature, entityType, property, $"StartingAt \"{StartingAt}\" is not a time", "write an ISO 8601 time with its offset, e.g. \"2026-01-01T03:00:00+00:00\"");
        }

        return JobScheduleBuilder.Build($"{feature} on entity '{entityType.DisplayName()}', property '{property}'", JobSchedule.Empty, schedule =>
        {
            if (Every is not null)
            {
                schedule.Every(Interval(Every, "schedule interval", nameof(Every)));
            }

            if (initialStart is { } start)
            {
                schedule.StartingAt(start);
            }

            if (Timezone is not null)
            {
                schedule.InTimezone(Timezone);
            }

            if (MaxRuntime is not null)
            {
                schedule.MaxRuntime(Interval(MaxRuntime, "max runtime", nameof(MaxRuntime)));
            }

            if (_maxRetries is { } retries)
            {
                schedule.MaxRetries(retries);
            }

            if (RetryPeriod is not null)
            {
                schedule.RetryPeriod(Interval(RetryPeriod, "retry period", nameof(RetryPeriod)));
            }

            if (Fixed)
            {
                schedule.Fixed();
            }

            if (Drifting)
            {
                schedule.Drifting();
            }

            if (Paused)
            {
                schedule.Paused();
            }
        }, defaults);

        // Checked here, so an error names the attribute's property; the builder gets the canonical text.
        string Interval(string text, string name, string setting)
            => IntervalUse.JobSetting(name, $"write a positive interval such as {setting} = \"1 hour\"")
                .Require(text, feature, entityType, $"{property}.{setting}")
                .ToString();
    }
}
