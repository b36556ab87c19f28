using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>Every hypertable validation error names the entity, the property and the fix, before anything reaches a database.</summary>
public class ValidationTests
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private static string ErrorOf(Action<ModelBuilder> build)
    {
        using var context = ModelContext.Create(NoServer, build);
        var error = Assert.Throws<InvalidOperationException>(() => context.Model);
        return error.Message;
    }

    private static void Keyed<T>(ModelBuilder b, Action<Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<Reading<T>>> configure)
    {
        var e = b.Entity<Reading<T>>();
        e.HasKey(x => new { x.Time, x.DeviceId });
        configure(e);
    }

    [Fact]
    public void Nullable_time_column_is_rejected()
    {
        var message = ErrorOf(b => b.Entity<Reading<DateTime?>>(e =>
        {
            e.HasNoKey();
            e.IsHypertable(x => x.Time);
        }));
        Assert.Contains("entity 'Reading<DateTime?>'", message, StringComparison.Ordinal);
        Assert.Contains("property 'Time'", message, StringComparison.Ordinal);
        Assert.Contains("nullable", message, StringComparison.Ordinal);
        Assert.Contains("Fix: make 'Time' non-nullable", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Primary_key_without_time_column_is_rejected()
    {
        var message = ErrorOf(b => b.Entity<Reading<DateTime>>(e =>
        {
            e.HasKey(x => x.DeviceId);
            e.IsHypertable(x => x.Time);
        }));
        Assert.Contains("property 'Time'", message, StringComparison.Ordinal);
        Assert.Contains("primary key (DeviceId) does not include partitioning column 'Time'", message, StringComparison.Ordinal);
        Assert.Contains("HasKey(x => new { x.DeviceId, x.Time })", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unique_index_without_time_column_is_rejected()
    {
        var message = ErrorOf(b => Keyed<DateTime>(b, e =>
        {
            e.HasIndex(x => x.Value).IsUnique();
            e.IsHypertable(x => x.Time);
        }));
        Assert.Contains("unique index (Value) does not include partitioning column 'Time'", message, StringComparison.Ordinal);
        Assert.Contains("Fix: add 'Time' to the index or make it non-unique", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 days")]
    [InlineData("-1 hour")]
    public void Non_positive_interval_text_is_rejected(string interval)
    {
        var message = ErrorOf(b => Keyed<DateTime>(b, e => e.IsHypertable(x => x.Time).WithChunkInterval(interval)));
        Assert.Contains("entity 'Reading<DateTime>', property 'Time'", message, StringComparison.Ordinal);
        Assert.Contains("is not positive", message, StringComparison.Ordinal);
        Assert.Contains("Fix: give a positive interval", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_time_span_interval_is_rejected()
    {
        var message = ErrorOf(b => Keyed<DateTime>(b, e => e.IsHypertable(x => x.Time).WithChunkInterval(TimeSpan.Zero)));
        Assert.Contains("property 'Time': the chunk interval 00:00:00 is not positive", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_partitions_below_one_are_rejected()
    {
        var message = ErrorOf(b => Keyed<DateTime>(b, e => e.IsHypertable(x => x.Time).PartitionByHash(x => x.DeviceId, 0)));
        Assert.Contains("property 'DeviceId': a hash dimension needs at least 1 partition, not 0", message, StringComparison.Ordinal);
        Assert.Contains("PartitionByHash(x => x.DeviceId, 4)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_time_column_type_is_rejected()
    {
        var message = ErrorOf(b => b.Entity<Reading<string>>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time);
        }));
        Assert.Contains("entity 'Reading<string>', property 'Time': the time column type String cannot partition a hypertable", message, StringComparison.Ordinal);
        Assert.Contains("Fix: use DateTime, DateTimeOffset, DateOnly, NodaTime", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dimension_on_missing_property_is_rejected()
    {
        var message = ErrorOf(b => Keyed<DateTime>(b, e => e.IsHypertable(x => x.Time).PartitionByHash("Nope", 2)));
        Assert.Contains("property 'Nope': the dimension's property does not exist", message, StringComparison.Ordinal);
        Assert.Contains("Fix: name an existing property of 'Reading<DateTime>'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_hypertable_declarations_on_one_table_are_rejected()
    {
        var message = ErrorOf(b =>
        {
            Keyed<DateTime>(b, e =>
            {
                e.ToTable("shared");
                e.IsHypertable(x => x.Time);
            });
            b.Entity<Reading<DateTimeOffset>>(e =>
            {
                e.ToTable("shared");
                e.HasKey(x => new { x.Time, x.DeviceId });
                e.IsHypertable(x => x.Recorded);
            });
        });
        Assert.Contains("table 'shared' is already declared a hypertable by entity", message, StringComparison.Ordinal);
        Assert.Contains("Fix: declare IsHypertable on one of the entity types sharing the table only", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_time_column_without_integer_interval_is_rejected()
    {
        var message = ErrorOf(b => Keyed<long>(b, e => e.IsHypertable(x => x.Time).WithChunkInterval("1 day")));
        Assert.Contains("property 'Time': the integer time column needs an integer chunk interval, not 1 day", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interval_spellings_normalise_to_one_value()
    {
        Assert.Equal("7 days", IntervalUse.ChunkInterval.Check("7 days").Value.ToString());
        Assert.Equal("7 days", IntervalUse.ChunkInterval.Check("1 week").Value.ToString());
        Assert.Equal("7 days", IntervalUse.ChunkInterval.Check(TimeSpan.FromDays(7)).Value.ToString());
        Assert.Equal("7 days", IntervalUse.ChunkInterval.Check("168 hours").Value.ToString());
        Assert.Equal("90 minutes", IntervalUse.ChunkInterval.Check("01:30:00").Value.ToString());
        Assert.Contains("months and years have no fixed length", IntervalUse.ChunkInterval.Check("1 month").Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Equal_intervals_in_different_spellings_make_no_migration()
    {
        using var week = ModelContext.Create(NoServer, b => Keyed<DateTime>(b, e => e.IsHypertable(x => x.Time).WithChunkInterval("1 week")));
        using var days = ModelContext.Create(NoServer, b => Keyed<DateTime>(b, e => e.IsHypertable(x => x.Time).WithChunkInterval(TimeSpan.FromDays(7))));
        using var text = ModelContext.Create(NoServer, b => Keyed<DateTime>(b, e => e.IsHypertable(x => x.Time).WithChunkInterval("7 days")));
        Assert.Empty(days.DiffFrom(week));
        Assert.Empty(text.DiffFrom(days));
    }

    [Fact]
    public void Attributes_declare_the_same_hypertable_as_the_fluent_api()
    {
        using var attributes = ModelContext.Create(NoServer, b => b.Entity<AttributeReading>().HasKey(x => new { x.Time, x.DeviceId }));
        var create = Assert.Single(attributes.DiffFrom(null).OfType<CreateHypertableOperation>());
        Assert.Equal("Time", create.TimeColumn);
        Assert.Equal("1 day", create.ChunkInterval);
        Assert.False(create.CreateDefaultIndexes);
        var dimension = Assert.Single(attributes.DiffFrom(null).OfType<AddHypertableDimensionOperation>());
        Assert.Equal(("DeviceId", (int?)2), (dimension.Column, dimension.NumberOfPartitions));
    }
}

[Hypertable(nameof(Time), ChunkInterval = "24 hours", CreateDefaultIndexes = false)]
[HypertableHashDimension(nameof(DeviceId), 2)]
public class AttributeReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}
