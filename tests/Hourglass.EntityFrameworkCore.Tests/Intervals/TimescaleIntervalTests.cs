using System.Text.Json;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using NpgsqlTypes;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Intervals;

/// <summary>The one interval type: parsing, equality, SQL, C# and its errors where an interval is used.</summary>
public sealed class TimescaleIntervalTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    [Theory]
    [InlineData("7 days", "7 days")]
    [InlineData("1 week", "7 days")]
    [InlineData("168 hours", "7 days")]
    [InlineData("1 day 12 hours", "36 hours")]
    [InlineData("1 day, 12 hours", "36 hours")]
    [InlineData("1.5 days", "36 hours")]
    [InlineData("01:30:00", "90 minutes")]
    [InlineData("1 day 01:30:00", "1530 minutes")]
    [InlineData("1.12:00:00", "36 hours")]
    [InlineData("  2 HOURS ", "2 hours")]
    [InlineData("250 ms", "250 milliseconds")]
    [InlineData("1 second 1 us", "1000001 microseconds")]
    [InlineData("-1 hour", "-1 hour")]
    [InlineData("0 seconds", "0 seconds")]
    [InlineData("3 mons", "3 months")]
    [InlineData("1 year", "12 months")]
    [InlineData("1 year 2 months", "14 months")]
    [InlineData("1 month 12 hours", "1 month 12 hours")]
    [InlineData("86400000", "86400000")]
    [InlineData("+5", "5")]
    public void Text_reads_as_its_canonical_value(string text, string canonical)
    {
        var interval = TimescaleInterval.Parse(text);
        Assert.Equal(canonical, interval.ToString());
        Assert.Equal(interval, TimescaleInterval.Parse(canonical));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1 fortnight")]
    [InlineData("ninety days")]
    [InlineData("１ day")]
    [InlineData("1 day; 2 days")]
    [InlineData("1 day'; DROP TABLE t; --")]
    [InlineData("1.5 months")]
    [InlineData("0.5 us")]
    [InlineData("99999999999999999999")]
    public void Text_that_is_no_interval_is_refused_with_its_reason(string text)
    {
        Assert.False(TimescaleInterval.TryParse(text, out _, out var problem));
        Assert.Contains(text.Length == 0 ? "\"\"" : text, problem, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => TimescaleInterval.Parse(text));
    }

    [Fact]
    public void Equal_lengths_are_equal_whatever_their_source()
    {
        TimescaleInterval[] week =
        [
            TimescaleInterval.Parse("7 days"),
            TimescaleInterval.Parse("1 week"),
            TimescaleInterval.FromTimeSpan(TimeSpan.FromDays(7)),
            TimescaleInterval.FromCatalog(TimeSpan.FromDays(7))!.Value,
            TimescaleInterval.FromCatalog(new NpgsqlInterval(0, 7, 0))!.Value,
            TimescaleInterval.FromCatalog(new NpgsqlInterval(0, 6, TimeSpan.FromDays(1).Ticks / 10))!.Value,
            TimescaleInterval.FromCatalog("168 hours")!.Value,
            TimescaleInterval.DefaultChunkInterval,
        ];
        Assert.All(week, w => Assert.Equal(week[0], w));
        Assert.All(week, w => Assert.Equal(week[0].GetHashCode(), w.GetHashCode()));
        Assert.NotEqual(TimescaleInterval.Parse("1 month"), TimescaleInterval.Parse("30 days"));
        Assert.NotEqual(TimescaleInterval.FromInteger(604_800_000_000), week[0]);
        Assert.Equal(TimescaleInterval.FromInteger(1000), TimescaleInterval.FromCatalog(1000L));
        Assert.Null(TimescaleInterval.FromCatalog(null));
        Assert.Null(TimescaleInterval.FromCatalog(DBNull.Value));
    }

    [Fact]
    public void Sql_is_an_interval_literal_or_the_bare_number()
    {
        Assert.Equal("INTERVAL '7 days'", TimescaleInterval.Parse("1 week").ToSql());
        Assert.Equal("INTERVAL '12 months'", TimescaleInterval.Parse("1 year").ToSql());
        Assert.Equal("INTERVAL '0 seconds'", TimescaleInterval.Zero.ToSql());
        Assert.Equal("86400000", TimescaleInterval.FromInteger(86_400_000).ToSql());
    }

    [Theory]
    [InlineData("7 days")]
    [InlineData("36 hours")]
    [InlineData("-1 hour")]
    [InlineData("1000001 microseconds")]
    [InlineData("14 months")]
    [InlineData("1 month 12 hours")]
    [InlineData("0 seconds")]
    public async Task The_server_reads_the_sql_as_the_same_interval(string text)
    {
        var interval = TimescaleInterval.Parse(text);
        await using var connection = await fixture.Database.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT {interval.ToSql()}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(interval, TimescaleInterval.FromCatalog(reader.GetFieldValue<NpgsqlInterval>(0)));
    }

    [Fact]
    public void Code_values_read_back_as_the_same_interval()
    {
        foreach (var interval in new[] { TimescaleInterval.Parse("1 week"), TimescaleInterval.Parse("3 months"), TimescaleInterval.FromInteger(5000), TimescaleInterval.Parse("-90 minutes") })
        {
            var value = interval.ToCodeValue();
            Assert.Equal(interval, TimescaleInterval.From(value, out var problem));
            Assert.Null(problem);
            Assert.IsType(interval.IsInteger ? typeof(long) : typeof(string), value);
        }

        Assert.Equal("\"7 days\"", JsonSerializer.Serialize(TimescaleInterval.Parse("1 week")));
        Assert.Equal(TimescaleInterval.Parse("1 week"), JsonSerializer.Deserialize<TimescaleInterval>("\"168 hours\""));
        Assert.Equal(TimescaleInterval.FromTimeSpan(TimeSpan.FromHours(6)), TimescaleInterval.ParseLength("6 hours"));
        Assert.Equal(TimescaleInterval.Zero, TimescaleInterval.ParseLength("0"));
        Assert.Equal(TimescaleInterval.Zero, TimescaleInterval.ParseLength("00:00:00"));
        Assert.Equal(TimescaleInterval.FromMonths(1), TimescaleInterval.ParseLength("1 mon"));
        Assert.Null(TimescaleInterval.ParseLength(null));
        Assert.Contains("bare number", Assert.Throws<FormatException>(() => TimescaleInterval.ParseLength("5")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_use_says_what_it_refuses()
    {
        Assert.Contains("months and years have no fixed length", IntervalUse.ChunkInterval.Check("3 months").Problem, StringComparison.Ordinal);
        Assert.Contains("the chunk interval \"0 days\" is not positive", IntervalUse.ChunkInterval.Check("0 days").Problem, StringComparison.Ordinal);
        Assert.Contains("finer than a microsecond", IntervalUse.ChunkInterval.Check(TimeSpan.FromTicks(1)).Problem, StringComparison.Ordinal);
        Assert.Null(IntervalUse.ChunkInterval.Check(86_400_000L).Problem);
        Assert.Null(RetentionPolicy.Kind.ArgumentUse.Check("1 year").Problem);
        Assert.Contains("is not positive", RetentionPolicy.Kind.ArgumentUse.Check("-7 days").Problem, StringComparison.Ordinal);
        Assert.Null(IntervalUse.Offset("start offset").Check(TimeSpan.FromHours(-1)).Problem);
        Assert.Null(IntervalUse.Offset("start offset").Check(TimeSpan.Zero).Problem);
        Assert.Contains("is a number", IntervalUse.Offset("start offset").Check(5L).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chunk_interval_in_months_is_a_model_error_and_a_retention_in_years_is_not()
    {
        using var chunk = ModelContext.Create(NoServer, b => Readings(b, h => h.WithChunkInterval("1 year")));
        var error = Assert.Throws<InvalidOperationException>(() => chunk.Model).Message;
        Assert.StartsWith("Hypertable on entity 'Reading<DateTime>', property 'Time': the chunk interval \"1 year\" has months or years", error, StringComparison.Ordinal);
        Assert.Contains("Fix: give a positive interval", error, StringComparison.Ordinal);

        using var retention = ModelContext.Create(NoServer, b => Readings(b, h => h.WithRetentionPolicy("1 year")));
        var add = Assert.Single(retention.DiffFrom(null).OfType<AddRetentionPolicyOperation>());
        Assert.Equal("12 months", add.DropAfter);
    }

    private static void Readings(ModelBuilder b, Action<HypertableBuilder<Reading<DateTime>>> configure)
        => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("readings");
            e.HasKey(x => new { x.Time, x.DeviceId });
            configure(e.IsHypertable(x => x.Time));
        });
}
