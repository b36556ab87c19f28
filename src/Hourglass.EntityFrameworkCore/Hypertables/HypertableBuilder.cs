using Hourglass.EntityFrameworkCore.Infrastructure;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Configures a hypertable declared with <c>IsHypertable</c>.</summary>
public class HypertableBuilder
{
    internal HypertableBuilder(IMutableEntityType entityType) => EntityType = entityType;

    internal IMutableEntityType EntityType { get; }

    /// <summary>Sets the time dimension's chunk interval (TimescaleDB's default is 7 days).</summary>
    /// <param name="interval">A positive time span, e.g. <c>TimeSpan.FromDays(1)</c>.</param>
    public HypertableBuilder WithChunkInterval(TimeSpan interval)
    {
        SetAnnotation(HypertableAnnotationNames.ChunkInterval, HypertableModelErrors.Interval(EntityType, TimeProperty, interval).ToString());
        return this;
    }

    /// <summary>Sets the time dimension's chunk interval as PostgreSQL interval text, e.g. <c>"1 day"</c> or <c>"12 hours"</c>; digits for integer time columns.</summary>
    /// <param name="interval">The interval text.</param>
    public HypertableBuilder WithChunkInterval(string interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        SetAnnotation(HypertableAnnotationNames.ChunkInterval, HypertableModelErrors.Interval(EntityType, TimeProperty, interval).ToString());
        return this;
    }

    /// <summary>Sets the chunk interval of an integer time column, in the column's units.</summary>
    /// <param name="interval">A positive number of time units per chunk.</param>
    public HypertableBuilder WithChunkInterval(long interval)
    {
        SetAnnotation(HypertableAnnotationNames.ChunkInterval, HypertableModelErrors.Interval(EntityType, TimeProperty, interval).ToString());
        return this;
    }

    /// <summary>Adds a hash dimension: <c>add_dimension(table, by_hash(column, partitions))</c>.</summary>
    /// <param name="propertyName">The property to hash.</param>
    /// <param name="partitions">The number of partitions, at least 1.</param>
    public HypertableBuilder PartitionByHash(string propertyName, int partitions)
    {
        ArgumentNullException.ThrowIfNull(propertyName);
        SetDimension(HypertableModelErrors.HashDimension(EntityType, propertyName, partitions));
        return this;
    }

    /// <summary>Adds a range dimension: <c>add_dimension(table, by_range(column, interval))</c>.</summary>
    /// <param name="propertyName">The property to partition by range.</param>
    /// <param name="interval">Interval text (or digits for an integer column); null for TimescaleDB's default.</param>
    public HypertableBuilder PartitionByRange(string propertyName, string? interval = null)
    {
        ArgumentNullException.ThrowIfNull(propertyName);
        TimescaleInterval? normalized = interval is null ? null : HypertableModelErrors.Interval(EntityType, propertyName, interval);
        SetDimension(new HypertableDimension(propertyName, null, normalized));
        return this;
    }

    /// <summary>Does not let TimescaleDB create its default indexes (<c>create_default_indexes =&gt; false</c>).</summary>
    public HypertableBuilder WithoutDefaultIndexes()
    {
        SetAnnotation(HypertableAnnotationNames.CreateDefaultIndexes, false);
        return this;
    }

    /// <summary>Moves rows already in the table into chunks when it becomes a hypertable (<c>migrate_data =&gt; true</c>).</summary>
    public HypertableBuilder MigrateData()
    {
        SetAnnotation(HypertableAnnotationNames.MigrateData, true);
        return this;
    }

    /// <summary>
    /// Names the SQL function returning "now" in an integer time column's units (<c>set_integer_now_func</c>); policies on
    /// integer hypertables need it. The function must exist, e.g. created with <c>migrationBuilder.Sql</c>.
    /// </summary>
    /// <param name="functionName">The function, optionally schema-qualified.</param>
    public HypertableBuilder WithIntegerNowFunction(string functionName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(functionName);
        SetAnnotation(HypertableAnnotationNames.IntegerNowFunction, functionName);
        return this;
    }

    private string TimeProperty => (string)EntityType[HypertableAnnotationNames.TimeProperty]!;

    private void SetAnnotation(string name, object value) => EntityType.SetAnnotation(name, value);

    private void SetDimension(HypertableDimension dimension)
    {
        var dimensions = HypertableDimension.Parse(EntityType[HypertableAnnotationNames.Dimensions] as string);
        dimensions.RemoveAll(d => d.Property == dimension.Property);
        dimensions.Add(dimension);
        SetAnnotation(HypertableAnnotationNames.Dimensions, HypertableDimension.Format(dimensions));
    }

    internal static string PropertyName<TEntity, TProperty>(Expression<Func<TEntity, TProperty>> property)
    {
        ArgumentNullException.ThrowIfNull(property);
        var body = property.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : property.Body;
        return body is MemberExpression member
            ? member.Member.Name
            : throw new ArgumentException($"The expression '{property}' must name a property, e.g. x => x.Time.", nameof(property));
    }
}

/// <summary>Configures a hypertable declared with <c>IsHypertable</c>, with property expressions.</summary>
/// <typeparam name="TEntity">The entity type.</typeparam>
public sealed class HypertableBuilder<TEntity> : HypertableBuilder
    where TEntity : class
{
    internal HypertableBuilder(IMutableEntityType entityType)
        : base(entityType)
    {
    }

    /// <inheritdoc cref="HypertableBuilder.WithChunkInterval(TimeSpan)"/>
    public new HypertableBuilder<TEntity> WithChunkInterval(TimeSpan interval) => (HypertableBuilder<TEntity>)base.WithChunkInterval(interval);

    /// <inheritdoc cref="HypertableBuilder.WithChunkInterval(string)"/>
    public new HypertableBuilder<TEntity> WithChunkInterval(string interval) => (HypertableBuilder<TEntity>)base.WithChunkInterval(interval);

    /// <inheritdoc cref="HypertableBuilder.WithChunkInterval(long)"/>
    public new HypertableBuilder<TEntity> WithChunkInterval(long interval) => (HypertableBuilder<TEntity>)base.WithChunkInterval(interval);

    /// <summary>Adds a hash dimension: <c>add_dimension(table, by_hash(column, partitions))</c>.</summary>
    /// <param name="property">The property to hash, e.g. <c>x =&gt; x.DeviceId</c>.</param>
    /// <param name="partitions">The number of partitions, at least 1.</param>
    public HypertableBuilder<TEntity> PartitionByHash<TProperty>(Expression<Func<TEntity, TProperty>> property, int partitions)
        => (HypertableBuilder<TEntity>)PartitionByHash(PropertyName(property), partitions);

    /// <summary>Adds a range dimension: <c>add_dimension(table, by_range(column, interval))</c>.</summary>
    /// <param name="property">The property to partition by range.</param>
    /// <param name="interval">Interval text (or digits for an integer column); null for TimescaleDB's default.</param>
    public HypertableBuilder<TEntity> PartitionByRange<TProperty>(Expression<Func<TEntity, TProperty>> property, string? interval = null)
        => (HypertableBuilder<TEntity>)PartitionByRange(PropertyName(property), interval);

    /// <summary>Adds a range dimension with a time span interval.</summary>
    /// <param name="property">The property to partition by range.</param>
    /// <param name="interval">A positive time span.</param>
    public HypertableBuilder<TEntity> PartitionByRange<TProperty>(Expression<Func<TEntity, TProperty>> property, TimeSpan interval)
    {
        var name = PropertyName(property);
        return PartitionByRange(property, HypertableModelErrors.Interval(EntityType, name, interval).ToString());
    }

    /// <inheritdoc cref="HypertableBuilder.WithoutDefaultIndexes"/>
    public new HypertableBuilder<TEntity> WithoutDefaultIndexes() => (HypertableBuilder<TEntity>)base.WithoutDefaultIndexes();

    /// <inheritdoc cref="HypertableBuilder.MigrateData"/>
    public new HypertableBuilder<TEntity> MigrateData() => (HypertableBuilder<TEntity>)base.MigrateData();

    /// <inheritdoc cref="HypertableBuilder.WithIntegerNowFunction"/>
    public new HypertableBuilder<TEntity> WithIntegerNowFunction(string functionName) => (HypertableBuilder<TEntity>)base.WithIntegerNowFunction(functionName);
}
