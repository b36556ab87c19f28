using System.Buffers.Binary;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.UuidV7;

public class UuidSample
{
    public int Id { get; set; }

    public Guid Uuid { get; set; }

    public DateTime Time { get; set; }

    public string Kind { get; set; } = "";
}

/// <summary>
/// <c>EF.Functions.UuidTimestamp</c>, <c>UuidTimestampMicros</c>, <c>UuidVersion</c> and <c>ToUuidV7Boundary</c> on TimescaleDB
/// (its functions) and on native PostgreSQL 15 without it (computed from the UUID's bytes): the same rows, value for value,
/// over .NET's <c>Guid.CreateVersion7</c> keys, keys with a microsecond fraction as TimescaleDB's <c>to_uuidv7</c> writes
/// them, version 4 and other-variant UUIDs (NULL on both) and boundaries of microsecond timestamps from 1970 to 2200.
/// </summary>
public sealed class UuidFunctionsOnPlainPostgresTests(TimescaleDatabaseFixture timescale, PostgresDatabaseFixture postgres)
    : IClassFixture<TimescaleDatabaseFixture>, IClassFixture<PostgresDatabaseFixture>
{
    private static readonly string[] TimescaleFunctions = ["uuid_timestamp", "uuid_version", "to_uuidv7"];

    private static Action<ModelBuilder> Model(string schema) => b =>
    {
        b.HasDefaultSchema(schema);
        b.Entity<UuidSample>().ToTable("uuid_samples").Property(x => x.Id).ValueGeneratedNever();
    };

    private static List<UuidSample> Samples()
    {
        var random = new Random(7);
        var start = DateTime.UnixEpoch;
        var range = new DateTime(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc) - start;
        DateTime RandomTime() => start.AddTicks((long)(random.NextDouble() * range.Ticks) / 10 * 10);
        var samples = new List<UuidSample>();
        for (var i = 0; i < 3000; i++)
        {
            var time = RandomTime();
            var (uuid, kind) = (i % 6) switch
            {
                0 or 1 => (Guid.CreateVersion7(new DateTimeOffset(time)), "dotnet v7"),
                2 or 3 => (WithMicroseconds(time, random), "v7 with microseconds"),
                4 => (Guid.NewGuid(), "v4"),
                _ => (OtherVariant(random), "v7, not the RFC variant"),
            };
            samples.Add(new UuidSample { Id = i, Uuid = uuid, Time = RandomTime(), Kind = kind });
        }

        return samples;
    }

    // As TimescaleDB's to_uuidv7 and PostgreSQL 18's uuidv7 write it: milliseconds, version 7 with the microseconds
    // scaled to 12 bits, the RFC 9562 variant, random bits.
    private static Guid WithMicroseconds(DateTime time, Random random)
    {
        var microseconds = (time - DateTime.UnixEpoch).Ticks / 10;
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        Span<byte> milliseconds = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(milliseconds, microseconds / 1000);
        milliseconds[2..].CopyTo(bytes);
        var randA = (int)(microseconds % 1000 * 4096 / 1000);
        bytes[6] = (byte)(0x70 | (randA >> 8));
        bytes[7] = (byte)randA;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }

    private static Guid OtherVariant(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(bytes[8] | 0xC0);
        return new Guid(bytes, bigEndian: true);
    }

    private async Task<(ModelContext OnTimescale, ModelContext OnPostgres, List<UuidSample> Samples)> SeededAsync()
    {
        var samples = Samples();
        var onTimescale = ModelContext.Create(timescale.Database.ConnectionString, Model(timescale.Database.Schema));
        var onPostgres = ModelContext.Create(postgres.Database.ConnectionString, Model(postgres.Database.Schema));
        foreach (var context in new[] { onTimescale, onPostgres })
        {
            if (!await context.Set<UuidSample>().AnyAsync().ContinueWith(t => !t.IsFaulted && t.Result, TaskScheduler.Default))
            {
                await context.ApplyAsync(context.DiffFrom(null));
                await context.BulkInsertAsync(samples);
            }
        }

        return (onTimescale, onPostgres, samples);
    }

    private async Task<Version> TimescaleVersionAsync()
        => Version.Parse((await timescale.Database.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).Split('-')[0]);

    private static IQueryable<object> Values(IQueryable<UuidSample> set) => set
        .OrderBy(x => x.Id)
        .Select(x => new
        {
            x.Id,
            Timestamp = (DateTime?)EF.Functions.UuidTimestamp(x.Uuid),
            Micros = (DateTime?)EF.Functions.UuidTimestampMicros(x.Uuid),
            Version = (int?)EF.Functions.UuidVersion(x.Uuid),
            Boundary = EF.Functions.ToUuidV7Boundary(x.Time),
        });

    [Fact]
    public async Task Every_function_gives_the_same_value_on_PostgreSQL_as_on_TimescaleDB()
    {
        var (onTimescale, onPostgres, samples) = await SeededAsync();
        await using var _ = onTimescale;
        await using var __ = onPostgres;
        var portableSql = Values(onPostgres.Set<UuidSample>()).ToQueryString();
        Assert.DoesNotContain(TimescaleFunctions, f => portableSql.Contains(f, StringComparison.Ordinal));
        Assert.Contains("uuid_send(", portableSql, StringComparison.Ordinal);

        var expected = await Values(onTimescale.Set<UuidSample>()).ToListAsync();
        var actual = await Values(onPostgres.Set<UuidSample>()).ToListAsync();
        Assert.Equal(samples.Count, expected.Count);
        if (await TimescaleVersionAsync() < UuidPartitioning.MicrosecondDecoding)
        {
            // Before 2.24 TimescaleDB decoded the microseconds as rand_a * 1000 / 4096; the plain-PostgreSQL form decodes them
            // as 2.24 and later do, (rand_a + 1) * 1000 / 4096: equal, or one microsecond more, and all else the same.
            for (var i = 0; i < expected.Count; i++)
            {
                dynamic older = expected[i], portable = actual[i];
                var difference = ((DateTime?)portable.Micros - (DateTime?)older.Micros)?.Ticks;
                Assert.True(difference is null or 0 or 10, $"row {i}: {older.Micros} on TimescaleDB, {portable.Micros} on PostgreSQL");
                expected[i] = new { older.Boundary, older.Id, portable.Micros, older.Timestamp, older.Version };
                actual[i] = new { portable.Boundary, portable.Id, portable.Micros, portable.Timestamp, portable.Version };
            }
        }

        Assert.Equal(expected, actual);

        // And both are what the UUIDs hold: .NET's millisecond, NULL for other versions and variants.
        dynamic Row(int id) => expected[id];
        foreach (var sample in samples)
        {
            var row = Row(sample.Id);
            switch (sample.Kind)
            {
                case "dotnet v7":
                    Assert.Equal(sample.Uuid.ToString()[..13].Replace("-", "", StringComparison.Ordinal), ((long)((DateTime)row.Timestamp - DateTime.UnixEpoch).TotalMilliseconds).ToString("x12", System.Globalization.CultureInfo.InvariantCulture));
                    Assert.Equal(7, (int)row.Version);
                    break;
                case "v4":
                    Assert.Null((DateTime?)row.Timestamp);
                    Assert.Equal(4, (int)row.Version);
                    break;
                case "v7, not the RFC variant":
                    Assert.Null((DateTime?)row.Timestamp);
                    Assert.Null((int?)row.Version);
                    break;
            }
        }
    }

    [Fact]
    public async Task Filters_and_time_buckets_over_the_uuid_timestamp_give_the_same_rows()
    {
        var (onTimescale, onPostgres, samples) = await SeededAsync();
        await using var _ = onTimescale;
        await using var __ = onPostgres;
        var since = new DateTime(2050, 6, 1, 12, 30, 0, DateTimeKind.Utc);

        IQueryable<int> Since(IQueryable<UuidSample> set) => set.Where(x => x.Uuid >= EF.Functions.ToUuidV7Boundary(since) && EF.Functions.UuidVersion(x.Uuid) == 7).OrderBy(x => x.Id).Select(x => x.Id);
        var expected = await Since(onTimescale.Set<UuidSample>()).ToListAsync();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, await Since(onPostgres.Set<UuidSample>()).ToListAsync());

        IQueryable<object> PerYear(IQueryable<UuidSample> set) => set
            .Where(x => EF.Functions.UuidVersion(x.Uuid) == 7)
            .GroupBy(x => EF.Functions.TimeBucket(TimeSpan.FromDays(365), EF.Functions.UuidTimestamp(x.Uuid)))
            .Select(g => new { Bucket = g.Key, Count = g.Count(), Latest = g.Max(x => EF.Functions.UuidTimestampMicros(x.Uuid)) })
            .OrderBy(g => g.Bucket);
        var buckets = await PerYear(onTimescale.Set<UuidSample>()).ToListAsync();
        var portableBuckets = await PerYear(onPostgres.Set<UuidSample>()).ToListAsync();
        Assert.True(buckets.Count > 100, $"{buckets.Count} buckets");
        if (await TimescaleVersionAsync() < UuidPartitioning.MicrosecondDecoding)
        {
            // The microseconds as TimescaleDB decodes them from 2.24 on (see above): the latest of each year may be one more.
            Assert.Equal(buckets.Select(b => ((dynamic)b).Bucket).ToList(), portableBuckets.Select(b => ((dynamic)b).Bucket).ToList());
            Assert.Equal(buckets.Select(b => ((dynamic)b).Count).ToList(), portableBuckets.Select(b => ((dynamic)b).Count).ToList());
            Assert.All(buckets.Zip(portableBuckets), p => Assert.InRange((((dynamic)p.Second).Latest - ((dynamic)p.First).Latest).Ticks, 0L, 10L));
        }
        else
        {
            Assert.Equal(buckets, portableBuckets);
        }

        Assert.Equal(samples.Count(s => s.Kind.StartsWith("dotnet", StringComparison.Ordinal) || s.Kind.EndsWith("microseconds", StringComparison.Ordinal)), buckets.Sum(b => (int)((dynamic)b).Count));
    }
}
