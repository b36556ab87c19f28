using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>
/// Gap filling (TimeBucketGapfill with Locf and Interpolate) on native PostgreSQL 15 without TimescaleDB, under Degrade:
/// each query shape runs on TimescaleDB (time_bucket_gapfill, locf, interpolate) and on PostgreSQL (generate_series and
/// window functions) over the same rows, and both must return exactly the same rows: the same buckets (the range's
/// edges, rows outside it, groups without data), the same NULLs and the same interpolated values to the last bit.
/// </summary>
public sealed class GapfillOnPlainPostgresTests(TimescaleDatabaseFixture timescale, PostgresDatabaseFixture postgres)
    : TimescaleAndPostgresComparison(timescale, postgres), IClassFixture<TimescaleDatabaseFixture>, IClassFixture<PostgresDatabaseFixture>
{
    private static readonly DateTime From = new(2026, 3, 27, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime To = From.AddHours(8);

    public static TheoryData<string> Shapes() => [.. Queries.Keys];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Each_shape_gives_TimescaleDB_s_rows(string shape)
    {
        var query = Queries[shape];
        var sql = query(OnPostgres.Measurements).ToQueryString();
        foreach (var function in new[] { "time_bucket", "locf(", "interpolate(", "hourglass_" })
        {
            Assert.DoesNotContain(function, sql, StringComparison.Ordinal);
        }

        Assert.Contains("generate_series(", sql, StringComparison.Ordinal);
        Assert.Contains("time_bucket_gapfill(", query(OnTimescale.Measurements).ToQueryString(), StringComparison.Ordinal);

        var expected = await query(OnTimescale.Measurements).ToListAsync();
        var actual = await query(OnPostgres.Measurements).ToListAsync();
        if (shape != "groups without rows in the range")
        {
            Assert.NotEmpty(expected);
        }

        if (shape == "hourly in Berlin across the change to summer time" && TimescaleVersion < DstStepsFixedIn)
        {
            // Before 2.26.3 (timescale/timescaledb#9563) TimescaleDB stepped zoned gap buckets in UTC, so after the change
            // its empty buckets fall between the data's buckets; PostgreSQL follows the fixed versions. Equal before the
            // change, and the buckets with data are the same.
            var change = new DateTime(2026, 3, 29, 1, 0, 0, DateTimeKind.Utc);
            Assert.Equal(expected.Where(r => Member<DateTime>(r, "Bucket") < change), actual.Where(r => Member<DateTime>(r, "Bucket") < change));
            Assert.Equal(expected.Where(r => Member<int?>(r, "Count") is not null), actual.Where(r => Member<int?>(r, "Count") is not null));
            return;
        }

        Assert.Equal(expected, actual);
    }

    /// <summary>TimescaleDB 2.26.3 fixed the steps of zoned gap buckets across a DST change (timescale/timescaledb#9563).</summary>
    private static readonly Version DstStepsFixedIn = new(2, 26, 3);

    private static T Member<T>(object row, string name) => (T)row.GetType().GetProperty(name)!.GetValue(row)!;

    [Fact]
    public async Task The_hand_checked_shape_fills_as_documented()
    {
        // Hours 1, 2, 5, 6 of 2026-03-27 have data (averages 10, 14, 20, 26).
        var rows = await OnPostgres.Measurements
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice && m.TimeUtc >= From && m.TimeUtc < To)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Avg = g.Average(m => (double?)m.Value), Carried = EF.Functions.Locf(g.Average(m => m.Value)), Interpolated = EF.Functions.Interpolate(g.Average(m => m.Value)) })
            .OrderBy(r => r.Bucket)
            .ToListAsync();
        Assert.Equal(Enumerable.Range(0, 8).Select(h => From.AddHours(h)), rows.Select(r => r.Bucket));
        Assert.Equal([null, 10, 14, null, null, 20, 26, null], rows.Select(r => r.Avg));
        Assert.Equal([null, 10, 14, 14, 14, 20, 26, 26], rows.Select(r => r.Carried));
        Assert.Equal([null, 10, 14, 16, 18, 20, 26, null], rows.Select(r => r.Interpolated));
    }

    [Fact]
    public async Task The_100000_generated_rows_give_the_same_rows()
    {
        await BigData.EnsureAsync(TimescaleDatabase, PostgresDatabase);
        await using var onTimescale = BigData.Context(TimescaleDatabase.ConnectionString);
        await using var onPostgres = BigData.Context(PostgresDatabase.ConnectionString);
        var from = new DateTime(2025, 9, 1, 0, 0, 0, DateTimeKind.Utc);
        var to = new DateTime(2025, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        IQueryable<Filled> Query(IQueryable<Measurement> set) => set
            .Where(m => m.TimeUtc >= from && m.TimeUtc < to && m.Value > 60)
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucketGapfill(TimeSpan.FromMinutes(90), m.TimeUtc), m.DeviceId })
            .Select(g => new Filled
            {
                Bucket = g.Key.Bucket,
                DeviceId = g.Key.DeviceId,
                Count = (int?)g.Count(),
                Max = g.Max(m => (double?)m.Value),
                Locf = EF.Functions.Locf(g.Max(m => m.MaybeValue)),
                LocfNonNull = EF.Functions.Locf(g.Max(m => m.MaybeValue), true),
                Interpolated = EF.Functions.Interpolate(g.Max(m => m.Value)),
                Ticks = EF.Functions.Interpolate(g.Sum(m => m.Tick)),
            })
            .OrderBy(r => r.DeviceId).ThenBy(r => r.Bucket);

        var expected = await Query(onTimescale.Measurements).ToListAsync();
        var actual = await Query(onPostgres.Measurements).ToListAsync();
        Assert.Equal(7 * (int)((to - from) / TimeSpan.FromMinutes(90)), expected.Count);
        Assert.Contains(expected, r => r.Count is null && r.Interpolated is not null);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task A_shape_that_is_not_translated_names_itself()
    {
        // No range: neither start/finish nor a bounded Where (TimescaleDB refuses this too).
        var noRange = await Assert.ThrowsAsync<InvalidOperationException>(() => OnPostgres.Measurements
            .Where(m => m.TimeUtc >= From)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count() })
            .ToListAsync());
        Assert.Contains("could not find the gapfill range's finish in the Where clause", noRange.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", noRange.Message, StringComparison.Ordinal);

        // Locf inside another expression.
        var nested = await Assert.ThrowsAsync<InvalidOperationException>(() => OnPostgres.Measurements
            .Where(m => m.TimeUtc >= From && m.TimeUtc < To)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Twice = EF.Functions.Locf(g.Average(m => m.Value)) * 2 })
            .ToListAsync());
        Assert.Contains("the Select's 'Twice' uses TimeBucketGapfill, Locf or Interpolate inside another expression", nested.Message, StringComparison.Ordinal);

        // A member computed from a grouping key: TimescaleDB recomputes it for added buckets; refused rather than left NULL.
        var derived = await Assert.ThrowsAsync<InvalidOperationException>(() => OnPostgres.Measurements
            .Where(m => m.TimeUtc >= From && m.TimeUtc < To)
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc), m.DeviceId })
            .Select(g => new { g.Key.Bucket, Device = g.Key.DeviceId * 10, Count = (int?)g.Count() })
            .ToListAsync());
        Assert.Contains("the Select's 'Device' computes from a grouping key", derived.Message, StringComparison.Ordinal);

        // treat_null_as_missing from a variable (TimescaleDB wants a literal).
        var treat = true;
        var variable = await Assert.ThrowsAsync<InvalidOperationException>(() => OnPostgres.Measurements
            .Where(m => m.TimeUtc >= From && m.TimeUtc < To)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Carried = EF.Functions.Locf(g.Max(m => m.MaybeValue), treat) })
            .ToListAsync());
        Assert.Contains("needs treatNullAsMissing written in the query as true or false", variable.Message, StringComparison.Ordinal);
    }

    [NativeTimescaleFact("a second native TimescaleDB started with timescaledb.license=apache (HOURGLASS_TIMESCALEDB_HOME)")]
    public async Task On_the_Apache_edition_each_shape_gives_the_community_edition_s_rows()
    {
        await using var database = await (await TestServers.RequireNativeApacheAsync()).CreateDatabaseAsync("hfgapapache");
        await HyperfunctionData.EnsureSeededAsync(database);
        await using var onApache = HyperfunctionContext.Create(database.ConnectionString);
        Assert.Equal("apache", await database.ScalarAsync<string>("SELECT current_setting('timescaledb.license')"));
        foreach (var (shape, query) in Queries)
        {
            var sql = query(onApache.Measurements).ToQueryString();
            Assert.True(sql.Contains("generate_series(", StringComparison.Ordinal) && !sql.Contains("time_bucket_gapfill", StringComparison.Ordinal), shape);
            Assert.Equal(await query(OnTimescale.Measurements).ToListAsync(), await query(onApache.Measurements).ToListAsync());
        }
    }

    public sealed record Filled
    {
        public DateTime Bucket { get; init; }

        public int DeviceId { get; init; }

        public int? Count { get; init; }

        public double? Max { get; init; }

        public double? Locf { get; init; }

        public double? LocfNonNull { get; init; }

        public double? Interpolated { get; init; }

        public long? Ticks { get; init; }
    }

    private static readonly DateTime Berlin = new(2026, 3, 28, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Dictionary<string, Func<IQueryable<Measurement>, IQueryable<object>>> Queries = new()
    {
        ["range from Where, locf and interpolate"] = s => s
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice && m.TimeUtc >= From && m.TimeUtc < To)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Avg = g.Average(m => (double?)m.Value), Locf = EF.Functions.Locf(g.Average(m => m.Value)), Interpolated = EF.Functions.Interpolate(g.Average(m => m.Value)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["start and finish arguments with a width variable"] = s => StartAndFinish(s, TimeSpan.FromMinutes(30)),
        ["range edges with > and <= in Where, unaligned"] = s => s
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice && m.TimeUtc > From.AddMinutes(50) && m.TimeUtc <= To.AddMinutes(-30))
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromMinutes(45), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count(), Interpolated = EF.Functions.Interpolate(g.Max(m => m.Value)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["two bounds on each side: the tightest"] = s => s
            .Where(m => m.TimeUtc >= From && m.TimeUtc >= From.AddHours(2) && m.TimeUtc < To && m.TimeUtc < To.AddHours(4) && m.DeviceId == 2)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromMinutes(20), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count(), Locf = EF.Functions.Locf(g.Min(m => m.Value)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["rows outside start and finish stay"] = s => s
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc, From.AddHours(2), From.AddHours(5)))
            .Select(g => new { Bucket = g.Key, Avg = g.Average(m => (double?)m.Value), Locf = EF.Functions.Locf(g.Average(m => m.Value)), Interpolated = EF.Functions.Interpolate(g.Average(m => m.Value)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["per device, Locf of Last, Instant in Berlin"] = s =>
        {
            var from = Instant.FromDateTimeUtc(From);
            var to = Instant.FromDateTimeUtc(To);
            return s
                .Where(m => (m.DeviceId == 1 || m.DeviceId == HyperfunctionData.SparseDevice) && m.Instant >= from && m.Instant < to)
                .GroupBy(m => new { Bucket = EF.Functions.TimeBucketGapfill(Duration.FromHours(2), m.Instant, "Europe/Berlin", from, to), m.DeviceId })
                .Select(g => new { g.Key.Bucket, g.Key.DeviceId, Count = (int?)g.Count(), Last = EF.Functions.Locf(EF.Functions.Last(g.Select(m => new ValueTuple<double?, Instant>(m.Value, m.Instant)))) })
                .OrderBy(r => r.DeviceId).ThenBy(r => r.Bucket).Cast<object>();
        },
        ["hourly in Berlin across the change to summer time"] = s => s
            .Where(m => m.DeviceId == 3 && m.TimeUtc >= Berlin && m.TimeUtc < Berlin.AddDays(2))
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(3), m.TimeUtc, "Europe/Berlin"))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count(), Interpolated = EF.Functions.Interpolate(g.Average(m => m.Value)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["daily in Berlin across the change to summer time"] = s => s
            .Where(m => m.DeviceId == 1 && m.TimeOffset >= new DateTimeOffset(Berlin) && m.TimeOffset < new DateTimeOffset(Berlin.AddDays(4)) && m.Value > 90)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromDays(1), m.TimeOffset, "Europe/Berlin"))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count(), Locf = EF.Functions.Locf(g.Max(m => m.Value)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["Locf treating NULL as missing"] = s => s
            .Where(m => m.DeviceId == 1 && m.TimeUtc >= From && m.TimeUtc < From.AddDays(1))
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromMinutes(20), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Plain = EF.Functions.Locf(g.Max(m => m.MaybeValue)), Carried = EF.Functions.Locf(g.Max(m => m.MaybeValue), true), Interpolated = EF.Functions.Interpolate(g.Max(m => m.MaybeValue)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["timestamp without time zone, integer interpolation"] = s =>
        {
            var from = DateTime.SpecifyKind(From, DateTimeKind.Unspecified);
            return s
                .Where(m => m.DeviceId == HyperfunctionData.SparseDevice && m.TimeLocal >= from && m.TimeLocal < from.AddHours(10))
                .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromMinutes(40), m.TimeLocal))
                .Select(g => new { Bucket = g.Key, Count = EF.Functions.Interpolate(g.Count()), Ticks = EF.Functions.Interpolate(g.Sum(m => m.Tick)), Value = EF.Functions.Interpolate(g.Max(m => (float)m.Value)) })
                .OrderBy(r => r.Bucket).Cast<object>();
        },
        ["DateOnly days"] = s =>
        {
            var from = new DateOnly(2026, 3, 20);
            return s
                .Where(m => m.Value > 99 && m.Day >= from && m.Day <= new DateOnly(2026, 4, 6))
                .GroupBy(m => new { Day = EF.Functions.TimeBucketGapfill(TimeSpan.FromDays(2), m.Day), m.DeviceId })
                .Select(g => new { g.Key.Day, g.Key.DeviceId, Count = (int?)g.Count(), Interpolated = EF.Functions.Interpolate(g.Max(m => m.Value)) })
                .OrderBy(r => r.DeviceId).ThenBy(r => r.Day).Cast<object>();
        },
        ["bigint with start and finish"] = s => s
            .Where(m => m.DeviceId == HyperfunctionData.SparseDevice)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(3600L, m.Tick, 2 * 86400L, 2 * 86400L + (8 * 3600L)))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count(), Interpolated = EF.Functions.Interpolate(g.Sum(m => m.Tick)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["integer from Where"] = s => s
            .Where(m => m.DeviceId == 2 && m.TickInt >= 100000 && m.TickInt < 130000)
            .GroupBy(m => EF.Functions.TimeBucketGapfill(1800, m.TickInt))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count(), Locf = EF.Functions.Locf(g.Max(m => m.TickInt)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["no rows in the range: every bucket, all NULL"] = s => s
            .Where(m => m.TimeUtc >= new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc) && m.TimeUtc < new DateTime(2027, 1, 1, 6, 0, 0, DateTimeKind.Utc))
            .GroupBy(m => EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new { Bucket = g.Key, Count = (int?)g.Count(), Locf = EF.Functions.Locf(g.Average(m => m.Value)) })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["groups without rows in the range"] = s => s
            .Where(m => m.TimeUtc >= new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc) && m.TimeUtc < new DateTime(2027, 1, 1, 6, 0, 0, DateTimeKind.Utc))
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.TimeUtc), m.DeviceId })
            .Select(g => new { g.Key.Bucket, g.Key.DeviceId, Count = (int?)g.Count() })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["ordered by a selected member, with Take"] = s => s
            .Where(m => m.DeviceId != HyperfunctionData.SparseDevice && m.TimeUtc >= From && m.TimeUtc < From.AddHours(12))
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucketGapfill(TimeSpan.FromMinutes(10), m.TimeUtc), m.DeviceId })
            .Select(g => new { g.Key.Bucket, g.Key.DeviceId, Max = g.Max(m => (double?)m.Value), Locf = EF.Functions.Locf(g.Max(m => m.Value)) })
            .OrderByDescending(r => r.Bucket).ThenBy(r => r.DeviceId).Take(40).Cast<object>(),
    };

    private static IQueryable<object> StartAndFinish(IQueryable<Measurement> set, TimeSpan width) => set
        .Where(m => m.DeviceId == HyperfunctionData.SparseDevice)
        .Where(m => m.TimeUtc >= From && m.TimeUtc < To)
        .GroupBy(m => EF.Functions.TimeBucketGapfill(width, m.TimeUtc, From, To))
        .Select(g => new { Bucket = g.Key, Avg = g.Average(m => (double?)m.Value), Locf = EF.Functions.Locf(g.Average(m => m.Value)), Interpolated = EF.Functions.Interpolate(g.Average(m => m.Value)) })
        .OrderBy(r => r.Bucket).Cast<object>();
}
