using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Hyperfunctions.ExpectedBuckets;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>EF.Functions.TimeBucket on TimescaleDB.</summary>
public sealed class TimeBucketTests(TimescaleDatabaseFixture fixture) : TimeBucketTestsBase(fixture.Database, plainPostgres: false), IClassFixture<TimescaleDatabaseFixture>;

/// <summary>The same tests on native PostgreSQL 15 without TimescaleDB, where Degrade translates to date_bin and friends.</summary>
public sealed class TimeBucketOnPlainPostgresTests(PostgresDatabaseFixture fixture) : TimeBucketTestsBase(fixture.Database, plainPostgres: true), IClassFixture<PostgresDatabaseFixture>;

/// <summary>
/// EF.Functions.TimeBucket on every supported time type, checked against the same buckets computed in C#, on TimescaleDB
/// and on plain PostgreSQL (which computes what TimescaleDB 2.25 and later computes).
/// </summary>
public abstract class TimeBucketTestsBase(TestDatabase database, bool plainPostgres) : IAsyncLifetime
{
    private static readonly IReadOnlyList<Measurement> Rows = HyperfunctionData.Rows;
    private HyperfunctionContext _db = null!;
    private Version _timescale = null!;

    public async Task InitializeAsync()
    {
        await HyperfunctionData.EnsureSeededAsync(database);
        _db = HyperfunctionContext.Create(database.ConnectionString);
        _timescale = plainPostgres
            ? OffsetInUtcSince
            : Version.Parse((await database.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).Split('-')[0]);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    /// <summary>TimescaleDB's call as written on TimescaleDB; on plain PostgreSQL no TimescaleDB function, and date_bin or arithmetic instead.</summary>
    private void AssertSql(string timescaleSql, string sql)
    {
        if (!plainPostgres)
        {
            Assert.Contains(timescaleSql, sql, StringComparison.Ordinal);
            return;
        }

        Assert.DoesNotContain("time_bucket", sql, StringComparison.Ordinal);
        Assert.True(sql.Contains("date_bin(", StringComparison.Ordinal) || sql.Contains(" % ", StringComparison.Ordinal), sql);
    }

    private static List<BucketRow<TKey>> Expected<TKey>(Func<Measurement, TKey> bucket)
        => Rows.GroupBy(m => new { Bucket = bucket(m), m.DeviceId })
            .Select(g => new BucketRow<TKey> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToList();

    [Fact]
    public async Task Hourly_average_and_max_per_device_on_timestamptz_DateTime()
    {
        var query = _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc), m.DeviceId })
            .Select(g => new { g.Key.Bucket, g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId);

        var sql = query.ToQueryString();
        AssertSql("time_bucket(INTERVAL '01:00:00', h.\"TimeUtc\")", sql);
        Assert.Contains("GROUP BY", sql, StringComparison.Ordinal);

        var actual = (await query.ToListAsync())
            .Select(r => new BucketRow<DateTime> { Bucket = r.Bucket, DeviceId = r.DeviceId, Avg = r.Avg, Max = r.Max, Count = r.Count })
            .ToList();
        Equal(Expected(m => Floor(m.TimeUtc, TimeSpan.FromHours(1))), actual);
        Assert.All(actual, r => Assert.Equal(DateTimeKind.Utc, r.Bucket.Kind));
    }

    [Fact]
    public async Task Timestamp_without_time_zone_DateTime_keeps_its_kind()
    {
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromMinutes(90), m.TimeLocal), m.DeviceId })
            .Select(g => new BucketRow<DateTime> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => Floor(m.TimeLocal, TimeSpan.FromMinutes(90))), actual);
        Assert.All(actual, r => Assert.Equal(DateTimeKind.Unspecified, r.Bucket.Kind));
    }

    [Fact]
    public async Task Nullable_time_column_gives_a_null_bucket()
    {
        var actual = await _db.Measurements
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(12), m.MaybeTime))
            .Select(g => new { Bucket = g.Key, Count = g.Count() })
            .OrderBy(r => r.Bucket)
            .ToListAsync();

        var expected = Rows
            .GroupBy(m => m.MaybeTime is { } t ? Floor(t, TimeSpan.FromHours(12)) : (DateTime?)null)
            .Select(g => new { Bucket = g.Key, Count = g.Count() })
            .OrderBy(r => r.Bucket is null ? 1 : 0).ThenBy(r => r.Bucket) // PostgreSQL sorts NULL last
            .ToList();
        Assert.Contains(expected, r => r.Bucket is null);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task DateTimeOffset_buckets()
    {
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(6), m.TimeOffset), m.DeviceId })
            .Select(g => new BucketRow<DateTimeOffset> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => new DateTimeOffset(Floor(m.TimeOffset.UtcDateTime, TimeSpan.FromHours(6)))), actual);
    }

    [Fact]
    public async Task DateOnly_weekly_buckets_start_on_mondays()
    {
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromDays(7), m.Day), m.DeviceId })
            .Select(g => new BucketRow<DateOnly> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => DateOnly.FromDateTime(Floor(m.Day.ToDateTime(TimeOnly.MinValue), TimeSpan.FromDays(7)))), actual);
        Assert.All(actual, r => Assert.Equal(DayOfWeek.Monday, r.Bucket.DayOfWeek));
    }

    [Fact]
    public async Task Instant_with_Duration_width()
    {
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(Duration.FromMinutes(30), m.Instant), m.DeviceId })
            .Select(g => new BucketRow<Instant> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => Instant.FromDateTimeUtc(Floor(m.Instant.ToDateTimeUtc(), TimeSpan.FromMinutes(30)))), actual);
    }

    [Fact]
    public async Task LocalDateTime_with_Period_width()
    {
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(Period.FromHours(6), m.LocalTime), m.DeviceId })
            .Select(g => new BucketRow<LocalDateTime> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => LocalDateTime.FromDateTime(Floor(m.LocalTime.ToDateTimeUnspecified(), TimeSpan.FromHours(6)))), actual);
    }

    [Fact]
    public async Task LocalDate_with_monthly_Period_starts_on_the_first()
    {
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(Period.FromMonths(1), m.LocalDay), m.DeviceId })
            .Select(g => new BucketRow<LocalDate> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => new LocalDate(m.LocalDay.Year, m.LocalDay.Month, 1)), actual);
        Assert.Equal([new LocalDate(2026, 3, 1), new LocalDate(2026, 4, 1)], actual.Select(r => r.Bucket).Distinct());
    }

    [Fact]
    public async Task Integer_buckets_on_bigint_and_integer()
    {
        var big = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(3600L, m.Tick), m.DeviceId })
            .Select(g => new BucketRow<long> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();
        Equal(Expected(m => m.Tick / 3600 * 3600), big);

        var width = 7200;
        var small = _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(width, m.TickInt, 600), m.DeviceId })
            .Select(g => new BucketRow<int> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId);
        AssertSql("time_bucket(@width, h.\"TickInt\", 600)", small.ToQueryString());
        Equal(Expected(m => m.TickInt < 600 ? -7200 + 600 : ((m.TickInt - 600) / 7200 * 7200) + 600), await small.ToListAsync());
    }

    [Fact]
    public async Task Width_from_a_variable_is_a_parameter_and_the_query_is_reused_with_another_width()
    {
        foreach (var minutes in new[] { 15, 45 })
        {
            var width = TimeSpan.FromMinutes(minutes);
            var query = _db.Measurements
                .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(width, m.TimeUtc), m.DeviceId })
                .Select(g => new BucketRow<DateTime> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
                .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId);
            AssertSql("time_bucket(@width, h.\"TimeUtc\")", query.ToQueryString());
            Equal(Expected(m => Floor(m.TimeUtc, width)), await query.ToListAsync());
        }
    }

    [Fact]
    public async Task Bucket_in_Where_Select_and_OrderBy()
    {
        var day = new DateTime(2026, 3, 27, 0, 0, 0, DateTimeKind.Utc);
        var width = TimeSpan.FromDays(1);
        var actual = await _db.Measurements
            .Where(m => EF.Functions.TimeBucket(width, m.TimeUtc) == day && m.DeviceId == 2)
            .OrderByDescending(m => EF.Functions.TimeBucket(TimeSpan.FromHours(4), m.TimeUtc)).ThenBy(m => m.Id)
            .Select(m => new { m.Id, FourHours = EF.Functions.TimeBucket(TimeSpan.FromHours(4), m.TimeUtc) })
            .ToListAsync();

        var expected = Rows
            .Where(m => Floor(m.TimeUtc, width) == day && m.DeviceId == 2)
            .OrderByDescending(m => Floor(m.TimeUtc, TimeSpan.FromHours(4))).ThenBy(m => m.Id)
            .Select(m => new { m.Id, FourHours = Floor(m.TimeUtc, TimeSpan.FromHours(4)) })
            .ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Origin_aligns_buckets()
    {
        var origin = new DateTime(2026, 3, 25, 0, 20, 0, DateTimeKind.Utc);
        var query = _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc, origin), m.DeviceId })
            .Select(g => new BucketRow<DateTime> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId);
        AssertSql("time_bucket(INTERVAL '01:00:00', h.\"TimeUtc\", @origin)", query.ToQueryString());

        var actual = await query.ToListAsync();
        Equal(Expected(m => Floor(m.TimeUtc, TimeSpan.FromHours(1), origin)), actual);
        Assert.All(actual, r => Assert.Equal(20, r.Bucket.Minute));
    }

    [Fact]
    public async Task Origin_on_timestamp_without_time_zone_is_sent_as_timestamp()
    {
        var origin = new DateTime(2026, 3, 25, 0, 10, 0, DateTimeKind.Unspecified);
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(2), m.TimeLocal, origin), m.DeviceId })
            .Select(g => new BucketRow<DateTime> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => Floor(m.TimeLocal, TimeSpan.FromHours(2), origin)), actual);
    }

    [Fact]
    public async Task Offset_shifts_buckets()
    {
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeOffset, TimeSpan.FromHours(-3)), m.DeviceId })
            .Select(g => new BucketRow<DateTimeOffset> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(Expected(m => new DateTimeOffset(Floor(m.TimeUtc, TimeSpan.FromDays(1), offset: TimeSpan.FromHours(-3)))), actual);
        Assert.All(actual, r => Assert.Equal(21, r.Bucket.UtcDateTime.Hour));
    }

    [Fact]
    public async Task Daily_buckets_in_Europe_Berlin_follow_local_midnight_across_the_DST_change()
    {
        var query = _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeUtc, "Europe/Berlin"), m.DeviceId })
            .Select(g => new BucketRow<DateTime> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId);
        AssertSql("time_bucket(INTERVAL '1 00:00:00', h.\"TimeUtc\", 'Europe/Berlin')", query.ToQueryString());

        var actual = await query.ToListAsync();
        Equal(Expected(m => FloorInZone(m.TimeUtc, TimeSpan.FromDays(1), "Europe/Berlin", _timescale)), actual);

        // Local midnight is 23:00 UTC in winter time (up to 2026-03-29) and 22:00 UTC in summer time.
        var buckets = actual.Select(r => r.Bucket).Distinct().ToList();
        Assert.Contains(new DateTime(2026, 3, 28, 23, 0, 0, DateTimeKind.Utc), buckets);
        Assert.Contains(new DateTime(2026, 3, 29, 22, 0, 0, DateTimeKind.Utc), buckets);
        Assert.Equal(TimeSpan.FromHours(23), new DateTime(2026, 3, 29, 22, 0, 0) - new DateTime(2026, 3, 28, 23, 0, 0));
    }

    [Fact]
    public async Task Time_zone_with_origin_and_with_offset_on_Instant_and_DateTimeOffset()
    {
        // 05:00 UTC is 06:00 in Berlin in winter: buckets start at 06:00 local time, before and after the DST change.
        var origin = Instant.FromUtc(2026, 3, 25, 5, 0);
        var withOrigin = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(Duration.FromDays(1), m.Instant, "Europe/Berlin", origin), m.DeviceId })
            .Select(g => new BucketRow<Instant> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();
        Equal(Expected(m => Instant.FromDateTimeUtc(FloorInZone(m.TimeUtc, TimeSpan.FromDays(1), "Europe/Berlin", _timescale, origin.ToDateTimeUtc()))), withOrigin);
        var zone = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        Assert.All(withOrigin, r => Assert.Equal(6, r.Bucket.InZone(zone).Hour));

        var offsetQuery = _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeOffset, "Europe/Berlin", TimeSpan.FromHours(6)), m.DeviceId })
            .Select(g => new BucketRow<DateTimeOffset> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId);
        AssertSql("'Europe/Berlin', \"offset\" => INTERVAL '06:00:00')", offsetQuery.ToQueryString());
        var withOffset = await offsetQuery.ToListAsync();
        Equal(Expected(m => new DateTimeOffset(FloorInZone(m.TimeUtc, TimeSpan.FromDays(1), "Europe/Berlin", _timescale, offset: TimeSpan.FromHours(6)))), withOffset);

        // Where versions differ: on the day clocks go forward, TimescaleDB before 2.25 starts the bucket at 06:00 local
        // time (04:00 UTC); 2.25 and later add the 6 hours in UTC to local midnight (23:00 UTC the day before): 05:00 UTC.
        var dstDay = plainPostgres
            ? FloorInZone(new DateTime(2026, 3, 29, 12, 0, 0, DateTimeKind.Utc), TimeSpan.FromDays(1), "Europe/Berlin", _timescale, offset: TimeSpan.FromHours(6))
            : await database.ScalarAsync<DateTime>("SELECT time_bucket('1 day', '2026-03-29 12:00+00'::timestamptz, 'Europe/Berlin', \"offset\" => '6 hours')");
        Assert.Equal(new DateTime(2026, 3, 29, _timescale < OffsetInUtcSince ? 4 : 5, 0, 0, DateTimeKind.Utc), dstDay.ToUniversalTime());
        Assert.Contains(withOffset, r => r.Bucket == new DateTimeOffset(dstDay.ToUniversalTime()));
    }

    [Fact]
    public async Task Monthly_Period_in_a_time_zone_on_Instant()
    {
        var zone = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        var actual = await _db.Measurements
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(Period.FromMonths(1), m.Instant, "Europe/Berlin"), m.DeviceId })
            .Select(g => new BucketRow<Instant> { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, Avg = g.Average(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId)
            .ToListAsync();

        Equal(
            Expected(m =>
            {
                var local = m.Instant.InZone(zone).Date;
                return new LocalDate(local.Year, local.Month, 1).AtStartOfDayInZone(zone).ToInstant();
            }),
            actual);
    }

    [Fact]
    public void Calling_on_the_client_throws_a_clear_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => EF.Functions.TimeBucket(TimeSpan.FromHours(1), DateTime.UtcNow));
        Assert.Contains("EF.Functions.TimeBucket", error.Message, StringComparison.Ordinal);
        Assert.Contains("only inside a LINQ query", error.Message, StringComparison.Ordinal);

        Assert.Throws<InvalidOperationException>(() => EF.Functions.Locf(1.0));
        Assert.Throws<InvalidOperationException>(() => EF.Functions.Last(new[] { (1.0, DateTime.UtcNow) }));
    }

    [Fact]
    public async Task Calling_after_materialising_throws_the_same_error()
    {
        var rows = await _db.Measurements.Where(m => m.DeviceId == 1).Take(3).ToListAsync();
        var error = Assert.Throws<InvalidOperationException>(() => rows.Select(m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc)).ToList());
        Assert.Contains("time_bucket()", error.Message, StringComparison.Ordinal);
    }
}
