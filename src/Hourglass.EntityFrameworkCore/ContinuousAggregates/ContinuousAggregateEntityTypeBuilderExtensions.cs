using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Declares TimescaleDB continuous aggregates in the EF Core model.</summary>
public static class ContinuousAggregateEntityTypeBuilderExtensions
{
    /// <summary>
    /// Maps the entity to a continuous aggregate: a view (EF's <c>ToView</c>, so no table is created and the entity is
    /// queried like any view) that migrations create with
    /// <c>CREATE MATERIALIZED VIEW name WITH (timescaledb.continuous) AS <paramref name="sql"/></c>.
    /// </summary>
    /// <param name="entityTypeBuilder">The entity type builder.</param>
    /// <param name="viewName">The view's name.</param>
    /// <param name="sql">
    /// The aggregate query over a hypertable, e.g. <c>SELECT time_bucket('1 hour', time) AS bucket, device_id,
    /// avg(value) AS avg_value FROM metrics GROUP BY 1, 2</c>; its output columns are the entity's column names.
    /// </param>
    /// <param name="schema">The view's schema; null for the model's default schema.</param>
    /// <returns>A builder for the refresh policy and view options.</returns>
    public static ContinuousAggregateBuilder IsContinuousAggregate(this EntityTypeBuilder entityTypeBuilder, string viewName, string sql, string? schema = null)
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(viewName);
        TimescalePluginCheck.Require(entityTypeBuilder, "Continuous aggregate", "Sql", "IsContinuousAggregate(...)");
        // A view has no key of its own: keyless unless the application configures one (explicitly, before or after).
        ((IConventionEntityType)entityTypeBuilder.Metadata).Builder.HasNoKey();
        // Explicitly no table: naming conventions (e.g. snake_case) otherwise keep the default table name they rewrote.
        entityTypeBuilder.ToTable((string?)null);
        entityTypeBuilder.ToView(viewName, schema);
        entityTypeBuilder.Metadata.SetAnnotation(ContinuousAggregateAnnotationNames.Sql, sql ?? "");
        return new ContinuousAggregateBuilder(entityTypeBuilder.Metadata);
    }
}
