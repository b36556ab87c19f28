using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

public abstract class BulkInsertRoundTripTests(TestDatabase database)
{
    protected abstract bool Hypertable { get; }

    [Fact]
    public async Task Every_supported_column_type_round_trips_through_BulkInsert_and_EF_queries()
    {
        const int count = 2000;
        await using (var setup = RoundTripContext.Create(database.ConnectionString))
        {
            await setup.Database.ExecuteSqlRawAsync(setup.Database.GenerateCreateScript());
            if (Hypertable)
            {
                await setup.Database.ExecuteSqlRawAsync("SELECT create_hypertable('all_types', by_range('Time', INTERVAL '1 day'))");
            }

            await setup.Database.OpenConnectionAsync();
            await ((NpgsqlConnection)setup.Database.GetDbConnection()).ReloadTypesAsync();
        }

        var expected = Enumerable.Range(0, count).Select(RoundTripContext.Sample).ToList();
        await using (var context = RoundTripContext.Create(database.ConnectionString))
        {
            Assert.Equal(count, await context.BulkInsertAsync(expected));
        }

        await using var reader = RoundTripContext.Create(database.ConnectionString);
        var actual = await reader.AllTypes.AsNoTracking().OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(count, actual.Count);
        for (var i = 0; i < count; i++)
        {
            AssertSame(expected[i], actual[i]);
        }

        // Also visible to EF's server-side translation, not only materialisation.
        Assert.Equal(expected.Count(e => e.Mood == Mood.Happy && e.Color == Color.Blue), await reader.AllTypes.CountAsync(a => a.Mood == Mood.Happy && a.Color == Color.Blue));
        Assert.Equal(expected.Count(e => e.OptionalNumber == null), await reader.AllTypes.CountAsync(a => a.OptionalNumber == null));
    }

    private static void AssertSame(AllTypes e, AllTypes a)
    {
        var id = $"row {e.Id}";
        Assert.True(e.Id == a.Id, id);
        Assert.Equal(e.Time, a.Time);
        Assert.Equal(DateTimeKind.Utc, a.Time.Kind);
        Assert.Equal(e.LocalStamp, a.LocalStamp);
        Assert.Equal(e.Offset, a.Offset);
        Assert.Equal(e.Day, a.Day);
        Assert.Equal(e.TimeOfDay, a.TimeOfDay);
        Assert.Equal(e.Duration, a.Duration);
        Assert.Equal(e.Small, a.Small);
        Assert.Equal(e.Number, a.Number);
        Assert.Equal(e.Big, a.Big);
        Assert.Equal(e.Ratio, a.Ratio);
        Assert.Equal(e.Third, a.Third);
        Assert.Equal(e.Money, a.Money);
        Assert.Equal(e.Flag, a.Flag);
        Assert.Equal(e.Text, a.Text);
        Assert.Equal(e.OptionalText, a.OptionalText);
        Assert.Equal(e.Name, a.Name);
        Assert.Equal(e.Identifier, a.Identifier);
        Assert.Equal(e.Bytes, a.Bytes);
        Assert.Equal(e.OptionalNumber, a.OptionalNumber);
        Assert.Equal(e.OptionalDouble, a.OptionalDouble);
        Assert.Equal(e.OptionalTime, a.OptionalTime);
        Assert.Equal(e.Numbers, a.Numbers);
        Assert.Equal(e.Tags, a.Tags);
        Assert.Equal(e.Mood, a.Mood);
        Assert.Equal(e.OptionalMood, a.OptionalMood);
        Assert.Equal(e.Level, a.Level);
        Assert.Equal(e.Color, a.Color);
        Assert.Equal(e.Temperature, a.Temperature);
        Assert.Equal(e.Json, a.Json);
        Assert.Equal(e.Document?.RootElement.GetRawText(), a.Document?.RootElement.GetRawText());
        Assert.Equal(e.Instant, a.Instant);
        Assert.Equal(e.LocalDate, a.LocalDate);
        Assert.Equal(e.LocalDateTime, a.LocalDateTime);
    }
}

public sealed class BulkInsertRoundTripTimescaleTests(TimescaleDatabaseFixture fixture)
    : BulkInsertRoundTripTests(fixture.Database), IClassFixture<TimescaleDatabaseFixture>
{
    protected override bool Hypertable => true;
}

public sealed class BulkInsertRoundTripPostgresTests(PostgresDatabaseFixture fixture)
    : BulkInsertRoundTripTests(fixture.Database), IClassFixture<PostgresDatabaseFixture>
{
    protected override bool Hypertable => false;
}
