using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
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
    public void Offsets_in_months_are_kept_as_months()
    {
        using var context = CaggModels.Context(NoServer, CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy("3 months", "1 day", "1 day")));
        var policy = ContinuousAggregateDefinition.Find(context.Model.GetEntityTypes().Single(e => e.ClrType == typeof(HourlyMetric)))!.Policy!;

        Assert.Equal(TimescaleInterval.FromMonths(3), policy.StartOffset);
        Assert.Equal(TimescaleInterval.FromTimeSpan(TimeSpan.FromDays(1)), policy.EndOffset);
        Assert.Equal("start=3 months; end=1 day; schedule=1 day", policy.ToString());
    }

    [Fact]
    public void Unbounded_offsets_with_a_text_schedule_choose_an_overload()
    {
        // Both the (TimeSpan?, TimeSpan?, string) and the (string?, string?, string) overloads take two nulls; this must compile.
        using var context = CaggModels.Context(NoServer, CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(null, null, "1 month")));
        var policy = ContinuousAggregateDefinition.Find(context.Model.GetEntityTypes().Single(e => e.ClrType == typeof(HourlyMetric)))!.Policy!;

        Assert.Null(policy.StartOffset);
        Assert.Null(policy.EndOffset);
        Assert.Equal(TimescaleInterval.FromMonths(1), policy.ScheduleInterval);
    }

    [Theory]
    [InlineData("3 hours", "2 hours", "2 hours more than the end offset (2 hours)")]
    [InlineData("1 month 1 hour", "30 days", "2 hours more than the end offset (30 days)")]
    public void A_window_shorter_than_two_buckets_is_rejected(string start, string end, string fix)
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(start, end, "1 hour")));

        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'startOffset'", message, StringComparison.Ordinal);
        Assert.Contains("is shorter than two of the query's 1 hour buckets", message, StringComparison.Ordinal);
        Assert.Contains("policy refresh window too small", message, StringComparison.Ordinal);
        Assert.Contains("Fix: make the start offset at least " + fix, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_window_shorter_than_two_monthly_buckets_is_rejected_with_months_in_the_fix()
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy("2 months", "1 month", "1 day"), sql: CaggModels.HourlySql.Replace("'1 hour'", "'1 month'", StringComparison.Ordinal)));

        Assert.Contains("property 'startOffset'", message, StringComparison.Ordinal);
        Assert.Contains("two of the query's 1 month buckets", message, StringComparison.Ordinal);
        Assert.Contains("Fix: make the start offset at least 2 months more than the end offset (1 month)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_month_is_not_more_than_30_days()
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy("1 month", "30 days", "1 hour")));

        Assert.Contains("property 'startOffset'", message, StringComparison.Ordinal);
        Assert.Contains("start offset (1 month) must be greater than its end offset (30 days)", message, StringComparison.Ordinal);
        Assert.Contains("TimescaleDB counts a month as 30 days", message, StringComparison.Ordinal);
        Assert.Contains("WithRefreshPolicy(\"3 months\", \"1 day\", \"1 day\")", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offsets_of_any_size_are_compared_without_overflow()
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy("-100000000 years", "100000000 years", "1 day")));
        Assert.Contains("start offset (-1200000000 months) must be greater than its end offset (1200000000 months)", message, StringComparison.Ordinal);

        using var context = CaggModels.Context(NoServer, CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(long.MaxValue, long.MinValue, "1 day"), sql: "SELECT time_bucket(10, device_id) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM {0} GROUP BY 1, 2"));
        Assert.NotNull(context.Model);
    }

    [Fact]
    public void Time_offsets_on_an_integer_bucket_are_rejected()
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1)), sql: "SELECT time_bucket(10, device_id) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM {0} GROUP BY 1, 2"));

        Assert.Contains("property 'startOffset'", message, StringComparison.Ordinal);
        Assert.Contains("buckets an integer time column (time_bucket(10, ...)), so TimescaleDB takes integer offsets for its refresh policy, not the interval 3 days", message, StringComparison.Ordinal);
        Assert.Contains("Fix: give the offsets in the time column's units, e.g. WithRefreshPolicy(100, 10, \"1 hour\")", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_offsets_on_a_time_bucket_are_rejected()
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(null, 10, "1 hour")));

        Assert.Contains("property 'endOffset'", message, StringComparison.Ordinal);
        Assert.Contains("buckets a time column (time_bucket('1 hour', ...)), so TimescaleDB takes time intervals for its refresh policy's offsets, not the integer 10", message, StringComparison.Ordinal);
        Assert.Contains("Fix: give time spans or interval text", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(29, 10, "shorter than two of the query's buckets of 10")]
    [InlineData(10, 30, "start offset (10) must be greater than its end offset (30)")]
    public void Integer_windows_follow_the_same_rules(long start, long end, string problem)
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy(start, end, "1 hour"), sql: "SELECT time_bucket(10, device_id) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM {0} GROUP BY 1, 2"));

        Assert.Contains("property 'startOffset'", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("100", "is a number, not a time interval")]
    [InlineData("soon", "\"soon\" is not an interval")]
    [InlineData("1.5 months", "fraction of a month")]
    public void Offset_text_that_is_no_time_interval_is_rejected(string end, string problem)
    {
        var message = ErrorOf(CaggModels.Model("metrics", "hourly", c => c.WithRefreshPolicy("3 months", end, "1 day")));

        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'endOffset'", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
        Assert.Contains("interval text such as \"3 months\"", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT time_bucket('1 hour', time) FROM m GROUP BY 1", "1 hour")]
    [InlineData("SELECT time_bucket(INTERVAL '1 day', time, 'Europe/Berlin') FROM m GROUP BY 1", "1 day")]
    [InlineData("SELECT public.time_bucket('1 mon'::interval, m.\"time\") FROM m GROUP BY 1", "1 month")]
    [InlineData("SELECT time_bucket('01:00:00'::interval, \"time\") AS bucket FROM m GROUP BY (time_bucket('01:00:00'::interval, \"time\"))", "1 hour")]
    [InlineData("SELECT time_bucket(10, t) FROM m GROUP BY 1", "10")]
    [InlineData("SELECT time_bucket('1 hour', time), time_bucket('1 day', time) FROM m GROUP BY 1, 2", null)]
    [InlineData("SELECT time_bucket(INTERVAL '1 hour' * 2, time) FROM m GROUP BY 1", null)]
    [InlineData("SELECT time_bucket_ng('1 hour', time) FROM m GROUP BY 1", null)]
    [InlineData("SELECT date_trunc('hour', time) FROM m GROUP BY 1", null)]
    public void The_bucket_width_is_read_when_the_query_states_it(string sql, string? width)
        => Assert.Equal(width, ContinuousAggregateSql.BucketWidth(sql)?.ToString());

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
