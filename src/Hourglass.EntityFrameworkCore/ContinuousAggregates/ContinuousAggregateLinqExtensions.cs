using System.Linq.Expressions;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Declares TimescaleDB continuous aggregates in the EF Core model as LINQ queries over their source entity.</summary>
public static class ContinuousAggregateLinqExtensions
{
    /// <summary>
    /// Maps the entity to a continuous aggregate whose query is a LINQ query over the source entity (a hypertable, or a
    /// lower continuous aggregate for a hierarchical one):
    /// <code>
    /// modelBuilder.Entity&lt;HourlyMetric&gt;().HasNoKey().IsContinuousAggregate&lt;HourlyMetric, Metric&gt;("metrics_hourly", metrics =&gt; metrics
    ///     .GroupBy(m =&gt; new { Hour = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
    ///     .Select(g =&gt; new HourlyMetric { Hour = g.Key.Hour, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m =&gt; m.Value) }));
    /// </code>
    /// When a migration is generated, EF Core translates the query with the application's provider, naming conventions
    /// and plugins; the SQL is written into the migration and the model snapshot, so a change to the query, or to a
    /// name it uses, gives a migration. Every mapped property of the entity must be set in the final
    /// <c>Select(g =&gt; new TAggregate { ... })</c>, and the grouping must contain
    /// <c>EF.Functions.TimeBucket(width, source.Time)</c> over the source's time column.
    /// </summary>
    /// <typeparam name="TAggregate">The aggregate's entity type.</typeparam>
    /// <typeparam name="TSource">The entity type the aggregate reads.</typeparam>
    /// <param name="entityTypeBuilder">The aggregate entity's builder.</param>
    /// <param name="viewName">The view's name.</param>
    /// <param name="query">The aggregate query: GroupBy over the source, then Select into <typeparamref name="TAggregate"/>.</param>
    /// <param name="schema">The view's schema; null for the model's default schema.</param>
    /// <returns>A builder for the refresh policy and view options.</returns>
    public static ContinuousAggregateBuilder IsContinuousAggregate<TAggregate, TSource>(
        this EntityTypeBuilder<TAggregate> entityTypeBuilder,
        string viewName,
        Expression<Func<IQueryable<TSource>, IQueryable<TAggregate>>> query,
        string? schema = null)
        where TAggregate : class
        where TSource : class
    {
        ArgumentNullException.ThrowIfNull(entityTypeBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(viewName);
        ArgumentNullException.ThrowIfNull(query);
        var builder = entityTypeBuilder.IsContinuousAggregate(viewName, "", schema);
        // The query replaces the SQL text: the SQL is made from it when a migration is generated.
        entityTypeBuilder.Metadata.RemoveAnnotation(ContinuousAggregateAnnotationNames.Sql);
        entityTypeBuilder.Metadata.SetAnnotation(ContinuousAggregateQuery.AnnotationName, new ContinuousAggregateQuery(typeof(TSource), query));
        return builder;
    }
}
