using Microsoft.EntityFrameworkCore.Metadata;
using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Retention;
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
    /// <summary>
    /// Tunes how the refresh policy materializes its window (TimescaleDB 2.19+; <c>refresh_newest_first</c> 2.20+,
    /// <c>include_tiered_data</c> 2.18+), e.g. <c>r =&gt; r.BucketsPerBatch(10).MaxBatchesPerExecution(5).NewestFirst(false)</c>.
    /// Changing them later alters the policy's job in place (<c>alter_job(config =&gt; ...)</c>, same job id).
    /// </summary>
    /// <param name="configure">The options; each one left unset keeps TimescaleDB's default.</param>
    public ContinuousAggregateBuilder WithRefreshOptions(Action<ContinuousAggregateRefreshOptionsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new ContinuousAggregateRefreshOptionsBuilder(EntityType, ContinuousAggregateRefreshOptions.Find(EntityType) ?? ContinuousAggregateRefreshOptions.Empty);
        configure(builder);
        ContinuousAggregateRefreshOptions.Store(EntityType, builder.Options);
        return this;
    }

    /// <summary>
    /// Sets the chunk interval of the aggregate's own hypertable (TimescaleDB's default is ten times the source
    /// hypertable's): <c>WITH (timescaledb.chunk_interval = ...)</c> on TimescaleDB 2.20+, <c>set_chunk_time_interval</c>
    /// on the materialization hypertable before. A change is made in place; existing chunks keep their size.
    /// </summary>
    /// <param name="interval">The chunk interval, e.g. <c>TimeSpan.FromDays(30)</c>.</param>
    public ContinuousAggregateBuilder WithChunkInterval(TimeSpan interval) => SetChunkInterval(interval);

    /// <summary>Sets the chunk interval of the aggregate's own hypertable, as interval text such as "30 days".</summary>
    /// <param name="interval">The chunk interval as interval text (no months: chunks have a fixed length).</param>
    public ContinuousAggregateBuilder WithChunkInterval(string interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        return SetChunkInterval(interval);
    }

    private ContinuousAggregateBuilder SetChunkInterval(object interval)
    {
        var value = IntervalUse.ChunkInterval.Require(interval, "Continuous aggregate", EntityType, "chunkInterval");
        EntityType.SetAnnotation(ContinuousAggregateAnnotationNames.ChunkInterval, value.ToString());
        return this;
    }

    /// <summary>
    /// Chooses whether TimescaleDB creates an index per GROUP BY column on the aggregate (<c>timescaledb.create_group_indexes</c>,
    /// true by default). TimescaleDB only takes this when the view is created, so changing it drops and creates the view again.
    /// </summary>
    /// <param name="create">False to create no group indexes.</param>
    public ContinuousAggregateBuilder CreateGroupIndexes(bool create = true)
    {
        if (create)
        {
            EntityType.RemoveAnnotation(ContinuousAggregateAnnotationNames.CreateGroupIndexes);
        }
        else
        {
            EntityType.SetAnnotation(ContinuousAggregateAnnotationNames.CreateGroupIndexes, false);
        }

        return this;
    }

    /// <summary>
    /// Enables the columnstore on the aggregate's buckets: <c>ALTER MATERIALIZED VIEW ... SET (timescaledb.enable_columnstore = true, ...)</c>.
    /// Without <c>SegmentBy</c>/<c>OrderBy</c>, TimescaleDB orders by the bucket and the GROUP BY columns. Add
    /// <see cref="WithColumnstorePolicy(TimeSpan, Action{JobScheduleBuilder}?)"/> to convert old buckets on a schedule.
    /// </summary>
    /// <param name="configure">The settings, by the entity's property names, e.g. <c>c =&gt; c.SegmentBy("DeviceId").OrderBy("Bucket DESC")</c>.</param>
    public ContinuousAggregateBuilder WithColumnstore(Action<ColumnstoreBuilder>? configure = null)
    {
        EntityType.SetAnnotation(ColumnstoreAnnotationNames.Enabled, true);
        EntityType.RemoveAnnotation(ColumnstoreAnnotationNames.SegmentBy);
        EntityType.RemoveAnnotation(ColumnstoreAnnotationNames.OrderBy);
        configure?.Invoke(new ColumnstoreBuilder(EntityType));
        return this;
    }

    /// <summary>
    /// Converts the aggregate's chunks older than <paramref name="after"/> to the columnstore on a schedule:
    /// <c>add_columnstore_policy(view, after =&gt; interval)</c>. Needs <see cref="WithColumnstore"/>.
    /// </summary>
    /// <param name="after">The age of buckets to convert, e.g. <c>TimeSpan.FromDays(30)</c>.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    public ContinuousAggregateBuilder WithColumnstorePolicy(TimeSpan after, Action<JobScheduleBuilder>? schedule = null)
        => SetPolicy(ColumnstorePolicy.Kind, "after", after, schedule);

    /// <summary>Converts the aggregate's chunks older than <paramref name="after"/> (interval text such as "30 days" or "3 months").</summary>
    /// <param name="after">The age of buckets to convert.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    public ContinuousAggregateBuilder WithColumnstorePolicy(string after, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(after);
        return SetPolicy(ColumnstorePolicy.Kind, "after", after, schedule);
    }

    /// <summary>
    /// Drops the aggregate's buckets older than <paramref name="dropAfter"/> on a schedule: <c>add_retention_policy(view, drop_after =&gt; interval)</c>.
    /// The source hypertable keeps its own retention, so an aggregate can outlive the raw rows it was computed from.
    /// </summary>
    /// <param name="dropAfter">The age after which buckets are dropped, e.g. <c>TimeSpan.FromDays(365)</c>.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's (daily).</param>
    public ContinuousAggregateBuilder WithRetentionPolicy(TimeSpan dropAfter, Action<JobScheduleBuilder>? schedule = null)
        => SetPolicy(RetentionPolicy.Kind, "dropAfter", dropAfter, schedule);

    /// <summary>Drops the aggregate's buckets older than <paramref name="dropAfter"/> (interval text such as "1 year" or "5 years").</summary>
    /// <param name="dropAfter">The age after which buckets are dropped.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's (daily).</param>
    public ContinuousAggregateBuilder WithRetentionPolicy(string dropAfter, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(dropAfter);
        return SetPolicy(RetentionPolicy.Kind, "dropAfter", dropAfter, schedule);
    }

    /// <summary>
    /// When a later migration adds aggregate columns to this aggregate in place (TimescaleDB 2.28+: the query's only
    /// change is new aggregate columns), recomputes the buckets of the last <paramref name="window"/> right after, so the
    /// new columns have values there: <c>refresh_continuous_aggregate(view, now() - window, NULL, force =&gt; true)</c>,
    /// outside the migration's transaction. Without it (the default) the existing buckets keep NULL in the new columns
    /// until something invalidates and refreshes them; buckets materialized afterwards have them. A window reaching
    /// past the source's retention empties the buckets whose source rows are gone.
    /// </summary>
    /// <param name="window">How far back to recompute, e.g. <c>TimeSpan.FromDays(30)</c>.</param>
    public ContinuousAggregateBuilder BackfillAddedColumns(TimeSpan window) => SetBackfill(window);

    /// <summary>As <see cref="BackfillAddedColumns(TimeSpan)"/>, with interval text such as "3 months".</summary>
    /// <param name="window">How far back to recompute.</param>
    public ContinuousAggregateBuilder BackfillAddedColumns(string window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return SetBackfill(window);
    }

    private ContinuousAggregateBuilder SetBackfill(object window)
    {
        var interval = ContinuousAggregateModelErrors.Offset(EntityType, "window", window);
        if (interval.IsInteger)
        {
            throw new InvalidOperationException(
                $"BackfillAddedColumns of continuous aggregate entity '{EntityType.DisplayName()}': the window must be a time interval such as \"30 days\", not a number. Fix: pass a TimeSpan or interval text.");
        }

        EntityType.SetAnnotation(ContinuousAggregateAnnotationNames.AddedColumnsBackfill, interval.ToString());
        return this;
    }

    /// <summary>
    /// Drops the aggregate's chunks created longer ago than <paramref name="dropCreatedBefore"/>, whatever their buckets' time:
    /// <c>add_retention_policy(view, drop_created_before =&gt; interval)</c> (TimescaleDB 2.13+). Instead of <c>WithRetentionPolicy</c>.
    /// </summary>
    /// <param name="dropCreatedBefore">How long after its creation a chunk is dropped, e.g. <c>TimeSpan.FromDays(365)</c>.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's (daily).</param>
    public ContinuousAggregateBuilder WithRetentionPolicyByCreationTime(TimeSpan dropCreatedBefore, Action<JobScheduleBuilder>? schedule = null)
        => SetPolicy(RetentionPolicy.Kind, "dropCreatedBefore", dropCreatedBefore, schedule, byCreationTime: true);

    /// <summary>Drops the aggregate's chunks created longer ago than <paramref name="dropCreatedBefore"/> (interval text such as "1 year").</summary>
    /// <param name="dropCreatedBefore">How long after its creation a chunk is dropped.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's (daily).</param>
    public ContinuousAggregateBuilder WithRetentionPolicyByCreationTime(string dropCreatedBefore, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(dropCreatedBefore);
        return SetPolicy(RetentionPolicy.Kind, "dropCreatedBefore", dropCreatedBefore, schedule, byCreationTime: true);
    }

    private ContinuousAggregateBuilder SetPolicy(HypertablePolicyKind kind, string parameter, object interval, Action<JobScheduleBuilder>? schedule, bool byCreationTime = false)
    {
        EntityType.RemoveAnnotation(byCreationTime ? kind.ArgumentAnnotation : kind.CreatedBeforeAnnotation!);
        EntityType.SetAnnotation(
            byCreationTime ? kind.CreatedBeforeAnnotation! : kind.ArgumentAnnotation,
            byCreationTime ? kind.CreatedBeforeInterval(EntityType, parameter, interval) : kind.Interval(EntityType, parameter, interval));
        var built = JobScheduleBuilder.Build($"{kind.Feature} of continuous aggregate entity '{EntityType.DisplayName()}'", JobSchedule.Empty, schedule, kind.Defaults);
        if (built.IsEmpty)
        {
            EntityType.RemoveAnnotation(kind.ScheduleAnnotation);
        }
        else
        {
            EntityType.SetAnnotation(kind.ScheduleAnnotation, built.Serialize());
        }

        return this;
    }
}
