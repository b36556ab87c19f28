using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>Every continuous aggregate validation error names the entity, the property and the fix, before anything reaches a database.</summary>
public class ContinuousAggregateValidationTests
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private static string ErrorOf(Action<ModelBuilder> build)
    {
        using var context = CaggModels.Context(NoServer, build);
        return Assert.Throws<InvalidOperationException>(() => context.Model).Message;
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Empty_query_is_rejected(string? sql)
    {
        var message = ErrorOf(b => b.Entity<HourlyMetric>(e =>
        {
            e.HasNoKey();
            e.IsContinuousAggregate("hourly", sql!);
        }));

        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'Sql'", message, StringComparison.Ordinal);
        Assert.Contains("the query of view 'hourly' is empty", message, StringComparison.Ordinal);
        Assert.Contains("Fix: pass the aggregate query", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    public void Start_offset_not_greater_than_end_offset_is_rejected(int startHours, int endHours)
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(TimeSpan.FromHours(startHours), TimeSpan.FromHours(endHours), TimeSpan.FromHours(1))));

        Assert.Contains("entity 'HourlyMetric', property 'startOffset'", message, StringComparison.Ordinal);
        Assert.Contains("must be greater than its end offset", message, StringComparison.Ordinal);
        Assert.Contains("Fix: use e.g. WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_positive_schedule_is_rejected()
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.Zero)));

        Assert.Contains("property 'scheduleInterval'", message, StringComparison.Ordinal);
        Assert.Contains("is not positive", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sub_microsecond_offset_is_rejected_when_declared()
    {
        using var context = CaggModels.Context(NoServer, CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(TimeSpan.FromTicks(15), null, TimeSpan.FromHours(1))));
        var error = Assert.Throws<InvalidOperationException>(() => context.Model);

        Assert.Contains("property 'startOffset'", error.Message, StringComparison.Ordinal);
        Assert.Contains("finer than a microsecond", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_mapping_as_well_is_rejected()
    {
        var message = ErrorOf(b => b.Entity<HourlyMetric>(e =>
        {
            e.HasNoKey();
            e.IsContinuousAggregate("hourly", "SELECT 1");
            e.ToTable("hourly_table");
        }));

        Assert.Contains("entity 'HourlyMetric', property 'TableName'", message, StringComparison.Ordinal);
        Assert.Contains("mapped to table 'hourly_table' as well as to continuous aggregate 'hourly'", message, StringComparison.Ordinal);
        Assert.Contains("Fix: remove ToTable(...)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void View_name_used_by_a_table_is_rejected()
    {
        var message = ErrorOf(CaggModels.Model("metrics", "metrics"));

        Assert.Contains("entity 'HourlyMetric', property 'ViewName'", message, StringComparison.Ordinal);
        Assert.Contains("the name 'metrics' is also used by entity 'Metric' (table)", message, StringComparison.Ordinal);
        Assert.Contains("Fix: choose a view name", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_aggregates_with_one_view_name_are_rejected()
    {
        var message = ErrorOf(b =>
        {
            b.Entity<HourlyMetric>(e => e.HasNoKey().IsContinuousAggregate("hourly", "SELECT 1"));
            b.Entity<Metric>(e => e.HasNoKey().IsContinuousAggregate("hourly", "SELECT 2"));
        });

        Assert.Contains("view 'hourly' is already the continuous aggregate of entity", message, StringComparison.Ordinal);
        Assert.Contains("Fix: give each continuous aggregate its own view name", message, StringComparison.Ordinal);
    }
}
