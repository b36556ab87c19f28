using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Hyperfunctions.ExpectedBuckets;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>EF.Functions.First and Last on TimescaleDB.</summary>
public sealed class FirstLastTests(TimescaleDatabaseFixture fixture) : FirstLastTestsBase(fixture.Database, plainPostgres: false), IClassFixture<TimescaleDatabaseFixture>;

/// <summary>The same tests on native PostgreSQL 15 without TimescaleDB: ordered array_agg instead of first/last.</summary>
public sealed class FirstLastOnPlainPostgresTests(PostgresDatabaseFixture fixture) : FirstLastTestsBase(fixture.Database, plainPostgres: true), IClassFixture<PostgresDatabaseFixture>;

/// <summary>EF.Functions.First and Last over groups, checked against ordering the same rows in C#.</summary>
public abstract class FirstLastTestsBase(TestDatabase database, bool plainPostgres) : IAsyncLifetime
{
    private static readonly IReadOnlyList<Measurement> Rows = HyperfunctionData.Rows;
    private HyperfunctionContext _db = null!;

    public async Task InitializeAsync()
    {
        await HyperfunctionData.EnsureSeededAsync(database);
        _db = HyperfunctionContext.Create(database.ConnectionString);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task First_and_last_value_per_device_and_six_hour_bucket()
    {
        var width = TimeSpan.FromHours(6);
        var query = _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(width, m.TimeUtc), m.DeviceId })
            .Select(g => new
            {
                g.Key.Bucket,
                g.Key.DeviceId,
                Opening = EF.Functions.First(g.Select(m => new ValueTuple<double, DateTime>(m.Value, m.TimeUtc))),
                Closing = EF.Functions.Last(g.Select(m => new ValueTuple<double, DateTime>(m.Value, m.TimeUtc))),
            })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId);

        var sql = query.ToQueryString();
        if (plainPostgres)
        {
            Assert.Contains("array_agg(h.\"Value\" ORDER BY h.\"TimeUtc\")", sql.Replace("h0.", "h.", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.DoesNotContain("first(", sql, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("first(h.\"Value\", h.\"TimeUtc\")", sql.Replace("h0.", "h.", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("last(", sql, StringComparison.Ordinal);
        }

        var expected = Rows
            .GroupBy(m => new { Bucket = Floor(m.TimeUtc, width), m.DeviceId })
            .Select(g => new
            {
                g.Key.Bucket,
                g.Key.DeviceId,
                Opening = g.MinBy(m => m.TimeUtc)!.Value,
                Closing = g.MaxBy(m => m.TimeUtc)!.Value,
            })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToList();
        var actual = await query.ToListAsync();
        Assert.True(expected.Count > 50);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Filtered_group_gives_null_when_no_row_is_left()
    {
        var query = _db.Measurements
            .Where(m => m.DeviceId != HyperfunctionData.SparseDevice)
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new
            {
                Bucket = g.Key,
                Latest = EF.Functions.Last(g.Where(m => m.MaybeValue != null).Select(m => new ValueTuple<double?, DateTime>(m.MaybeValue, m.TimeUtc))),
            })
            .OrderBy(r => r.Bucket);
        Assert.Contains("FILTER (WHERE", query.ToQueryString(), StringComparison.Ordinal);

        var expected = Rows
            .Where(m => m.DeviceId != HyperfunctionData.SparseDevice)
            .GroupBy(m => Floor(m.TimeUtc, TimeSpan.FromHours(1)))
            .Select(g => new { Bucket = g.Key, Latest = g.Where(m => m.MaybeValue != null).MaxBy(m => m.TimeUtc)?.MaybeValue })
            .OrderBy(r => r.Bucket)
            .ToList();
        Assert.Contains(expected, r => r.Latest is null);
        Assert.Equal(expected, await query.ToListAsync());
    }

    [Fact]
    public async Task Last_reading_per_device_ordered_by_a_NodaTime_Instant()
    {
        var actual = await _db.Measurements
            .GroupBy(m => m.DeviceId)
            .Select(g => new
            {
                DeviceId = g.Key,
                Last = EF.Functions.Last(g.Select(m => new ValueTuple<double, Instant>(m.Value, m.Instant))),
                LastTime = g.Max(m => m.Instant),
            })
            .OrderBy(r => r.DeviceId)
            .ToListAsync();

        var expected = Rows.GroupBy(m => m.DeviceId)
            .Select(g => new { DeviceId = g.Key, Last = g.MaxBy(m => m.Instant)!.Value, LastTime = g.Max(m => m.Instant) })
            .OrderBy(r => r.DeviceId)
            .ToList();
        Assert.Equal(expected, actual);
    }
}
