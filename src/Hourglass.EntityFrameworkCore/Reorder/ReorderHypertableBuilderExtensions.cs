using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Reorder;
using Hourglass.EntityFrameworkCore.Scheduling;

// Next to IsHypertable, in EF's namespace, so the calls are found without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>The reorder policy of a hypertable.</summary>
public static class ReorderHypertableBuilderExtensions
{
    /// <summary>
    /// Rewrites older chunks in the order of <paramref name="indexName"/> on a schedule: <c>add_reorder_policy(table,
    /// index_name)</c>. The index must be declared in the model (<c>HasIndex(...).HasDatabaseName(...)</c>, or a key).
    /// </summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="indexName">The index's database name.</param>
    /// <param name="schedule">The policy's job schedule, e.g. <c>s =&gt; s.Every(TimeSpan.FromDays(1))</c>; null for TimescaleDB's (half the chunk interval).</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithReorderPolicy(this HypertableBuilder hypertable, string indexName, Action<JobScheduleBuilder>? schedule = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        return ReorderPolicy.Kind.Set(hypertable, indexName, schedule);
    }

    /// <inheritdoc cref="WithReorderPolicy(HypertableBuilder, string, Action{JobScheduleBuilder})"/>
    public static HypertableBuilder<TEntity> WithReorderPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, string indexName, Action<JobScheduleBuilder>? schedule = null)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithReorderPolicy((HypertableBuilder)hypertable, indexName, schedule);
}
