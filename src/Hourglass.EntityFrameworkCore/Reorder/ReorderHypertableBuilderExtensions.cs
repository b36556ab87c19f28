using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Reorder;

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
    /// <returns>The hypertable builder, for chaining.</returns>
    public static HypertableBuilder WithReorderPolicy(this HypertableBuilder hypertable, string indexName)
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        hypertable.EntityType.SetAnnotation(ReorderAnnotationNames.Index, indexName);
        return hypertable;
    }

    /// <inheritdoc cref="WithReorderPolicy(HypertableBuilder, string)"/>
    public static HypertableBuilder<TEntity> WithReorderPolicy<TEntity>(this HypertableBuilder<TEntity> hypertable, string indexName)
        where TEntity : class
        => (HypertableBuilder<TEntity>)WithReorderPolicy((HypertableBuilder)hypertable, indexName);
}
