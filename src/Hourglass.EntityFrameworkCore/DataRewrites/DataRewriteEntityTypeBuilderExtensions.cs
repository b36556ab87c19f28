using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.DataRewrites;
using Hourglass.EntityFrameworkCore.Hypertables;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// The explicit allowance for model changes whose cost grows with the data. Without it, <c>dotnet ef migrations add</c>
/// refuses such a change with an error naming the entity, the change and its cost: a table rebuilt with every row copied
/// (a hypertable turned back into a plain table, a changed time column or dimension, an existing table turned into a
/// hypertable without <c>MigrateData()</c>), or chunks converted back to rowstore (the columnstore of a hypertable or
/// continuous aggregate turned off). The generated migration states the cost in a comment above the operation.
/// For every entity at once: <c>UseTimescale(o =&gt; o.AllowDataRewrite())</c>.
/// </summary>
public static class DataRewriteEntityTypeBuilderExtensions
{
    /// <summary>Lets migrations be generated that rewrite this entity's data (see <see cref="DataRewriteEntityTypeBuilderExtensions"/>).</summary>
    /// <param name="entityTypeBuilder">The entity type builder.</param>
    /// <returns>The same builder.</returns>
    public static EntityTypeBuilder<TEntity> AllowDataRewrite<TEntity>(this EntityTypeBuilder<TEntity> entityTypeBuilder)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        Allow(entityTypeBuilder.Metadata);
        return entityTypeBuilder;
    }

    /// <summary>Lets migrations be generated that rewrite this entity's data (see <see cref="DataRewriteEntityTypeBuilderExtensions"/>).</summary>
    /// <param name="entityTypeBuilder">The entity type builder.</param>
    /// <returns>The same builder.</returns>
    public static EntityTypeBuilder AllowDataRewrite(this EntityTypeBuilder entityTypeBuilder)
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        Allow(entityTypeBuilder.Metadata);
        return entityTypeBuilder;
    }

    /// <summary>
    /// Lets migrations be generated that rewrite this hypertable's data, e.g. turning its columnstore off or changing its
    /// time column (see <see cref="DataRewriteEntityTypeBuilderExtensions"/>).
    /// </summary>
    /// <param name="hypertableBuilder">The hypertable builder.</param>
    /// <returns>The same builder.</returns>
    public static HypertableBuilder<TEntity> AllowDataRewrite<TEntity>(this HypertableBuilder<TEntity> hypertableBuilder)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(hypertableBuilder);
        Allow(hypertableBuilder.EntityType);
        return hypertableBuilder;
    }

    /// <summary>
    /// Lets migrations be generated that rewrite this hypertable's data, e.g. turning its columnstore off or changing its
    /// time column (see <see cref="DataRewriteEntityTypeBuilderExtensions"/>).
    /// </summary>
    /// <param name="hypertableBuilder">The hypertable builder.</param>
    /// <returns>The same builder.</returns>
    public static HypertableBuilder AllowDataRewrite(this HypertableBuilder hypertableBuilder)
    {
        ArgumentNullException.ThrowIfNull(hypertableBuilder);
        Allow(hypertableBuilder.EntityType);
        return hypertableBuilder;
    }

    /// <summary>
    /// Lets migrations be generated that rewrite this continuous aggregate's data, e.g. turning its columnstore off
    /// (see <see cref="DataRewriteEntityTypeBuilderExtensions"/>).
    /// </summary>
    /// <param name="aggregateBuilder">The continuous aggregate builder.</param>
    /// <returns>The same builder.</returns>
    public static ContinuousAggregateBuilder AllowDataRewrite(this ContinuousAggregateBuilder aggregateBuilder)
    {
        ArgumentNullException.ThrowIfNull(aggregateBuilder);
        Allow(aggregateBuilder.EntityType);
        return aggregateBuilder;
    }

    private static void Allow(IMutableEntityType entityType) => entityType.SetAnnotation(DataRewrite.AllowedAnnotation, true);
}
