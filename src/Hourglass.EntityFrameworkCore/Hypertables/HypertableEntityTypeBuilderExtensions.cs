using System.Linq.Expressions;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Declares hypertables in the EF Core model.</summary>
public static class HypertableEntityTypeBuilderExtensions
{
    /// <summary>
    /// Makes the entity's table a TimescaleDB hypertable partitioned by <paramref name="timeProperty"/>; migrations call
    /// <c>create_hypertable(table, by_range(column, interval))</c>.
    /// </summary>
    /// <param name="entityTypeBuilder">The entity type builder.</param>
    /// <param name="timeProperty">The time column, e.g. <c>x =&gt; x.Time</c>.</param>
    /// <returns>A builder for the chunk interval, dimensions and creation options.</returns>
    public static HypertableBuilder<TEntity> IsHypertable<TEntity, TProperty>(
        this EntityTypeBuilder<TEntity> entityTypeBuilder,
        Expression<Func<TEntity, TProperty>> timeProperty)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        var name = HypertableBuilder.PropertyName(timeProperty);
        TimescalePluginCheck.Require(entityTypeBuilder, "Hypertable", name, "IsHypertable(...)");
        entityTypeBuilder.Metadata.SetAnnotation(HypertableAnnotationNames.TimeProperty, name);
        return new HypertableBuilder<TEntity>(entityTypeBuilder.Metadata);
    }

    /// <summary>Makes the entity's table a TimescaleDB hypertable partitioned by the named time property.</summary>
    /// <param name="entityTypeBuilder">The entity type builder.</param>
    /// <param name="timePropertyName">The time property's name.</param>
    /// <returns>A builder for the chunk interval, dimensions and creation options.</returns>
    public static HypertableBuilder IsHypertable(this EntityTypeBuilder entityTypeBuilder, string timePropertyName)
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(timePropertyName);
        TimescalePluginCheck.Require(entityTypeBuilder, "Hypertable", timePropertyName, "IsHypertable(...)");
        entityTypeBuilder.Metadata.SetAnnotation(HypertableAnnotationNames.TimeProperty, timePropertyName);
        return new HypertableBuilder(entityTypeBuilder.Metadata);
    }
}
