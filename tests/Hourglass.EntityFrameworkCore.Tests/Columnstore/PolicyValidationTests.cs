using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Reorder;
using Hourglass.EntityFrameworkCore.Retention;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Columnstore;

/// <summary>Every columnstore, retention and reorder validation error names the entity, the property and the fix, before any database is touched.</summary>
public class PolicyValidationTests
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private static string ErrorOf(Action<ModelBuilder> build)
    {
        using var context = ModelContext.Create(NoServer, build);
        return Assert.Throws<InvalidOperationException>(() => context.Model).Message;
    }

    private static Action<ModelBuilder> Hypertable<T>(Action<HypertableBuilder<Reading<T>>> configure, Action<EntityTypeBuilder<Reading<T>>>? entity = null)
        => b => b.Entity<Reading<T>>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            entity?.Invoke(e);
            configure(e.IsHypertable(x => x.Time).WithChunkInterval(typeof(T) == typeof(long) ? "1000" : "1 day"));
        });

    [Fact]
    public void Segmentby_on_a_missing_property_is_rejected()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithColumnstore(c => c.SegmentBy("Device"))));
        Assert.Contains("Columnstore on entity 'Reading<DateTime>', property 'Device': SegmentBy names a property that does not exist", message, StringComparison.Ordinal);
        Assert.Contains("Fix: name an existing property of 'Reading<DateTime>' in SegmentBy(...) (Time, DeviceId, ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Orderby_on_a_missing_property_is_rejected_with_the_right_spelling()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithColumnstore(c => c.OrderBy("time DESC"))));
        Assert.Contains("property 'time': OrderBy names a property that does not exist", message, StringComparison.Ordinal);
        Assert.Contains("Fix: property names are case-sensitive: write 'Time' in OrderBy(...)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Time DOWN")]
    [InlineData("Time DESC NULLS")]
    [InlineData("Time DESC,")]
    public void Orderby_with_invalid_syntax_is_rejected(string orderBy)
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithColumnstore(c => c.OrderBy(orderBy))));
        Assert.Contains("Columnstore on entity 'Reading<DateTime>'", message, StringComparison.Ordinal);
        Assert.Contains("is not \"Property [ASC|DESC] [NULLS FIRST|NULLS LAST]\"", message, StringComparison.Ordinal);
        Assert.Contains("Fix: write e.g. OrderBy(\"Time DESC\")", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_property_in_segmentby_and_orderby_is_rejected()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy("DeviceId, Time DESC"))));
        Assert.Contains("property 'DeviceId': the property is in both segmentby and orderby", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Columnstore_on_a_plain_table_is_rejected()
    {
        var message = ErrorOf(b => b.Entity<PlainColumnstoreReading>().HasKey(x => new { x.Time, x.DeviceId }));
        Assert.Contains("Columnstore on entity 'PlainColumnstoreReading', property '(table)': the entity is not a hypertable", message, StringComparison.Ordinal);
        Assert.Contains("Fix: declare the hypertable first: IsHypertable(x => x.Time).WithColumnstore(...)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Columnstore_policy_without_columnstore_is_rejected()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithColumnstorePolicy(TimeSpan.FromDays(7))));
        Assert.Contains("Columnstore policy on entity 'Reading<DateTime>'", message, StringComparison.Ordinal);
        Assert.Contains("a columnstore policy needs the columnstore enabled on the hypertable", message, StringComparison.Ordinal);
        Assert.Contains("Fix: call WithColumnstore(", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_positive_policy_interval_is_rejected()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithColumnstore().WithColumnstorePolicy(TimeSpan.Zero)));
        Assert.Contains("Columnstore policy on entity 'Reading<DateTime>', property 'Time': the interval 00:00:00 is not positive", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_interval_on_an_integer_time_column_is_rejected()
    {
        var message = ErrorOf(Hypertable<long>(h => h.WithIntegerNowFunction("now_ms").WithRetentionPolicy("30 days")));
        Assert.Contains("Retention policy on entity 'Reading<long>', property 'Time': the time column is an integer, so the interval must be a number", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_interval_on_a_date_time_column_is_rejected()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithColumnstore().WithColumnstorePolicy(1000)));
        Assert.Contains("property 'Time': the interval 1000 is a number but the time column is a date/time", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_policies_without_an_integer_now_function_are_rejected()
    {
        var message = ErrorOf(Hypertable<long>(h => h.WithRetentionPolicy(5000)));
        Assert.Contains("Retention policy on entity 'Reading<long>', property 'Time': policies on an integer time column need TimescaleDB's integer-now function", message, StringComparison.Ordinal);
        Assert.Contains("Fix: call WithIntegerNowFunction(", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_with_a_bad_interval_is_rejected()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithRetentionPolicy("ninety days")));
        Assert.Contains("Retention policy on entity 'Reading<DateTime>', property 'Time': the interval \"ninety days\" is not an interval", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_on_a_plain_table_is_rejected()
    {
        var message = ErrorOf(b => b.Entity<PlainRetainedReading>().HasKey(x => new { x.Time, x.DeviceId }));
        Assert.Contains("Retention policy on entity 'PlainRetainedReading', property '(table)': the entity is not a hypertable", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reorder_by_an_index_missing_from_the_model_is_rejected()
    {
        var message = ErrorOf(Hypertable<DateTime>(h => h.WithReorderPolicy("ix_missing"), e => e.HasIndex(x => x.DeviceId).HasDatabaseName("ix_device")));
        Assert.Contains("Reorder policy on entity 'Reading<DateTime>', property 'ix_missing': the index 'ix_missing' is not an index of the entity's table in the model (its indexes: ix_device, PK_Reading<DateTime>)", message, StringComparison.Ordinal);
        Assert.Contains("Fix: declare it, e.g. HasIndex(x => new { x.DeviceId, x.Time }).HasDatabaseName(\"ix_missing\")", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reorder_on_a_plain_table_is_rejected()
    {
        var message = ErrorOf(b => b.Entity<PlainReorderedReading>().HasKey(x => new { x.Time, x.DeviceId }));
        Assert.Contains("Reorder policy on entity 'PlainReorderedReading', property '(table)': the entity is not a hypertable", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_interval_spellings_normalise_to_one_value()
    {
        var retention = RetentionPolicy.Kind.ArgumentUse;
        Assert.Equal("90 days", retention.Check("90 days").Value.ToString());
        Assert.Equal("90 days", retention.Check(TimeSpan.FromDays(90)).Value.ToString());
        Assert.Equal("12 months", retention.Check("1 year").Value.ToString());
        Assert.Equal("3 months", retention.Check("3 mons").Value.ToString());
        Assert.Null(retention.Check("1 year").Problem);
        Assert.Equal("12 months", TimescaleInterval.FromCatalog(new NpgsqlTypes.NpgsqlInterval(12, 0, 0)).ToString());
        Assert.Equal("14 months", TimescaleInterval.FromCatalog(new NpgsqlTypes.NpgsqlInterval(14, 0, 0)).ToString());
        Assert.Equal("7 days", TimescaleInterval.FromCatalog(TimeSpan.FromDays(7)).ToString());
        Assert.Equal("36 hours", TimescaleInterval.FromCatalog(TimeSpan.FromHours(36)).ToString());
        Assert.Equal("1 month 2 days", TimescaleInterval.FromCatalog(new NpgsqlTypes.NpgsqlInterval(1, 2, 0)).ToString());
        using var year = ModelContext.Create(NoServer, Hypertable<DateTime>(h => h.WithRetentionPolicy("1 year")));
        using var months = ModelContext.Create(NoServer, Hypertable<DateTime>(h => h.WithRetentionPolicy("12 months")));
        Assert.Empty(months.DiffFrom(year));
    }

    [Fact]
    public void Columnstore_attribute_declares_the_same_settings_as_the_fluent_api()
    {
        using var attribute = ModelContext.Create(NoServer, b => b.Entity<ColumnstoreReading>().HasKey(x => new { x.Time, x.DeviceId }));
        var set = Assert.Single(attribute.DiffFrom(null).OfType<SetColumnstoreOperation>());
        Assert.Equal(("DeviceId", "Time DESC"), (set.SegmentBy, set.OrderBy));
        Assert.Equal("7 days", Assert.Single(attribute.DiffFrom(null).OfType<AddColumnstorePolicyOperation>()).After);
        using var fluent = ModelContext.Create(NoServer, b => b.Entity<ColumnstoreReading>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true)).WithColumnstorePolicy(TimeSpan.FromDays(7));
        }));
        Assert.Empty(fluent.DiffFrom(attribute));
    }
}

[Columnstore(SegmentBy = nameof(DeviceId))]
public class PlainColumnstoreReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}

[RetentionPolicy("30 days")]
public class PlainRetainedReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}

[ReorderPolicy("ix_plain")]
public class PlainReorderedReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}

[Hypertable(nameof(Time))]
[Columnstore(SegmentBy = nameof(DeviceId), OrderBy = "Time DESC NULLS FIRST", PolicyAfter = "1 week")]
public class ColumnstoreReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}
