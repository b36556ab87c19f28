using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Hyperfunctions.ExpectedBuckets;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>time_bucket_gapfill with locf and interpolate: the empty buckets come back, filled as computed in C#.</summary>
public sealed class GapfillTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>, IAsyncLifetime
{
    private static readonly IReadOnlyList<Measurement> Rows = HyperfunctionData.Rows;
    private static readonly DateTime From = new(2026, 3, 27, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime To = From.AddHours(8);
    private HyperfunctionContext _db = null!;

    public async Task InitializeAsync()
    {
        await HyperfunctionData.EnsureSeededAsync(fixture.Database);
        _db = HyperfunctionContext.Create(fixture.Database.ConnectionString);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private sealed record Filled(DateTime Bucket, double? Avg, double? Locf, double? Interpolated)
    {
        public Filled()
            : this(default, null, null, null)
        {
        }
    }

    /// <summary>Every bucket of [from, to) with its average (null when empty), carried forward and interpolated.</summary>
    private static List<Filled> Expected(Func<Measurement, bool> filter, DateTime from, DateTime to, TimeSpan width, Func<IEnumerable<Measurement>, double?> aggregate)
    {
        var buckets = new List<DateTime>();
        for (var b = Floor(from, width); b < to; b += width)
        {
            buckets.Add(b);
        }

        var values = buckets
            .Select(b => Rows.Where(m => filter(m) && m.TimeUtc >= from && m.TimeUtc < to && Floor(m.TimeUtc, width) == b).ToList())
            .Select(rows => rows.Count == 0 ? null : aggregate(rows))
            .ToList();
        var result = new List<Filled>();
        for (var i = 0; i < buckets.Count; i++)
        {
            var previous = Enumerable.Range(0, i).LastOrDefault(j => values[j] is not null, -1);
            var next = Enumerable.Range(i + 1, buckets.Count - i - 1).FirstOrDefault(j => values[j] is not null, -1);
            var interpolated = values[i] ?? (previous >= 0 && next >= 0
                ? values[previous] + ((values[next] - values[previous]) * (buckets[i] - buckets[previous]).Ticks / (buckets[next] - buckets[previous]).Ticks)
                : null);
            result.Add(new Filled(buckets[i], values[i], values[i] ?? (previous >= 0 ? values[previous] : null), interpolated));
        }

        return result;
    }

    private static void AssertFilled(List<Filled> expected, List<Filled> actual)
    {
        Assert.Equal(expected.Select(e => e.Bucket), actual.Select(a => a.Bucket));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Avg is null, actual[i].Avg is null);
            Assert.Equal(expected[i].Avg ?? 0, actual[i].Avg ?? 0, 9);
            Assert.Equal(expected[i].Locf is null, actual[i].Locf is null);
            Assert.Equal(expected[i].Locf ?? 0, actual[i].Locf ?? 0, 9);
            Assert.Equal(expected[i].Interpolated is null, actual[i].Interpolated is null);
            Assert.Equal(expected[i].Interpolated ?? 0, actual[i].Interpolated ?? 0, 9);
        }
    }

    [Fact]
    public async Task Range_from_where_returns_empty_buckets_with_locf_and_interpolate()
    {
        var query = _db.Measurements
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice && m.TimeUtc >= From && m.TimeUtc < To)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new Filled
            {
                Bucket = g.Key,
                Avg = g.Average(m => (double?)m.Value),
                Locf = EF.Functions.Locf(g.Average(m => m.Value)),
                Interpolated = EF.Functions.Interpolate(g.Average(m => m.Value)),
            })
            .OrderBy(r => r.Bucket);
        var sql = query.ToQueryString();
        Assert.Contains("time_bucket_gapfill(INTERVAL '01:00:00', ", sql, StringComparison.Ordinal);
        Assert.Contains("locf(avg(", sql, StringComparison.Ordinal);
        Assert.Contains("interpolate(avg(", sql, StringComparison.Ordinal);

        // TimescaleDB fills gaps only when time_bucket_gapfill is in the grouping query itself, not in EF's usual GROUP BY subquery.
        Assert.Contains("GROUP BY time_bucket_gapfill(", sql, StringComparison.Ordinal);

        var actual = await query.ToListAsync();
        var expected = Expected(m => m.DeviceId == HyperfunctionData.SparseDevice, From, To, TimeSpan.FromHours(1), rows => rows.Average(m => m.Value));
        Assert.Equal(8, actual.Count);
        Assert.Equal(4, actual.Count(r => r.Avg is null));
        AssertFilled(expected, actual);

        // The hand-checked shape: hours 1, 2, 5, 6 have data (10, 14, 20, 26).
        Assert.Equal([null, 10, 14, 14, 14, 20, 26, 26], actual.Select(r => r.Locf));
        Assert.Equal(16, actual[3].Interpolated!.Value, 9);
        Assert.Null(actual[7].Interpolated);
    }

    [Fact]
    public async Task Start_and_finish_arguments_without_a_time_range_in_where()
    {
        var width = TimeSpan.FromMinutes(30);
        var query = _db.Measurements
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(width, m.TimeUtc, From, To))
            .Select(g => new Filled { Bucket = g.Key, Avg = g.Average(m => (double?)m.Value), Locf = EF.Functions.Locf(g.Average(m => m.Value)), Interpolated = EF.Functions.Interpolate(g.Average(m => m.Value)) })
            .OrderBy(r => r.Bucket);
        var sql = query.ToQueryString();
        Assert.Contains("time_bucket_gapfill(@width, h.\"TimeUtc\", TIMESTAMPTZ '2026-03-27T00:00:00Z', TIMESTAMPTZ '2026-03-27T08:00:00Z')", sql, StringComparison.Ordinal);
        Assert.Contains("GROUP BY time_bucket_gapfill(", sql, StringComparison.Ordinal);

        var actual = await query.ToListAsync();
        Assert.Equal(16, actual.Count);
        AssertFilled(Expected(m => m.DeviceId == HyperfunctionData.SparseDevice, From, To, width, rows => rows.Average(m => m.Value)), actual);
    }

    [Fact]
    public async Task Gapfill_per_device_on_Instant_in_a_time_zone()
    {
        // Two-hour buckets in Berlin (UTC+1 on this date) for two devices, one of them sparse: each device gets every bucket.
        var from = Instant.FromDateTimeUtc(From);
        var to = Instant.FromDateTimeUtc(To);
        var actual = await _db.Measurements
            .Where(m => (m.DeviceId == 1 || m.DeviceId == HyperfunctionData.SparseDevice) && m.Instant >= from && m.Instant < to)
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucketGapfill(Duration.FromHours(2), m.Instant, "Europe/Berlin", from, to), m.DeviceId })
            .Select(g => new { g.Key.Bucket, g.Key.DeviceId, Count = (int?)g.Count(), Last = EF.Functions.Locf(EF.Functions.Last(g.Select(m => new ValueTuple<double?, Instant>(m.Value, m.Instant)))) })
            .OrderBy(r => r.DeviceId).ThenBy(r => r.Bucket)
            .ToListAsync();

        var zone = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        var buckets = Enumerable.Range(0, 5).Select(i => from.Minus(Duration.FromHours(1)).Plus(Duration.FromHours(2 * i))).ToList(); // 23:00Z = 00:00 Berlin
        Assert.All(buckets, b => Assert.Equal(0, b.InZone(zone).Hour % 2));
        var expected = new[] { 1, HyperfunctionData.SparseDevice }.SelectMany(device =>
        {
            double? carried = null;
            return buckets.Select(b =>
            {
                var rows = Rows.Where(m => m.DeviceId == device && m.Instant >= b && m.Instant < b.Plus(Duration.FromHours(2)) && m.Instant >= from && m.Instant < to).ToList();
                carried = rows.Count == 0 ? carried : rows.MaxBy(m => m.Instant)!.Value;
                return new { Bucket = b, DeviceId = device, Count = rows.Count == 0 ? (int?)null : rows.Count, Last = carried };
            }).ToList();
        }).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Locf_can_treat_null_values_as_missing()
    {
        var actual = await _db.Measurements
            .Where(m => m.DeviceId == 1 && m.TimeUtc >= From && m.TimeUtc < From.AddDays(1))
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromMinutes(20), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Plain = EF.Functions.Locf(g.Max(m => m.MaybeValue)), Carried = EF.Functions.Locf(g.Max(m => m.MaybeValue), true) })
            .OrderBy(r => r.Bucket)
            .ToListAsync();

        var expected = new List<(DateTime, double?, double?)>();
        double? plain = null, carried = null;
        for (var b = From; b < From.AddDays(1); b += TimeSpan.FromMinutes(20))
        {
            var rows = Rows.Where(m => m.DeviceId == 1 && m.TimeUtc >= b && m.TimeUtc < b.AddMinutes(20)).ToList();
            var max = rows.Max(m => m.MaybeValue);
            plain = rows.Count == 0 ? plain : max;
            carried = max ?? carried;
            expected.Add((b, plain, carried));
        }

        Assert.Contains(expected, e => e.Item2 is null && e.Item3 is not null);
        Assert.Equal(expected, actual.Select(a => (a.Bucket, a.Plain, a.Carried)));
    }

    [Fact]
    public async Task Integer_gapfill_with_start_and_finish()
    {
        var actual = await _db.Measurements
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(3600L, m.Tick, 2 * 86400L, 2 * 86400L + (8 * 3600L)))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count() })
            .OrderBy(r => r.Bucket)
            .ToListAsync();

        Assert.Equal(Enumerable.Range(0, 8).Select(h => (2 * 86400L) + (h * 3600L)), actual.Select(a => a.Bucket));
        Assert.Equal([null, 2, 2, null, null, 2, 2, null], actual.Select(a => a.Count));
    }
}
