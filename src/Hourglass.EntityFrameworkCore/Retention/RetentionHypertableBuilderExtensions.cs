using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Retention;

// Next to IsHypertable, in EF's namespace, so the calls are found without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>The retention policy of a hypertable.</summary>
public static class RetentionHypertableBuilderExtensions
{
    /// <summary>Drops chunks older than <paramref name="dropAfter"/> on a schedule: <c>add_retention_policy(table, drop_after =&gt; interval)</c>.</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropAfter">The age after which chunks (and their rows) are dropped, e.g. <c>TimeSpan.FromDays(90)</c>.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicy(this HypertableBuilder hypertable, TimeSpan dropAfter)
        => Set(hypertable, PolicyInterval.Normalize(dropAfter, out var error), error);

    /// <summary>Drops chunks older than <paramref name="dropAfter"/>, given as interval text such as "90 days" or "1 year".</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropAfter">The age after which chunks are dropped.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicy(this HypertableBuilder hypertable, string dropAfter)
    {
        ArgumentNullException.ThrowIfNull(dropAfter);
        return Set(hypertable, PolicyInterval.Normalize(dropAfter, out var error), error);
    }

    /// <summary>Drops chunks older than <paramref name="dropAfter"/> time units (integer time columns).</summary>
    /// <param name="hypertable">The hypertable builder.</param>
    /// <param name="dropAfter">The age in the time column's units.</param>
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithRetentionPolicy(this HypertableBuilder hypertable, long dropAfter)
        => Set(hypertable, PolicyInterval.Normalize(dropAfter, out var error), error);

    /// <inheritdoc cref="WithRetentionPolicy(HypertableBuilder, TimeSpan)"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, TimeSpan dropAfter)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicy((HypertableBuilder)hypertable, dropAfter);

    /// <inheritdoc cref="WithRetentionPolicy(HypertableBuilder, string)"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, string dropAfter)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicy((HypertableBuilder)hypertable, dropAfter);

    /// <inheritdoc cref="WithRetentionPolicy(HypertableBuilder, long)"/>
    public static HypertableBuilder<TEntity> WithRetentionPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, long dropAfter)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithRetentionPolicy((HypertableBuilder)hypertable, dropAfter);

    private static HypertableBuilder Set(HypertableBuilder hypertable, string? dropAfter, string? error)
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        var time = hypertable.EntityType[HypertableAnnotationNames.TimeProperty] as string ?? "(time)";
        hypertable.EntityType.SetAnnotation(
            RetentionAnnotationNames.DropAfter,
            dropAfter ?? throw HypertableFeatureChecks.Error("Retention policy", hypertable.EntityType, time, error!, "give a positive interval such as TimeSpan.FromDays(90), \"90 days\" or \"1 year\" (a number for integer time columns)"));
        return hypertable;
    }
}
