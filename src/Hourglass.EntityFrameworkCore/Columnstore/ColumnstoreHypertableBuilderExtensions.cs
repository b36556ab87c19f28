using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;

// Next to IsHypertable, in EF's namespace, so the calls are found without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Columnstore (compression) settings and the columnstore policy of a hypertable.</summary>
public static class ColumnstoreHypertableBuilderExtensions
{
    /// <summary>
    /// Enables the columnstore: <c>ALTER TABLE ... SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = ...,
    /// timescaledb.orderby = ...)</c>. Without <paramref name="configure"/>, TimescaleDB picks segmentby and orderby.
    /// </summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="configure">Sets segmentby and orderby, e.g. <c>c =&gt; c.SegmentBy("DeviceId").OrderBy("Time DESC")</c>.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithColumnstore(this HypertableBuilder hypertable, Action<ColumnstoreBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        Reset(hypertable);
        configure?.Invoke(new ColumnstoreBuilder(hypertable.EntityType));
        return hypertable;
    }

    /// <summary>
    /// Enables the columnstore: <c>ALTER TABLE ... SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = ...,
    /// timescaledb.orderby = ...)</c>. Without <paramref name="configure"/>, TimescaleDB picks segmentby and orderby.
    /// </summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="configure">Sets segmentby and orderby, e.g. <c>c =&gt; c.SegmentBy(x =&gt; x.DeviceId).OrderBy(x =&gt; x.Time, descending: true)</c>.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder<TEntity> WithColumnstore<TEntity>(this HypertableBuilder<TEntity> hypertable, Action<ColumnstoreBuilder<TEntity>>? configure = null)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        Reset(hypertable);
        configure?.Invoke(new ColumnstoreBuilder<TEntity>(hypertable.EntityType));
        return hypertable;
    }

    /// <summary>
    /// Converts chunks older than <paramref name="after"/> to the columnstore on a schedule:
    /// <c>add_columnstore_policy(table, after =&gt; interval)</c>. Needs <c>WithColumnstore</c>.
    /// </summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="after">The age of chunks to convert, e.g. <c>TimeSpan.FromDays(7)</c>.</param>
    /// <param name="schedule">The policy's job schedule, e.g. <c>s =&gt; s.Every(TimeSpan.FromHours(6)).MaxRetries(3)</c>; null for TimescaleDB's (half the chunk interval).</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithColumnstorePolicy(this HypertableBuilder hypertable, TimeSpan after, Action<JobScheduleBuilder>? schedule = null)
        => ColumnstorePolicy.Kind.SetInterval(hypertable, after, schedule);

    /// <summary>Converts chunks older than <paramref name="after"/> to the columnstore; interval text such as "7 days" or "1 month".</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="after">The age of chunks to convert, as interval text.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithColumnstorePolicy(this HypertableBuilder hypertable, string after, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(after);
        return ColumnstorePolicy.Kind.SetInterval(hypertable, after, schedule);
    }

    /// <summary>Converts chunks older than <paramref name="after"/> time units to the columnstore (integer time columns).</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="after">The age in the time column's units.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithColumnstorePolicy(this HypertableBuilder hypertable, long after, Action<JobScheduleBuilder>? schedule = null)
        => ColumnstorePolicy.Kind.SetInterval(hypertable, after, schedule);

    /// <inheritdoc cref="WithColumnstorePolicy(HypertableBuilder, TimeSpan, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithColumnstorePolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, TimeSpan after, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithColumnstorePolicy((HypertableBuilder)hypertable, after, schedule);

    /// <inheritdoc cref="WithColumnstorePolicy(HypertableBuilder, string, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithColumnstorePolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, string after, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithColumnstorePolicy((HypertableBuilder)hypertable, after, schedule);

    /// <inheritdoc cref="WithColumnstorePolicy(HypertableBuilder, long, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithColumnstorePolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, long after, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithColumnstorePolicy((HypertableBuilder)hypertable, after, schedule);

    /// <summary>
    /// Converts chunks created longer ago than <paramref name="createdBefore"/> to the columnstore, whatever the time of
    /// their rows: <c>add_columnstore_policy(table, created_before =&gt; interval)</c> (TimescaleDB 2.13+). Instead of
    /// <c>WithColumnstorePolicy</c>; needs <c>WithColumnstore</c>. Not on continuous aggregates (TimescaleDB refuses it there).
    /// </summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="createdBefore">How long after its creation a chunk is converted, e.g. <c>TimeSpan.FromDays(7)</c>.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's (half the chunk interval).</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithColumnstorePolicyByCreationTime(this HypertableBuilder hypertable, TimeSpan createdBefore, Action<JobScheduleBuilder>? schedule = null)
        => ColumnstorePolicy.Kind.SetCreatedBefore(hypertable, createdBefore, schedule);

    /// <summary>Converts chunks created longer ago than <paramref name="createdBefore"/> (interval text such as "7 days") to the columnstore.</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="createdBefore">How long after its creation a chunk is converted.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithColumnstorePolicyByCreationTime(this HypertableBuilder hypertable, string createdBefore, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(createdBefore);
        return ColumnstorePolicy.Kind.SetCreatedBefore(hypertable, createdBefore, schedule);
    }

    /// <inheritdoc cref="WithColumnstorePolicyByCreationTime(HypertableBuilder, TimeSpan, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithColumnstorePolicyByCreationTime<TEntity>(this HypertableBuilder<TEntity> hypertable, TimeSpan createdBefore, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithColumnstorePolicyByCreationTime((HypertableBuilder)hypertable, createdBefore, schedule);

    /// <inheritdoc cref="WithColumnstorePolicyByCreationTime(HypertableBuilder, string, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithColumnstorePolicyByCreationTime<TEntity>(this HypertableBuilder<TEntity> hypertable, string createdBefore, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithColumnstorePolicyByCreationTime((HypertableBuilder)hypertable, createdBefore, schedule);

    /// <summary>
    /// Whether the columnstore policy recompresses chunks that became unordered (rows inserted into converted chunks):
    /// the policy job's <c>recompress_unordered</c> (TimescaleDB 2.29+; its default is true). Needs a columnstore policy.
    /// Older servers: an error under Strict, skipped with a warning under Degrade.
    /// </summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="recompress">False to leave unordered chunks to a compaction policy or to queries.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder RecompressUnordered(this HypertableBuilder hypertable, bool recompress)
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        hypertable.EntityType.SetAnnotation(Hourglass.EntityFrameworkCore.Policies.RecompressUnordered.Annotation, recompress);
        return hypertable;
    }

    /// <inheritdoc cref="RecompressUnordered(HypertableBuilder, bool)"/>
    public static HypertableBuilder<TEntity> RecompressUnordered<TEntity>(this HypertableBuilder<TEntity> hypertable, bool recompress)
        where TEntity : class
        => (HypertableBuilder<TEntity>)RecompressUnordered((HypertableBuilder)hypertable, recompress);

    private static void Reset(HypertableBuilder hypertable)
    {
        hypertable.EntityType.SetAnnotation(ColumnstoreAnnotationNames.Enabled, true);
        hypertable.EntityType.RemoveAnnotation(ColumnstoreAnnotationNames.SegmentBy);
        hypertable.EntityType.RemoveAnnotation(ColumnstoreAnnotationNames.OrderBy);
    }
}
