using System.Linq.Expressions;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>Configures a hypertable's columnstore (compression) settings: <c>segmentby</c> and <c>orderby</c>.</summary>
public class ColumnstoreBuilder
{
    internal ColumnstoreBuilder(IMutableEntityType entityType) => EntityType = entityType;

    internal IMutableEntityType EntityType { get; }

    /// <summary>
    /// Adds columns whose rows are compressed together (<c>timescaledb.segmentby</c>): usually the ids you filter by,
    /// e.g. a device id. Calls add to the list.
    /// </summary>
    /// <param name="properties">Property names of the entity.</param>
    public ColumnstoreBuilder SegmentBy(params string[] properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var list = ColumnstoreDefinition.SegmentByFromAnnotation(EntityType[ColumnstoreAnnotationNames.SegmentBy] as string);
        list.AddRange(properties.Select(p => p.Trim()).Where(p => p.Length > 0 && !list.Contains(p)));
        EntityType.SetAnnotation(ColumnstoreAnnotationNames.SegmentBy, ColumnstoreDefinition.SegmentByToAnnotation(list));
        return this;
    }

    /// <summary>
    /// Adds entries to the order of rows inside compressed batches (<c>timescaledb.orderby</c>), e.g. <c>"Time DESC"</c> or
    /// <c>"Time DESC, Sequence"</c>: property names, each optionally followed by ASC or DESC and NULLS FIRST or NULLS LAST.
    /// </summary>
    /// <param name="orderBy">The order text.</param>
    public ColumnstoreBuilder OrderBy(string orderBy)
    {
        ArgumentNullException.ThrowIfNull(orderBy);
        var entries = ColumnstoreOrder.Parse(orderBy, out var error)
            ?? throw HypertableFeatureChecks.Error("Columnstore", EntityType, orderBy, error!, "write e.g. OrderBy(\"Time DESC\") or OrderBy(\"Time DESC, Sequence ASC NULLS LAST\")");
        var existing = ColumnstoreOrderAnnotation.FromAnnotation(EntityType[ColumnstoreAnnotationNames.OrderBy] as string);
        existing.RemoveAll(e => entries.Any(n => n.Name == e.Name));
        existing.AddRange(entries);
        EntityType.SetAnnotation(ColumnstoreAnnotationNames.OrderBy, ColumnstoreOrderAnnotation.ToAnnotation(existing));
        return this;
    }
}

/// <summary>Configures a hypertable's columnstore settings with property expressions.</summary>
/// <typeparam name="TEntity">The entity type.</typeparam>
public sealed class ColumnstoreBuilder<TEntity> : ColumnstoreBuilder
    where TEntity : class
{
    internal ColumnstoreBuilder(IMutableEntityType entityType)
        : base(entityType)
    {
    }

    /// <inheritdoc cref="ColumnstoreBuilder.SegmentBy(string[])"/>
    public new ColumnstoreBuilder<TEntity> SegmentBy(params string[] properties) => (ColumnstoreBuilder<TEntity>)base.SegmentBy(properties);

    /// <summary>Adds a column whose rows are compressed together (<c>timescaledb.segmentby</c>), e.g. <c>x =&gt; x.DeviceId</c>.</summary>
    /// <param name="property">The property.</param>
    public ColumnstoreBuilder<TEntity> SegmentBy<TProperty>(Expression<Func<TEntity, TProperty>> property)
        => SegmentBy(HypertableBuilder.PropertyName(property));

    /// <inheritdoc cref="ColumnstoreBuilder.OrderBy(string)"/>
    public new ColumnstoreBuilder<TEntity> OrderBy(string orderBy) => (ColumnstoreBuilder<TEntity>)base.OrderBy(orderBy);

    /// <summary>Adds an entry to the order of rows inside compressed batches (<c>timescaledb.orderby</c>).</summary>
    /// <param name="property">The property, e.g. <c>x =&gt; x.Time</c>.</param>
    /// <param name="descending">True for DESC (newest first for a time column).</param>
    public ColumnstoreBuilder<TEntity> OrderBy<TProperty>(Expression<Func<TEntity, TProperty>> property, bool descending = false)
        => OrderBy(HypertableBuilder.PropertyName(property) + (descending ? " DESC" : ""));
}
