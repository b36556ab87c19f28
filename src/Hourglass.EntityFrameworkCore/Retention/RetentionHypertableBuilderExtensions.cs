using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.EntityFrameworkCore.Scheduling;

// Next to IsHypertable, in EF's namespace, so the calls are found without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>The retention policy of a hypertable.</summary>
public static class RetentionHypertableBuilderExtensions
{
    /// <summary>Drops chunks older than <paramref name="dropAfter"/> on a schedule: <c>add_retention_policy(table, drop_after =&gt; interval)</c>.</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropAfter">The age after which chunks (and their rows) are dropped, e.g. <c>TimeSpan.FromDays(90)</c>.</param>
    /// <param name="schedule">The policy's job schedule, e.g. <c>s =&gt; s.Every(TimeSpan.FromHours(6)).MaxRetries(3)</c>; null for TimescaleDB's (daily).</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicy(this HypertableBuilder hypertable, TimeSpan dropAfter, Action<JobScheduleBuilder>? schedule = null)
        => RetentionPolicy.Kind.SetInterval(hypertable, dropAfter, schedule);

    /// <summary>Drops chunks older than <paramref name="dropAfter"/>, given as interval text such as "90 days" or "1 year".</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropAfter">The age after which chunks are dropped.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicy(this HypertableBuilder hypertable, string dropAfter, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(dropAfter);
        return RetentionPolicy.Kind.SetInterval(hypertable, dropAfter, schedule);
    }

    /// <summary>Drops chunks older than <paramref name="dropAfter"/> time units (integer time columns).</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropAfter">The age in the time column's units.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicy(this HypertableBuilder hypertable, long dropAfter, Action<JobScheduleBuilder>? schedule = null)
        => RetentionPolicy.Kind.SetInterval(hypertable, dropAfter, schedule);

    /// <inheritdoc cref="WithRetentionPolicy(HypertableBuilder, TimeSpan, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, TimeSpan dropAfter, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicy((HypertableBuilder)hypertable, dropAfter, schedule);

    /// <inheritdoc cref="WithRetentionPolicy(HypertableBuilder, string, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, string dropAfter, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicy((HypertableBuilder)hypertable, dropAfter, schedule);

    /// <inheritdoc cref="WithRetentionPolicy(HypertableBuilder, long, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, long dropAfter, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicy((HypertableBuilder)hypertable, dropAfter, schedule);

    /// <summary>
    /// Drops chunks created longer ago than <paramref name="dropCreatedBefore"/>, whatever the time of their rows:
    /// <c>add_retention_policy(table, drop_created_before =&gt; interval)</c> (TimescaleDB 2.13+). Instead of
    /// <c>WithRetentionPolicy</c>; a time interval also for integer time columns, which then need no integer-now function.
    /// </summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropCreatedBefore">How long after its creation a chunk is dropped, e.g. <c>TimeSpan.FromDays(90)</c>.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's (daily).</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicyByCreationTime(this HypertableBuilder hypertable, TimeSpan dropCreatedBefore, Action<JobScheduleBuilder>? schedule = null)
        => RetentionPolicy.Kind.SetCreatedBefore(hypertable, dropCreatedBefore, schedule);

    /// <summary>Drops chunks created longer ago than <paramref name="dropCreatedBefore"/>, given as interval text such as "90 days".</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropCreatedBefore">How long after its creation a chunk is dropped.</param>
    /// <param name="schedule">The policy's job schedule; null for TimescaleDB's.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicyByCreationTime(this HypertableBuilder hypertable, string dropCreatedBefore, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(dropCreatedBefore);
        return RetentionPolicy.Kind.SetCreatedBefore(hypertable, dropCreatedBefore, schedule);
    }

    /// <inheritdoc cref="WithRetentionPolicyByCreationTime(HypertableBuilder, TimeSpan, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicyByCreationTime<TEntity>(this HypertableBuilder<TEntity> hypertable, TimeSpan dropCreatedBefore, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicyByCreationTime((HypertableBuilder)hypertable, dropCreatedBefore, schedule);

    /// <inheritdoc cref="WithRetentionPolicyByCreationTime(HypertableBuilder, string, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicyByCreationTime<TEntity>(this HypertableBuilder<TEntity> hypertable, string dropCreatedBefore, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicyByCreationTime((HypertableBuilder)hypertable, dropCreatedBefore, schedule);
}
