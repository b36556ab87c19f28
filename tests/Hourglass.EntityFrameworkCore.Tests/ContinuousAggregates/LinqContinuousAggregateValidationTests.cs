using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>LINQ-defined continuous aggregates: each mistake gives an error naming the entity, the property and the fix.</summary>
public class LinqContinuousAggregateValidationTests
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private static Action<ModelBuilder> Model(Expression<Func<IQueryable<Metric>, IQueryable<HourlyMetric>>> query) => b =>
    {
        b.Entity<Metric>(e =>
        {
            e.ToTable("v_metrics");
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time);
        });
        b.Entity<HourlyMetric>(e =>
        {
            e.HasNoKey();
            e.IsContinuousAggregate<HourlyMetric, Metric>("v_hourly", query);
        });
    };

    private static string ModelError(Expression<Func<IQueryable<Metric>, IQueryable<HourlyMetric>>> query)
    {
        using var context = CaggModels.Context(NoServer, Model(query));
        return Assert.Throws<InvalidOperationException>(() => context.Model).Message;
    }

    private static double NotTranslatable(double value) => value * 2;

    [Fact]
    public void A_property_the_select_does_not_set_is_named()
    {
        var message = ModelError(metrics => metrics
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
            .Select(g => new HourlyMetric { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => m.Value) }));

        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'MaxValue': the property has no column in the aggregate", message, StringComparison.Ordinal);
        Assert.Contains("Fix: set it in the Select", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grouping_without_time_bucket_on_the_time_column_is_refused()
    {
        var message = ModelError(metrics => metrics
            .GroupBy(m => new { m.Time, m.DeviceId })
            .Select(g => new HourlyMetric { Bucket = g.Key.Time, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => m.Value), MaxValue = g.Max(m => m.Value) }));

        Assert.Contains("property 'query': the grouping has no EF.Functions.TimeBucket(...) over the source's time column 'Time'", message, StringComparison.Ordinal);
        Assert.Contains("Fix: group by EF.Functions.TimeBucket(TimeSpan.FromHours(1), x.Time)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Order_by_and_non_immutable_values_are_refused()
    {
        var ordered = ModelError(metrics => metrics
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
            .Select(g => new HourlyMetric { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => m.Value), MaxValue = g.Max(m => m.Value) })
            .OrderBy(h => h.Bucket));
        Assert.Contains("the query calls OrderBy, which TimescaleDB refuses in a continuous aggregate", ordered, StringComparison.Ordinal);

        var now = ModelError(metrics => metrics
            .Where(m => m.Time < DateTime.UtcNow)
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
            .Select(g => new HourlyMetric { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => m.Value), MaxValue = g.Max(m => m.Value) }));
        Assert.Contains("the query uses DateTime.UtcNow, whose SQL is not immutable", now, StringComparison.Ordinal);
    }

    [Fact]
    public void A_query_EF_cannot_translate_gives_EFs_message_and_the_fix_when_the_migration_is_made()
    {
        using var context = CaggModels.Context(NoServer, Model(metrics => metrics
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
            .Select(g => new HourlyMetric { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => NotTranslatable(m.Value)), MaxValue = g.Max(m => m.Value) })));

        var message = Assert.Throws<InvalidOperationException>(() => context.DiffFrom(null)).Message;

        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'query': EF Core cannot translate the aggregate's query to SQL: ", message, StringComparison.Ordinal);
        Assert.Contains("NotTranslatable", message, StringComparison.Ordinal);
        Assert.Contains("IsContinuousAggregate(\"view\", \"SELECT ...\")", message, StringComparison.Ordinal);
    }
}
