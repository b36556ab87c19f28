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

    /// <summary>
    /// Adds a bloom sparse index (<c>timescaledb.sparse_index = 'bloom(...)'</c>, TimescaleDB 2.22+): a bloom filter per
    /// compressed batch, so equality lookups on the column skip the batches without the value. Several properties make
    /// one composite bloom over them (TimescaleDB 2.26+), for lookups on all of them at once. Needs <see cref="OrderBy(string)"/>.
    /// </summary>
    /// <param name="properties">One property, or up to 8 for a composite bloom.</param>
    public ColumnstoreBuilder Bloom(params string[] properties) => AddSparseIndex(SparseIndexKind.Bloom, properties);

    /// <summary>
    /// Adds a minmax sparse index (<c>minmax(...)</c>, TimescaleDB 2.22+): each batch's smallest and largest value, so range
    /// filters on the column skip batches. Needs <see cref="OrderBy(string)"/>.
    /// </summary>
    /// <param name="property">The property.</param>
    public ColumnstoreBuilder MinMax(string property) => AddSparseIndex(SparseIndexKind.MinMax, [property]);

    /// <summary>
    /// Adds a firstlast sparse index (<c>firstlast(...)</c>, TimescaleDB 2.28+): each batch's first and last value in
    /// orderby order. Needs <see cref="OrderBy(string)"/>.
    /// </summary>
    /// <param name="property">The property.</param>
    public ColumnstoreBuilder FirstLast(string property) => AddSparseIndex(SparseIndexKind.FirstLast, [property]);

    /// <summary>
    /// Sets the sparse indexes from text, e.g. <c>"bloom(Tag), minmax(Value)"</c> with property names; <c>""</c> is none
    /// (as <see cref="WithoutAutomaticSparseIndexes"/>).
    /// </summary>
    /// <param name="sparseIndexes">The sparse indexes.</param>
    public ColumnstoreBuilder SparseIndexes(string sparseIndexes)
    {
        ArgumentNullException.ThrowIfNull(sparseIndexes);
        var parsed = SparseIndex.Parse(sparseIndexes, out var error)
            ?? throw HypertableFeatureChecks.Error("Columnstore", EntityType, sparseIndexes, error!, "write e.g. SparseIndexes(\"bloom(Tag), minmax(Value)\")");
        EntityType.SetAnnotation(ColumnstoreAnnotationNames.SparseIndexes, SparseIndex.Format(parsed));
        return this;
    }

    /// <summary>
    /// Turns TimescaleDB's automatic sparse indexes off for this hypertable (<c>timescaledb.sparse_index = ''</c>,
    /// TimescaleDB 2.22+): without it, TimescaleDB adds minmax indexes for columns with a btree index (and bloom for
    /// others) when it converts chunks, unless the session sets <c>timescaledb.auto_sparse_indexes = off</c>. Sparse
    /// indexes added with <see cref="Bloom(string[])"/> and friends replace the automatic ones as well.
    /// </summary>
    public ColumnstoreBuilder WithoutAutomaticSparseIndexes()
    {
        EntityType.SetAnnotation(ColumnstoreAnnotationNames.SparseIndexes, "");
        return this;
    }

    /// <summary>
    /// Merges chunks when they are converted to the columnstore, until a merged chunk spans <paramref name="interval"/>
    /// (<c>timescaledb.compress_chunk_time_interval</c>): fewer, larger chunks in the columnstore. A multiple of the
    /// chunk interval merges best; time columns only.
    /// </summary>
    /// <param name="interval">The merged chunks' span, e.g. <c>TimeSpan.FromDays(7)</c>.</param>
    public ColumnstoreBuilder MergeChunksUpTo(TimeSpan interval) => SetMergedChunkInterval(interval);

    /// <summary>Merges chunks when they are converted, up to <paramref name="interval"/>, as interval text such as <c>"7 days"</c>.</summary>
    /// <param name="interval">The merged chunks' span.</param>
    public ColumnstoreBuilder MergeChunksUpTo(string interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        return SetMergedChunkInterval(interval);
    }

    /// <summary>
    /// Turns on direct compress (<c>timescaledb.direct_compress</c>, TimescaleDB 2.29+): rows written by <c>COPY</c> and
    /// <c>INSERT</c> go straight into columnstore chunks instead of being converted later. TimescaleDB then runs a
    /// compaction policy and a columnstore policy of its own for the hypertable (converting after one chunk interval,
    /// every minute), so the hypertable takes no <c>WithColumnstorePolicy(...)</c>; and the table has no primary key or
    /// unique index (<c>HasNoKey()</c>), since TimescaleDB turns direct compress off for such tables. Older servers: refused under Strict,
    /// skipped with a <c>FeatureSkipped</c> warning naming 2.29 under Degrade.
    /// </summary>
    public ColumnstoreBuilder DirectCompress()
    {
        EntityType.SetAnnotation(DirectCompressAnnotation.Name, true);
        return this;
    }

    private ColumnstoreBuilder SetMergedChunkInterval(object interval)
    {
        var value = ColumnstoreTuning.MergedChunkIntervalUse.Require(interval, "Columnstore", EntityType, "MergeChunksUpTo");
        EntityType.SetAnnotation(ColumnstoreAnnotationNames.MergedChunkInterval, value.ToString());
        return this;
    }

    private protected ColumnstoreBuilder AddSparseIndex(SparseIndexKind kind, IReadOnlyList<string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var columns = properties.Select(p => p?.Trim() ?? "").ToList();
        var index = new SparseIndex(kind, columns);
        if (columns.Count == 0 || columns.Any(c => c.Length == 0))
        {
            throw HypertableFeatureChecks.Error("Columnstore", EntityType, index.ToString(), "a sparse index needs at least one property name", "name the property, e.g. Bloom(\"Tag\")");
        }

        var existing = EntityType[ColumnstoreAnnotationNames.SparseIndexes] is string text ? SparseIndex.Parse(text, out _) ?? [] : [];
        if (!existing.Contains(index))
        {
            existing.Add(index);
        }

        EntityType.SetAnnotation(ColumnstoreAnnotationNames.SparseIndexes, SparseIndex.Format(existing));
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

    /// <summary>Adds an entry to the order of rows inside compressed batches with its NULLS placement (<c>timescaledb.orderby</c>).</summary>
    /// <param name="property">The property, e.g. <c>x =&gt; x.Time</c>.</param>
    /// <param name="descending">True for DESC.</param>
    /// <param name="nullsFirst">True for NULLS FIRST, false for NULLS LAST; null for PostgreSQL's default (LAST ascending, FIRST descending).</param>
    public ColumnstoreBuilder<TEntity> OrderBy<TProperty>(Expression<Func<TEntity, TProperty>> property, bool descending, bool? nullsFirst)
        => OrderBy(HypertableBuilder.PropertyName(property) + (descending ? " DESC" : "") + (nullsFirst switch { true => " NULLS FIRST", false => " NULLS LAST", null => "" }));

    /// <inheritdoc cref="ColumnstoreBuilder.Bloom(string[])"/>
    public new ColumnstoreBuilder<TEntity> Bloom(params string[] properties) => (ColumnstoreBuilder<TEntity>)base.Bloom(properties);

    /// <summary>
    /// Adds a bloom sparse index (TimescaleDB 2.22+) on a property, <c>x =&gt; x.Tag</c>, or a composite bloom (2.26+) on
    /// several, <c>x =&gt; new { x.Tag, x.DeviceId }</c>. Needs an orderby.
    /// </summary>
    /// <param name="properties">The property or an anonymous object of properties.</param>
    public ColumnstoreBuilder<TEntity> Bloom<TProperty>(Expression<Func<TEntity, TProperty>> properties)
        => (ColumnstoreBuilder<TEntity>)AddSparseIndex(SparseIndexKind.Bloom, PropertyNames(properties));

    /// <inheritdoc cref="ColumnstoreBuilder.MinMax(string)"/>
    public new ColumnstoreBuilder<TEntity> MinMax(string property) => (ColumnstoreBuilder<TEntity>)base.MinMax(property);

    /// <summary>Adds a minmax sparse index (TimescaleDB 2.22+) on a property, <c>x =&gt; x.Value</c>. Needs an orderby.</summary>
    /// <param name="property">The property.</param>
    public ColumnstoreBuilder<TEntity> MinMax<TProperty>(Expression<Func<TEntity, TProperty>> property) => MinMax(HypertableBuilder.PropertyName(property));

    /// <inheritdoc cref="ColumnstoreBuilder.FirstLast(string)"/>
    public new ColumnstoreBuilder<TEntity> FirstLast(string property) => (ColumnstoreBuilder<TEntity>)base.FirstLast(property);

    /// <summary>Adds a firstlast sparse index (TimescaleDB 2.28+) on a property, <c>x =&gt; x.Value</c>. Needs an orderby.</summary>
    /// <param name="property">The property.</param>
    public ColumnstoreBuilder<TEntity> FirstLast<TProperty>(Expression<Func<TEntity, TProperty>> property) => FirstLast(HypertableBuilder.PropertyName(property));

    /// <inheritdoc cref="ColumnstoreBuilder.SparseIndexes(string)"/>
    public new ColumnstoreBuilder<TEntity> SparseIndexes(string sparseIndexes) => (ColumnstoreBuilder<TEntity>)base.SparseIndexes(sparseIndexes);

    /// <inheritdoc cref="ColumnstoreBuilder.WithoutAutomaticSparseIndexes"/>
    public new ColumnstoreBuilder<TEntity> WithoutAutomaticSparseIndexes() => (ColumnstoreBuilder<TEntity>)base.WithoutAutomaticSparseIndexes();

    /// <inheritdoc cref="ColumnstoreBuilder.MergeChunksUpTo(TimeSpan)"/>
    public new ColumnstoreBuilder<TEntity> MergeChunksUpTo(TimeSpan interval) => (ColumnstoreBuilder<TEntity>)base.MergeChunksUpTo(interval);

    /// <inheritdoc cref="ColumnstoreBuilder.MergeChunksUpTo(string)"/>
    public new ColumnstoreBuilder<TEntity> MergeChunksUpTo(string interval) => (ColumnstoreBuilder<TEntity>)base.MergeChunksUpTo(interval);

    /// <inheritdoc cref="ColumnstoreBuilder.DirectCompress"/>
    public new ColumnstoreBuilder<TEntity> DirectCompress() => (ColumnstoreBuilder<TEntity>)base.DirectCompress();

    private static string[] PropertyNames<TProperty>(Expression<Func<TEntity, TProperty>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return properties.Body is NewExpression { Members: { } members }
            ? members.Select(m => m.Name).ToArray()
            : [HypertableBuilder.PropertyName(properties)];
    }
}
