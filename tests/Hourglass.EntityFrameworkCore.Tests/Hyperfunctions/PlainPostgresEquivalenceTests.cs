using System.Collections;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>
/// The same LINQ on TimescaleDB and on native PostgreSQL 15 without it (Degrade, the default): every query runs on
/// both servers over the same rows, the seeded readings and a generated 100,000-row set, and must return exactly the
/// same rows; on PostgreSQL the SQL must not call a TimescaleDB function.
/// </summary>
public sealed class PlainPostgresEquivalenceTests(TimescaleDatabaseFixture timescale, PostgresDatabaseFixture postgres)
    : TimescaleAndPostgresComparison(timescale, postgres), IClassFixture<TimescaleDatabaseFixture>, IClassFixture<PostgresDatabaseFixture>
{
    private static readonly string[] TimescaleFunctions = ["time_bucket", "first(", "last(", "histogram(", "locf(", "interpolate("];

    public static TheoryData<string> Queries() => [.. BucketQueries.Keys];

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Seeded_readings_give_the_same_rows(string name)
    {
        var query = BucketQueries[name];
        await AssertSameAsync(query(OnTimescale.Measurements), query(OnPostgres.Measurements), TimescaleVersionMatters(name, fallBackInData: false));
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Generated_100000_rows_give_the_same_rows(string name)
    {
        await BigData.EnsureAsync(TimescaleDatabase, PostgresDatabase);
        await using var onTimescale = BigData.Context(TimescaleDatabase.ConnectionString);
        await using var onPostgres = BigData.Context(PostgresDatabase.ConnectionString);
        Assert.Equal(BigData.Rows, await onPostgres.Measurements.CountAsync());
        var query = BucketQueries[name];
        await AssertSameAsync(query(onTimescale.Measurements), query(onPostgres.Measurements), TimescaleVersionMatters(name, fallBackInData: true));
    }

    [Fact]
    public async Task Histogram_gives_the_same_arrays_with_empty_groups()
    {
        IQueryable<HistogramRow> Query(IQueryable<Measurement> set) => set
            .GroupBy(m => new { Day = EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeUtc), m.DeviceId })
            .Select(g => new
            {
                g.Key.Day,
                g.Key.DeviceId,
                All = EF.Functions.Histogram(g.Select(m => m.Value), 10, 90, 8),
                Filtered = EF.Functions.Histogram(g.Where(m => m.Value > 97).Select(m => m.Value), 97, 99.5, 5),
            })
            .OrderBy(r => r.Day).ThenBy(r => r.DeviceId)
            .Select(r => new HistogramRow { Day = r.Day, DeviceId = r.DeviceId, All = r.All, Filtered = r.Filtered });

        var expected = await Query(OnTimescale.Measurements).ToListAsync();
        var actual = await Query(OnPostgres.Measurements).ToListAsync();
        Assert.Contains(expected, r => r.Filtered is null);
        Assert.Contains(expected, r => r.Filtered is not null);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Day, expected[i].DeviceId), (actual[i].Day, actual[i].DeviceId));
            Assert.Equal(expected[i].All, actual[i].All);
            Assert.Equal(expected[i].Filtered, actual[i].Filtered);
        }

        AssertPlain(Query(OnPostgres.Measurements).ToQueryString());
        Assert.Contains("width_bucket(", Query(OnPostgres.Measurements).ToQueryString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approximate_row_count_is_exact_for_a_small_table_and_close_for_an_analyzed_large_one()
    {
        Assert.Equal(HyperfunctionData.Rows.Count, await OnPostgres.Measurements.ApproximateRowCountAsync());

        await BigData.EnsureAsync(PostgresDatabase);
        await using var big = BigData.Context(PostgresDatabase.ConnectionString);
        await big.Database.ExecuteSqlRawAsync("ANALYZE hf_big");
        var size = await PostgresDatabase.ScalarAsync<long>("SELECT pg_relation_size('hf_big')");
        var estimate = await big.Measurements.ApproximateRowCountAsync();
        Assert.InRange(estimate, BigData.Rows * 9 / 10, BigData.Rows * 11 / 10);
        if (size < 8388608)
        {
            Assert.Equal(BigData.Rows, estimate);
        }
    }

    [Fact]
    public async Task Seed_002_aggregate_endpoint_answers_the_same_on_both_servers()
    {
        // GET /datapoints/aggregate?bucket=1+hour&start=...&end=...&source=...&aggs=avg,min,max,count, and /latest per source.
        await BigData.EnsureAsync(TimescaleDatabase, PostgresDatabase);
        await using var onTimescale = BigData.Context(TimescaleDatabase.ConnectionString);
        await using var onPostgres = BigData.Context(PostgresDatabase.ConnectionString);
        var start = new DateTime(2026, 3, 20, 0, 0, 0, DateTimeKind.Utc);
        var end = new DateTime(2026, 4, 10, 0, 0, 0, DateTimeKind.Utc);
        foreach (var (bucket, source) in new[] { (TimeSpan.FromHours(1), (int?)3), (TimeSpan.FromDays(1), null), (TimeSpan.FromDays(7), 5) })
        {
            IQueryable<AggregateRow> Aggregate(IQueryable<Measurement> set) => set
                .Where(m => m.TimeUtc >= start && m.TimeUtc < end && (source == null || m.DeviceId == source))
                .GroupBy(m => EF.Functions.TimeBucket(bucket, m.TimeUtc))
                .Select(g => new AggregateRow { Bucket = g.Key, Avg = g.Average(m => m.Value), Min = g.Min(m => m.Value), Max = g.Max(m => m.Value), Count = g.Count() })
                .OrderBy(r => r.Bucket);

            var expected = await Aggregate(onTimescale.Measurements).ToListAsync();
            var actual = await Aggregate(onPostgres.Measurements).ToListAsync();
            AssertPlain(Aggregate(onPostgres.Measurements).ToQueryString());
            Assert.NotEmpty(expected);
            Assert.Equal(expected.Select(r => (r.Bucket, r.Min, r.Max, r.Count)), actual.Select(r => (r.Bucket, r.Min, r.Max, r.Count)));
            Assert.All(expected.Zip(actual), p => Assert.Equal(p.First.Avg, p.Second.Avg, 9));
        }

        IQueryable<object> Latest(IQueryable<Measurement> set) => set
            .GroupBy(m => m.DeviceId)
            .Select(g => new { Source = g.Key, Value = EF.Functions.Last(g.Select(m => new ValueTuple<double, DateTime>(m.Value, m.TimeUtc))), Time = g.Max(m => m.TimeUtc) })
            .OrderBy(r => r.Source)
            .Cast<object>();
        await AssertSameAsync(Latest(onTimescale.Measurements), Latest(onPostgres.Measurements), versionMatters: false);
    }

    public sealed class AggregateRow
    {
        public DateTime Bucket { get; init; }

        public double Avg { get; init; }

        public double Min { get; init; }

        public double Max { get; init; }

        public int Count { get; init; }
    }

    [NativeTimescaleFact("a second native TimescaleDB started with timescaledb.license=apache (HOURGLASS_TIMESCALEDB_HOME)")]
    public async Task On_the_Apache_edition_TimescaleDB_s_own_functions_stay()
    {
        await using var database = await (await TestServers.RequireNativeApacheAsync()).CreateDatabaseAsync("hfapache");
        await HyperfunctionData.EnsureSeededAsync(database);
        await using var onApache = HyperfunctionContext.Create(database.ConnectionString);

        // time_bucket, first, last and histogram are Apache-licensed: the same SQL as on the community edition, the same rows.
        foreach (var name in new[] { "hourly timestamptz", "Berlin daily", "monthly LocalDate", "first and last per 6 hours" })
        {
            var query = BucketQueries[name];
            var sql = query(onApache.Measurements).ToQueryString();
            Assert.True(sql.Contains("time_bucket(", StringComparison.Ordinal), sql);
            Assert.Equal(await query(OnTimescale.Measurements).ToListAsync(), await query(onApache.Measurements).ToListAsync());
        }

        // Gap filling is community-licensed: GapfillOnPlainPostgresTests runs its shapes on this edition too.
    }

    [Fact]
    public async Task Strict_keeps_TimescaleDB_s_functions_and_the_clear_error()
    {
        await using var strict = new HyperfunctionContext(new DbContextOptionsBuilder<HyperfunctionContext>()
            .UseNpgsql(PostgresDatabase.ConnectionString, o => o.UseNodaTime().UseTimescale(t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict)))
            .Options);
        var query = strict.Measurements.GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc)).Select(g => new { g.Key, Count = g.Count() });
        Assert.Contains("time_bucket(", query.ToQueryString(), StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => query.ToListAsync());
        Assert.Contains("TimescaleDB hyperfunction", error.Message, StringComparison.Ordinal);

        // The Degrade context of the same model and service provider still gets its own (plain) translation from EF's cache.
        AssertPlain(OnPostgres.Measurements.GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc)).Select(g => new { g.Key, Count = g.Count() }).ToQueryString());
    }

    [Fact]
    public async Task The_option_translates_for_plain_PostgreSQL_without_asking_the_server()
    {
        // On the TimescaleDB server itself: the option wins over detection, and the answers are still TimescaleDB's.
        await using var forced = new HyperfunctionContext(new DbContextOptionsBuilder<HyperfunctionContext>()
            .UseNpgsql(TimescaleDatabase.ConnectionString, o => o.UseNodaTime().UseTimescale(t => t.TranslateQueriesFor(TimescaleEdition.None)))
            .Options);
        var query = BucketQueries["Berlin daily"];
        var sql = query(forced.Measurements).ToQueryString();
        AssertPlain(sql);
        Assert.Contains("date_bin(", sql, StringComparison.Ordinal);
        await AssertSameAsync(query(OnTimescale.Measurements), query(forced.Measurements), versionMatters: false);
    }

    // Before 2.25 TimescaleDB applies an offset with a time zone differently on DST days, and in the hour repeated when
    // clocks go back it starts a bucket after its time; plain PostgreSQL follows 2.25 and later.
    private bool TimescaleVersionMatters(string name, bool fallBackInData)
        => TimescaleVersion < ExpectedBuckets.OffsetInUtcSince
           && (name.Contains("offset in a zone", StringComparison.Ordinal) || (fallBackInData && ZonedQueries.Contains(name)));

    private static readonly HashSet<string> ZonedQueries = ["Berlin daily", "Berlin hourly", "New York 5 hours", "Berlin with origin", "Berlin daily offset in a zone", "Berlin monthly"];

    private static async Task AssertSameAsync<T>(IQueryable<T> onTimescale, IQueryable<T> onPostgres, bool versionMatters)
    {
        var sql = onPostgres.ToQueryString();
        AssertPlain(sql);
        var expected = await onTimescale.ToListAsync();
        var actual = await onPostgres.ToListAsync();
        Assert.NotEmpty(expected);
        if (versionMatters)
        {
            // Only the buckets around the DST changes (four in the generated data, each moving rows between two buckets) may
            // differ from this older TimescaleDB, and every row is still counted once.
            Assert.True(expected.Except(actual).Count() <= 8, $"{expected.Except(actual).Count()} of {expected.Count} rows differ.");
            Assert.Equal(Total(expected), Total(actual));
            return;
        }

        Assert.Equal(expected, actual);
    }

    private static long Total<T>(IEnumerable<T> rows) => rows.Sum(r => (int)r!.GetType().GetProperty("Count")!.GetValue(r)!);

    private static void AssertPlain(string sql)
    {
        foreach (var function in TimescaleFunctions)
        {
            Assert.DoesNotContain(function, sql, StringComparison.Ordinal);
        }
    }

    public sealed class HistogramRow
    {
        public DateTime Day { get; init; }

        public int DeviceId { get; init; }

        public int[]? All { get; init; }

        public int[]? Filtered { get; init; }
    }

    private static readonly DateTime FutureOrigin = new(2026, 3, 30, 0, 20, 0, DateTimeKind.Utc);
    private static readonly Instant InstantOrigin = Instant.FromUtc(2026, 3, 25, 5, 0);
    private static readonly DateOnly DayOrigin = new(2026, 3, 31);

    private static IQueryable<object> Rows<TKey>(IQueryable<Measurement> set, System.Linq.Expressions.Expression<Func<Measurement, TKey>> bucket)
        => set.GroupBy(bucket).Select(g => new { Bucket = g.Key, Count = g.Count(), Ids = g.Sum(m => (long)m.Id), Max = g.Max(m => m.Value) }).OrderBy(r => r.Bucket).Cast<object>();

    private static readonly Dictionary<string, Func<IQueryable<Measurement>, IQueryable<object>>> BucketQueries = new()
    {
        ["hourly timestamptz"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc)),
        ["7 minutes timestamptz"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromMinutes(7), m.TimeUtc)),
        ["90 minutes timestamp"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromMinutes(90), m.TimeLocal)),
        ["weekly timestamp (Mondays)"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromDays(7), m.TimeLocal)),
        ["12 hours nullable"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(12), m.MaybeTime)),
        ["6 hours DateTimeOffset"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(6), m.TimeOffset)),
        ["origin after the times"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(5), m.TimeUtc, FutureOrigin)),
        ["origin on timestamp"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(2), m.TimeLocal, DateTime.SpecifyKind(FutureOrigin, DateTimeKind.Unspecified))),
        ["negative offset"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeOffset, TimeSpan.FromHours(-3))),
        ["offset on timestamp"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(4), m.TimeLocal, TimeSpan.FromMinutes(25))),
        ["weekly DateOnly"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromDays(7), m.Day)),
        ["3 days DateOnly with origin"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromDays(3), m.Day, DayOrigin)),
        ["2 days DateOnly with offset"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromDays(2), m.Day, TimeSpan.FromDays(1))),
        ["30 minutes Instant"] = s => Rows(s, m => EF.Functions.TimeBucket(Duration.FromMinutes(30), m.Instant)),
        ["6 hours LocalDateTime Period"] = s => Rows(s, m => EF.Functions.TimeBucket(Period.FromHours(6), m.LocalTime)),
        ["monthly LocalDate"] = s => Rows(s, m => EF.Functions.TimeBucket(Period.FromMonths(1), m.LocalDay)),
        ["two months LocalDateTime"] = s => Rows(s, m => EF.Functions.TimeBucket(Period.FromMonths(2), m.LocalTime)),
        ["monthly Instant (UTC)"] = s => Rows(s, m => EF.Functions.TimeBucket(Period.FromMonths(1), m.Instant)),
        ["quarterly LocalDate with origin"] = s => Rows(s, m => EF.Functions.TimeBucket(Period.FromMonths(3), m.LocalDay, new LocalDate(2026, 2, 1))),
        ["Period width from a variable"] = s => PeriodVariable(s),
        ["bigint"] = s => Rows(s, m => EF.Functions.TimeBucket(3600L, m.Tick)),
        ["bigint negative times"] = s => Rows(s, m => EF.Functions.TimeBucket(3600L, m.Tick - 400000L)),
        ["integer with offset"] = s => Rows(s, m => EF.Functions.TimeBucket(7200, m.TickInt - 300000, 600)),
        ["Berlin daily"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeUtc, "Europe/Berlin")),
        ["Berlin hourly"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc, "Europe/Berlin")),
        ["New York 5 hours"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromHours(5), m.TimeOffset, "America/New_York")),
        ["Berlin with origin"] = s => Rows(s, m => EF.Functions.TimeBucket(Duration.FromDays(1), m.Instant, "Europe/Berlin", InstantOrigin)),
        ["Berlin daily offset in a zone"] = s => Rows(s, m => EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeOffset, "Europe/Berlin", TimeSpan.FromHours(6))),
        ["Berlin monthly"] = s => Rows(s, m => EF.Functions.TimeBucket(Period.FromMonths(1), m.Instant, "Europe/Berlin")),
        ["first and last per 6 hours"] = s => s
            .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(6), m.TimeUtc), m.DeviceId })
            .Select(g => new
            {
                g.Key.Bucket,
                g.Key.DeviceId,
                Opening = EF.Functions.First(g.Select(m => new ValueTuple<double, DateTime>(m.Value, m.TimeUtc))),
                Closing = EF.Functions.Last(g.Select(m => new ValueTuple<double, DateTime>(m.Value, m.TimeUtc))),
            })
            .OrderBy(r => r.Bucket).ThenBy(r => r.DeviceId).Cast<object>(),
        ["first and last with nulls"] = s => s
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(3), m.TimeUtc))
            .Select(g => new
            {
                Bucket = g.Key,
                FirstMaybe = EF.Functions.First(g.Select(m => new ValueTuple<double?, DateTime>(m.MaybeValue, m.TimeUtc))),
                LastByMaybeTime = EF.Functions.Last(g.Select(m => new ValueTuple<double, DateTime?>(m.Value, m.MaybeTime))),
                LastFiltered = EF.Functions.Last(g.Where(m => m.MaybeValue != null && m.MaybeValue > 40).Select(m => new ValueTuple<double?, long>(m.MaybeValue, m.Tick))),
            })
            .OrderBy(r => r.Bucket).Cast<object>(),
        ["last per device by Instant"] = s => s
            .GroupBy(m => m.DeviceId)
            .Select(g => new { DeviceId = g.Key, Last = EF.Functions.Last(g.Select(m => new ValueTuple<double, Instant>(m.Value, m.Instant))), LastTime = g.Max(m => m.Instant) })
            .OrderBy(r => r.DeviceId).Cast<object>(),
    };

    private static IQueryable<object> PeriodVariable(IQueryable<Measurement> set)
    {
        var width = Period.FromMonths(1);
        var hours = Period.FromHours(8);
        return set.GroupBy(m => new { Months = EF.Functions.TimeBucket(width, m.LocalTime), Hours = EF.Functions.TimeBucket(hours, m.LocalTime) })
            .Select(g => new { g.Key.Months, g.Key.Hours, Count = g.Count() })
            .OrderBy(r => r.Months).ThenBy(r => r.Hours).Cast<object>();
    }
}

/// <summary>100,000 readings made by the server from one INSERT ... SELECT, identical on every server.</summary>
internal static class BigData
{
    public const int Rows = 100_000;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> s_made = new();

    public static HyperfunctionContext Context(string connectionString) => new BigContext(connectionString);

    public static Task EnsureAsync(params TestDatabase[] databases)
        => Task.WhenAll(databases.Select(d => s_made.GetOrAdd(d.ConnectionString, _ => MakeAsync(d.ConnectionString))));

    private static async Task MakeAsync(string connectionString)
    {
        await using var db = Context(connectionString);
        await db.Database.ExecuteSqlRawAsync(db.Database.GenerateCreateScript());

        // Times spread over two years around 2026 (both DST changes, month ends, times before the default origin's
        // week boundaries), some NULLs; all from integer arithmetic, so every server makes the same rows.
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO hf_big ("Id", "DeviceId", "Value", "MaybeValue", "TimeUtc", "TimeLocal", "TimeOffset", "MaybeTime", "Instant", "LocalTime", "Day", "LocalDay", "Tick", "TickInt")
            SELECT i, 1 + i % 7, v, CASE WHEN i % 5 = 0 THEN NULL ELSE v / 2 END, t, t AT TIME ZONE 'UTC', t, CASE WHEN i % 5 = 0 THEN NULL ELSE t END, t,
                   t AT TIME ZONE 'UTC', (t AT TIME ZONE 'UTC')::date, (t AT TIME ZONE 'UTC')::date, s, s
            FROM (
                SELECT i, ((i::bigint * 7919) % 10007) / 100.0 AS v,
                       TIMESTAMPTZ '2025-06-01 00:00:00+00' + make_interval(secs => s) AS t, s
                FROM (SELECT i, (i::bigint * 631) % 63072000 AS s FROM generate_series(1, 100000) AS i) AS g
            ) AS r
            """);
    }

    private sealed class BigContext(string connectionString) : HyperfunctionContext(new DbContextOptionsBuilder<HyperfunctionContext>()
        .UseNpgsql(connectionString, o => o.UseNodaTime().UseTimescale())
        .Options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            base.OnModelCreating(modelBuilder);
            modelBuilder.Entity<Measurement>().ToTable("hf_big");
        }
    }
}
