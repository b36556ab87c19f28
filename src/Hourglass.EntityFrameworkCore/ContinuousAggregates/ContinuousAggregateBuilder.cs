using Microsoft.EntityFrameworkCore.Metadata;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore;
using System.Runtime.CompilerServices;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>Configures a continuous aggregate declared with <c>IsContinuousAggregate</c>.</summary>
public sealed class ContinuousAggregateBuilder
{
    internal ContinuousAggregateBuilder(IMutableEntityType entityType) => EntityType = entityType;

    internal IMutableEntityType EntityType { get; }

    /// <summary>
    /// Adds a refresh policy: <c>add_continuous_aggregate_policy(view, start_offset, end_offset, schedule_interval)</c>.
    /// Every <paramref name="scheduleInterval"/>, TimescaleDB refreshes the buckets between now − start offset and now − end offset,
    /// a window that must cover at least two buckets. Offsets in calendar months take the text overload,
    /// <see cref="WithRefreshPolicy(string?, string?, string, Action{JobScheduleBuilder}?)"/>.
    /// </summary>
    /// <param name="startOffset">How far back the refreshed window starts, e.g. <c>TimeSpan.FromDays(3)</c>; null for the oldest data.</param>
    /// <param name="endOffset">How far back the refreshed window ends, e.g. <c>TimeSpan.FromHours(1)</c>; null for the newest data.</param>
    /// <param name="scheduleInterval">How often the policy runs, e.g. <c>TimeSpan.FromHours(1)</c>.</param>
    /// <param name="schedule">The rest of the policy's job schedule, e.g. <c>s =&gt; s.MaxRetries(3).StartingAt(...)</c>; null for TimescaleDB's.</param>
    public ContinuousAggregateBuilder WithRefreshPolicy(TimeSpan? startOffset, TimeSpan? endOffset, TimeSpan scheduleInterval, Action<JobScheduleBuilder>? schedule = null)
        => SetRefreshPolicy(startOffset, endOffset, scheduleInterval, schedule);

    /// <summary>
    /// Adds a refresh policy as <see cref="WithRefreshPolicy(TimeSpan?, TimeSpan?, TimeSpan, Action{JobScheduleBuilder}?)"/>
    /// does, with the schedule interval given as text: the way to refresh by calendar months, e.g. <c>"1 month"</c>.
    /// </summary>
    /// <param name="startOffset">How far back the refreshed window starts, e.g. <c>TimeSpan.FromDays(3)</c>; null for the oldest data.</param>
    /// <param name="endOffset">How far back the refreshed window ends, e.g. <c>TimeSpan.FromHours(1)</c>; null for the newest data.</param>
    /// <param name="scheduleInterval">How often the policy runs, as interval text such as "1 month" or "6 hours".</param>
    /// <param name="schedule">The rest of the policy's job schedule, e.g. <c>s =&gt; s.MaxRetries(3).StartingAt(...)</c>; null for TimescaleDB's.</param>
    // Chosen for WithRefreshPolicy(null, null, "1 month"), which the text and integer overloads take as well: all mean the same.
    [OverloadResolutionPriority(1)]
    public ContinuousAggregateBuilder WithRefreshPolicy(TimeSpan? startOffset, TimeSpan? endOffset, string scheduleInterval, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(scheduleInterval);
        return SetRefreshPolicy(startOffset, endOffset, scheduleInterval, schedule);
    }

    /// <summary>
    /// Adds a refresh policy as <see cref="WithRefreshPolicy(TimeSpan?, TimeSpan?, TimeSpan, Action{JobScheduleBuilder}?)"/>
    /// does, with every interval given as text: the way to set offsets in calendar months, which no time span can hold,
    /// e.g. <c>WithRefreshPolicy("3 months", "1 day", "1 day")</c>. TimescaleDB counts a month as 30 days when it checks
    /// that the window covers at least two buckets.
    /// </summary>
    /// <param name="startOffset">How far back the refreshed window starts, as interval text such as "3 months" or "7 days"; null for the oldest data.</param>
    /// <param name="endOffset">How far back the refreshed window ends, as interval text such as "1 day" or "1 month"; null for the newest data.</param>
    /// <param name="scheduleInterval">How often the policy runs, as interval text such as "1 day" or "1 month".</param>
    /// <param name="schedule">The rest of the policy's job schedule, e.g. <c>s =&gt; s.MaxRetries(3).StartingAt(...)</c>; null for TimescaleDB's.</param>
    public ContinuousAggregateBuilder WithRefreshPolicy(string? startOffset, string? endOffset, string scheduleInterval, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(scheduleInterval);
        return SetRefreshPolicy(startOffset, endOffset, scheduleInterval, schedule);
    }

    /// <summary>
    /// Adds a refresh policy to an aggregate over an integer time column (<c>time_bucket(10, time)</c>): its offsets are
    /// amounts of the column's units, counted back from the hypertable's integer now function
    /// (<c>WithIntegerNowFunction</c>), e.g. <c>WithRefreshPolicy(100, 10, "1 hour")</c>.
    /// </summary>
    /// <param name="startOffset">How far back the refreshed window starts, in the time column's units; null for the oldest data.</param>
    /// <param name="endOffset">How far back the refreshed window ends, in the time column's units; null for the newest data.</param>
    /// <param name="scheduleInterval">How often the policy runs, as interval text such as "1 hour" (a time interval, whatever the column).</param>
    /// <param name="schedule">The rest of the policy's job schedule, e.g. <c>s =&gt; s.MaxRetries(3).StartingAt(...)</c>; null for TimescaleDB's.</param>
    public ContinuousAggregateBuilder WithRefreshPolicy(long? startOffset, long? endOffset, string scheduleInterval, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(scheduleInterval);
        return SetRefreshPolicy(startOffset, endOffset, scheduleInterval, schedule);
    }

    private ContinuousAggregateBuilder SetRefreshPolicy(object? startOffset, object? endOffset, object scheduleInterval, Action<JobScheduleBuilder>? schedule)
    {
        var policy = new ContinuousAggregatePolicy(
            startOffset is null ? null : ContinuousAggregateModelErrors.Offset(EntityType, "startOffset", startOffset),
            endOffset is null ? null : ContinuousAggregateModelErrors.Offset(EntityType, "endOffset", endOffset),
            ContinuousAggregateModelErrors.ScheduleInterval(EntityType, scheduleInterval));
        EntityType.SetAnnotation(ContinuousAggregateAnnotationNames.RefreshPolicy, policy.ToString());
        var owner = $"Refresh policy of continuous aggregate entity '{EntityType.DisplayName()}'";
        var options = JobScheduleBuilder.Build(owner, JobSchedule.Empty, schedule);
        if (options.ScheduleInterval is not null)
        {
            throw new InvalidOperationException(
                $"{owner}: the schedule sets its interval twice. Fix: pass it as scheduleInterval only, not with Every(...).");
        }

        JobScheduleBuilder.Check(owner, (policy with { Schedule = options }).FullSchedule, JobKind.ContinuousAggregateRefresh.Defaults());

        if (options.IsEmpty)
        {
            EntityType.RemoveAnnotation(ContinuousAggregateAnnotationNames.RefreshSchedule);
        }
        else
        {
            EntityType.SetAnnotation(ContinuousAggregateAnnotationNames.RefreshSchedule, options.Serialize());
        }

        return this;
    }

    /// <summary>
    /// Chooses whether queries read only materialized buckets (<c>true</c>, TimescaleDB's default since 2.13, and the
    /// default here on every version) or also aggregate the newest, not yet materialized rows (<c>false</c>, "real-time aggregation").
    /// </summary>
    /// <param name="materializedOnly">The value of <c>timescaledb.materialized_only</c>.</param>
    public ContinuousAggregateBuilder MaterializedOnly(bool materializedOnly = true)
    {
        EntityType.SetAnnotation(ContinuousAggregateAnnotationNames.MaterializedOnly, materializedOnly);
        return this;
    }

    /// <summary>
    /// Creates the view empty (<c>WITH NO DATA</c>): the migration does not compute the aggregate over existing rows, and
    /// the refresh policy (or <c>RefreshContinuousAggregateAsync</c>) fills it later.
    /// </summary>
    public ContinuousAggregateBuilder WithNoData()
    {
        EntityType.SetAnnotation(ContinuousAggregateAnnotationNames.WithNoData, true);
        return this;
    }
}
