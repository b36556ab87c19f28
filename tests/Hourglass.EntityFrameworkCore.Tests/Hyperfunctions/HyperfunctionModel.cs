using System.Collections.Concurrent;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>One reading stored in every time type the hyperfunctions support, all derived from the same UTC instant.</summary>
public sealed class Measurement
{
    public int Id { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }

    public double? MaybeValue { get; set; }

    /// <summary>timestamp with time zone (Npgsql's default for DateTime).</summary>
    public DateTime TimeUtc { get; set; }

    /// <summary>timestamp without time zone, Kind=Unspecified, the same wall clock as <see cref="TimeUtc"/>.</summary>
    public DateTime TimeLocal { get; set; }

    public DateTimeOffset TimeOffset { get; set; }

    /// <summary><see cref="TimeUtc"/> when <see cref="MaybeValue"/> has a value, else null.</summary>
    public DateTime? MaybeTime { get; set; }

    public Instant Instant { get; set; }

    public LocalDateTime LocalTime { get; set; }

    public DateOnly Day { get; set; }

    public LocalDate LocalDay { get; set; }

    /// <summary>Seconds since <see cref="HyperfunctionData.Start"/>.</summary>
    public long Tick { get; set; }

    public int TickInt { get; set; }
}

public class HyperfunctionContext(DbContextOptions<HyperfunctionContext> options) : DbContext(options)
{
    public DbSet<Measurement> Measurements => Set<Measurement>();

    public static HyperfunctionContext Create(string connectionString)
        => new(new DbContextOptionsBuilder<HyperfunctionContext>()
            .UseNpgsql(connectionString, o => o.UseNodaTime().UseTimescale())
            .Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Measurement>(e =>
        {
            e.ToTable("hf_measurements");
            e.Property(m => m.TimeLocal).HasColumnType("timestamp without time zone");
        });
}

/// <summary>Seeded random readings plus a sparse device for gap filling; the same rows are checked with LINQ to objects.</summary>
public static class HyperfunctionData
{
    public static readonly DateTime Start = new(2026, 3, 25, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The device with readings only in some hours of 2026-03-27, leaving gaps to fill.</summary>
    public const int SparseDevice = 9;

    /// <summary>Hours of 2026-03-27 (UTC) the sparse device has readings in, with their value.</summary>
    public static readonly IReadOnlyList<(int Hour, double Value)> SparseHours = [(1, 10), (2, 14), (5, 20), (6, 26)];

    private static readonly ConcurrentDictionary<string, Task> s_seeded = new();

    public static IReadOnlyList<Measurement> Rows { get; } = Generate();

    public static Task EnsureSeededAsync(TestDatabase database)
        => s_seeded.GetOrAdd(database.ConnectionString, _ => SeedAsync(database.ConnectionString));

    private static async Task SeedAsync(string connectionString)
    {
        await using var db = HyperfunctionContext.Create(connectionString);
        await db.Database.ExecuteSqlRawAsync(db.Database.GenerateCreateScript());
        db.Measurements.AddRange(Rows.Select(Copy));
        await db.SaveChangesAsync();
    }

    private static Measurement Copy(Measurement m) => new()
    {
        Id = m.Id, DeviceId = m.DeviceId, Value = m.Value, MaybeValue = m.MaybeValue, TimeUtc = m.TimeUtc, TimeLocal = m.TimeLocal,
        TimeOffset = m.TimeOffset, MaybeTime = m.MaybeTime, Instant = m.Instant, LocalTime = m.LocalTime, Day = m.Day, LocalDay = m.LocalDay, Tick = m.Tick, TickInt = m.TickInt,
    };

    private static List<Measurement> Generate()
    {
        var random = new Random(20261123);
        var span = (int)TimeSpan.FromDays(9).TotalSeconds; // 2026-03-25 .. 2026-04-03: across Europe's DST change on 2026-03-29
        var seconds = new HashSet<int>();
        while (seconds.Count < 1200)
        {
            seconds.Add(random.Next(span));
        }

        var rows = new List<Measurement>();
        foreach (var second in seconds.Order())
        {
            var value = Math.Round(random.NextDouble() * 100, 3);
            rows.Add(Make(rows.Count + 1, 1 + random.Next(3), second, value, random.Next(5) == 0 ? null : value / 2));
        }

        var sparseDay = (int)(new DateTime(2026, 3, 27, 0, 0, 0, DateTimeKind.Utc) - Start).TotalSeconds;
        foreach (var (hour, value) in SparseHours)
        {
            // Two readings per hour whose average is the listed value.
            rows.Add(Make(rows.Count + 1, SparseDevice, sparseDay + hour * 3600 + 600, value - 1, null));
            rows.Add(Make(rows.Count + 1, SparseDevice, sparseDay + hour * 3600 + 1800, value + 1, null));
        }

        return rows;
    }

    private static Measurement Make(int id, int device, int second, double value, double? maybe)
    {
        var utc = Start.AddSeconds(second);
        var local = DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);
        return new Measurement
        {
            Id = id,
            DeviceId = device,
            Value = value,
            MaybeValue = maybe,
            TimeUtc = utc,
            TimeLocal = local,
            TimeOffset = new DateTimeOffset(utc),
            MaybeTime = maybe is null ? null : utc,
            Instant = Instant.FromDateTimeUtc(utc),
            LocalTime = LocalDateTime.FromDateTime(local),
            Day = DateOnly.FromDateTime(utc),
            LocalDay = LocalDate.FromDateTime(local),
            Tick = second,
            TickInt = second,
        };
    }
}

/// <summary>What the tests expect, computed in C# the way TimescaleDB documents time_bucket.</summary>
public static class ExpectedBuckets
{
    /// <summary>time_bucket's default origin for widths under a month: Monday 2000-01-03.</summary>
    public static readonly DateTime DefaultOrigin = new(2000, 1, 3);

    public static DateTime Floor(DateTime time, TimeSpan width, DateTime? origin = null, TimeSpan offset = default)
    {
        var start = origin ?? DateTime.SpecifyKind(DefaultOrigin, time.Kind);
        var ticks = (time - offset - start).Ticks;
        var buckets = ticks >= 0 ? ticks / width.Ticks : ((ticks + 1) / width.Ticks) - 1;
        return DateTime.SpecifyKind(start + offset + TimeSpan.FromTicks(buckets * width.Ticks), time.Kind);
    }

    /// <summary>TimescaleDB 2.25.0 changed how time_bucket applies an offset together with a time zone (timescale/timescaledb#9129).</summary>
    public static readonly Version OffsetInUtcSince = new(2, 25, 0);

    /// <summary>
    /// Buckets on the zone's wall clock, then back to UTC (time_bucket's timezone variant), the way the given
    /// TimescaleDB version computes it. Before 2.25 the offset moves the wall-clock time; from 2.25 on it moves the
    /// UTC time before the conversion to the wall clock and back after it, and a bucket that would start after
    /// its time (an ambiguous hour when clocks go back) steps back a width.
    /// </summary>
    public static DateTime FloorInZone(DateTime utc, TimeSpan width, string zoneId, Version timescaleVersion, DateTime? originUtc = null, TimeSpan offset = default)
    {
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        DateTime Wall(DateTime u) => Instant.FromDateTimeUtc(u).InZone(zone).LocalDateTime.ToDateTimeUnspecified();
        var wallOrigin = originUtc is { } o ? Wall(o) : DefaultOrigin;
        if (timescaleVersion < OffsetInUtcSince)
        {
            var wallBucket = Floor(Wall(utc), width, wallOrigin, offset);
            return zone.AtLeniently(LocalDateTime.FromDateTime(wallBucket)).ToDateTimeUtc();
        }

        // PostgreSQL reads a wall-clock time that a DST change skips with the offset before the change, and one it
        // repeats with the offset after it.
        var postgresResolver = NodaTime.TimeZones.Resolvers.CreateMappingResolver(NodaTime.TimeZones.Resolvers.ReturnLater, NodaTime.TimeZones.Resolvers.ReturnForwardShifted);
        var shifted = utc - offset;
        var bucket = zone.ResolveLocal(LocalDateTime.FromDateTime(Floor(Wall(shifted), width, wallOrigin)), postgresResolver).ToDateTimeUtc();
        while (bucket > shifted)
        {
            bucket -= width;
        }

        return bucket + offset;
    }

    public static void Equal<TKey>(IReadOnlyList<BucketRow<TKey>> expected, IReadOnlyList<BucketRow<TKey>> actual)
    {
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Bucket, actual[i].Bucket);
            Assert.Equal(expected[i].DeviceId, actual[i].DeviceId);
            Assert.Equal(expected[i].Count, actual[i].Count);
            Assert.Equal(expected[i].Max, actual[i].Max);
            Assert.Equal(expected[i].Avg, actual[i].Avg, 9);
        }
    }
}

public sealed record BucketRow<TKey>
{
    public required TKey Bucket { get; init; }

    public int DeviceId { get; init; }

    public double Avg { get; init; }

    public double Max { get; init; }

    public int Count { get; init; }
}
