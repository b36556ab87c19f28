using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Hyperfunctions.ExpectedBuckets;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>
/// Percentiles, median, mode and conditional aggregates over groups, each checked against the same computation done in
/// C# over the generated rows.
/// </summary>
public sealed class OrderedSetAggregateTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>, IAsyncLifetime
{
    private const double Tolerance = 1e-9;
    private static readonly IReadOnlyList<Measurement> Rows = HyperfunctionData.Rows;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private HyperfunctionContext _db = null!;

    public async Task InitializeAsync()
    {
        await HyperfunctionData.EnsureSeededAsync(fixture.Database);
        _db = HyperfunctionContext.Create(fixture.Database.ConnectionString);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    /// <summary>PostgreSQL's percentile_cont: linear interpolation between the values around fraction * (n - 1).</summary>
    public static double PercentileCont(IEnumerable<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        var position = fraction * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return lower == upper ? sorted[lower] : sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    /// <summary>PostgreSQL's percentile_disc: the first value whose cumulative share of the sorted group reaches the fraction.</summary>
    public static T PercentileDisc<T>(IEnumerable<T> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Max((int)Math.Ceiling(fraction * sorted.Length), 1) - 1];
    }

    private static void Close(double expected, double actual) => Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");

    [Fact]
    public async Task Percentile_cont_and_median_per_device_and_day()
    {
        var query = _db.Measurements
            .GroupBy(m => new { Day = EF.Functions.TimeBucket(Day, m.TimeUtc), m.DeviceId })
            .Select(g => new
            {
                g.Key.Day,
                g.Key.DeviceId,
                P95 = EF.Functions.PercentileCont(0.95, g.Select(m => m.Value)),
                P10 = EF.Functions.PercentileCont(0.1, g.Select(m => m.Value)),
                Median = EF.Functions.Median(g.Select(m => m.Value)),
            })
            .OrderBy(r => r.Day).ThenBy(r => r.DeviceId);
        Assert.Contains(") WITHIN GROUP (ORDER BY", query.ToQueryString(), StringComparison.Ordinal);

        var actual = await query.ToListAsync();
        var expected = Rows.GroupBy(m => new { Day = Floor(m.TimeUtc, Day), m.DeviceId }).OrderBy(g => g.Key.Day).ThenBy(g => g.Key.DeviceId).ToList();
        Assert.True(expected.Count > 20);
        Assert.Equal(expected.Select(g => (g.Key.Day, g.Key.DeviceId)), actual.Select(r => (r.Day, r.DeviceId)));
        for (var i = 0; i < expected.Count; i++)
        {
            var values = expected[i].Select(m => m.Value).ToList();
            Close(PercentileCont(values, 0.95), actual[i].P95);
            Close(PercentileCont(values, 0.1), actual[i].P10);
            Close(PercentileCont(values, 0.5), actual[i].Median);
        }
    }

    [Fact]
    public async Task Percentile_cont_with_an_array_of_fractions_returns_one_value_per_fraction()
    {
        double[] fractions = [0.25, 0.5, 0.75, 0.99];
        var actual = await _db.Measurements
            .GroupBy(m => m.DeviceId)
            .Select(g => new { DeviceId = g.Key, Quartiles = EF.Functions.PercentileCont(fractions, g.Select(m => m.Value)) })
            .OrderBy(r => r.DeviceId)
            .ToListAsync();

        var expected = Rows.GroupBy(m => m.DeviceId).OrderBy(g => g.Key).ToList();
        Assert.Equal(expected.Select(g => g.Key), actual.Select(r => r.DeviceId));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(fractions.Length, actual[i].Quartiles.Length);
            for (var f = 0; f < fractions.Length; f++)
            {
                Close(PercentileCont(expected[i].Select(m => m.Value), fractions[f]), actual[i].Quartiles[f]);
            }
        }
    }

    [Fact]
    public async Task Percentile_disc_of_numbers_and_times_single_and_array()
    {
        var actual = await _db.Measurements
            .GroupBy(m => EF.Functions.TimeBucket(Day, m.TimeUtc))
            .Select(g => new
            {
                Day = g.Key,
                P90 = EF.Functions.PercentileDisc(0.9, g.Select(m => m.Value)),
                MiddleTime = EF.Functions.PercentileDisc(0.5, g.Select(m => m.TimeUtc)),
                Devices = EF.Functions.PercentileDisc(new[] { 0.0, 0.5, 1.0 }, g.Select(m => m.DeviceId)),
            })
            .OrderBy(r => r.Day)
            .ToListAsync();

        var expected = Rows.GroupBy(m => Floor(m.TimeUtc, Day))
            .Select(g => new
            {
                Day = g.Key,
                P90 = PercentileDisc(g.Select(m => m.Value), 0.9),
                MiddleTime = PercentileDisc(g.Select(m => m.TimeUtc), 0.5),
                Devices = new[] { 0.0, 0.5, 1.0 }.Select(f => PercentileDisc(g.Select(m => m.DeviceId), f)).ToArray(),
            })
            .OrderBy(r => r.Day)
            .ToList();
        Assert.True(expected.Count >= 9);
        Assert.Equal(expected.Select(e => (e.Day, e.P90, e.MiddleTime)), actual.Select(a => (a.Day, a.P90, a.MiddleTime)));
        Assert.Equal(expected.Select(e => e.Devices), actual.Select(a => a.Devices));
    }

    [Fact]
    public async Task Mode_picks_the_most_frequent_value_and_the_smallest_of_ties()
    {
        var actual = await _db.Measurements
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(6), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Device = EF.Functions.Mode(g.Select(m => m.DeviceId)) })
            .OrderBy(r => r.Bucket)
            .ToListAsync();

        var expected = Rows.GroupBy(m => Floor(m.TimeUtc, TimeSpan.FromHours(6)))
            .Select(g => new
            {
                Bucket = g.Key,
                Device = g.GroupBy(m => m.DeviceId).OrderByDescending(d => d.Count()).ThenBy(d => d.Key).First().Key,
            })
            .OrderBy(r => r.Bucket)
            .ToList();
        Assert.True(expected.Count > 30);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Filtered_percentile_is_null_when_no_row_is_left()
    {
        var query = _db.Measurements
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new
            {
                Bucket = g.Key,
                Median = EF.Functions.Median(g.Where(m => m.MaybeValue != null).Select(m => m.MaybeValue)),
                P75 = EF.Functions.PercentileCont(0.75, g.Where(m => m.DeviceId == 2).Select(m => (double?)m.Value)),
            })
            .OrderBy(r => r.Bucket);
        Assert.Contains("FILTER (WHERE", query.ToQueryString(), StringComparison.Ordinal);
        var actual = await query.ToListAsync();

        var expected = Rows.GroupBy(m => Floor(m.TimeUtc, TimeSpan.FromHours(1)))
            .Select(g => new
            {
                Bucket = g.Key,
                Median = g.Where(m => m.MaybeValue != null).Select(m => m.MaybeValue!.Value).ToList(),
                P75 = g.Where(m => m.DeviceId == 2).Select(m => m.Value).ToList(),
            })
            .OrderBy(r => r.Bucket)
            .ToList();
        Assert.Contains(expected, e => e.P75.Count == 0);
        Assert.Equal(expected.Select(e => e.Bucket), actual.Select(a => a.Bucket));
        for (var i = 0; i < expected.Count; i++)
        {
            AssertPercentile(expected[i].Median, 0.5, actual[i].Median);
            AssertPercentile(expected[i].P75, 0.75, actual[i].P75);
        }

        static void AssertPercentile(List<double> values, double fraction, double? actual)
        {
            if (values.Count == 0)
            {
                Assert.Null(actual);
            }
            else
            {
                Close(PercentileCont(values, fraction), actual!.Value);
            }
        }
    }

    [Fact]
    public async Task Conditional_sums_by_filter_and_by_case()
    {
        var query = _db.Measurements
            .GroupBy(m => EF.Functions.TimeBucket(Day, m.TimeUtc))
            .Select(g => new
            {
                Day = g.Key,
                ByCase = g.Sum(m => m.DeviceId == 1 ? m.Value : 0),
                ByFilter = g.Where(m => m.DeviceId == 1).Sum(m => m.Value),
                CountByFilter = g.Count(m => m.DeviceId == 2),
                MaxByFilter = g.Where(m => m.DeviceId == 3).Max(m => (double?)m.Value),
                AverageByFilter = g.Where(m => m.DeviceId == 3).Average(m => (double?)m.Value),
            })
            .OrderBy(r => r.Day);
        var sql = query.ToQueryString();
        Assert.Contains("CASE", sql, StringComparison.Ordinal);
        Assert.Contains("FILTER (WHERE", sql, StringComparison.Ordinal);
        var actual = await query.ToListAsync();

        var expected = Rows.GroupBy(m => Floor(m.TimeUtc, Day))
            .Select(g => new
            {
                Day = g.Key,
                Sum = g.Where(m => m.DeviceId == 1).Sum(m => m.Value),
                Count = g.Count(m => m.DeviceId == 2),
                Max = g.Where(m => m.DeviceId == 3).Max(m => (double?)m.Value),
                Average = g.Where(m => m.DeviceId == 3).Average(m => (double?)m.Value),
            })
            .OrderBy(r => r.Day)
            .ToList();
        Assert.Equal(expected.Select(e => (e.Day, e.Count, e.Max)), actual.Select(a => (a.Day, a.CountByFilter, a.MaxByFilter)));
        for (var i = 0; i < expected.Count; i++)
        {
            Close(expected[i].Sum, actual[i].ByCase);
            Close(expected[i].Sum, actual[i].ByFilter);
            Close(expected[i].Average!.Value, actual[i].AverageByFilter!.Value);
        }
    }
}
