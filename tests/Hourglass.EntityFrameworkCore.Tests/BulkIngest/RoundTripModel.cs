using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

public enum Mood
{
    Sad,
    Ok,
    Happy,
}

public enum Level
{
    Low = 1,
    High = 2,
}

public enum Color
{
    Red,
    Green,
    Blue,
}

public readonly record struct Celsius(double Degrees);

/// <summary>Every column kind bulk ingest supports.</summary>
public sealed class AllTypes
{
    public int Id { get; set; }

    public DateTime Time { get; set; }

    public DateTime LocalStamp { get; set; }

    public DateTimeOffset Offset { get; set; }

    public DateOnly Day { get; set; }

    public TimeOnly TimeOfDay { get; set; }

    public TimeSpan Duration { get; set; }

    public short Small { get; set; }

    public int Number { get; set; }

    public long Big { get; set; }

    public float Ratio { get; set; }

    public double Third { get; set; }

    public decimal Money { get; set; }

    public bool Flag { get; set; }

    public string Text { get; set; } = "";

    public string? OptionalText { get; set; }

    public string Name { get; set; } = "";

    public Guid Identifier { get; set; }

    public byte[] Bytes { get; set; } = [];

    public int? OptionalNumber { get; set; }

    public double? OptionalDouble { get; set; }

    public DateTime? OptionalTime { get; set; }

    public int[] Numbers { get; set; } = [];

    public List<string> Tags { get; set; } = [];

    public Mood Mood { get; set; }

    public Mood? OptionalMood { get; set; }

    public Level Level { get; set; }

    public Color Color { get; set; }

    public Celsius Temperature { get; set; }

    public string Json { get; set; } = "{}";

    public JsonDocument? Document { get; set; }

    public Instant Instant { get; set; }

    public LocalDate LocalDate { get; set; }

    public LocalDateTime? LocalDateTime { get; set; }
}

public sealed class RoundTripContext(DbContextOptions<RoundTripContext> options) : DbContext(options)
{
    public const string MoodType = "bulk_rt_mood";

    public DbSet<AllTypes> AllTypes => Set<AllTypes>();

    public static RoundTripContext Create(string connectionString) =>
        new(new DbContextOptionsBuilder<RoundTripContext>()
            .UseNpgsql(connectionString, o => o.MapEnum<Mood>(MoodType).UseNodaTime())
            .Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<AllTypes>(e =>
    {
        e.ToTable("all_types");
        e.HasKey(a => new { a.Id, a.Time });
        e.Property(a => a.Id).ValueGeneratedNever();
        e.Property(a => a.LocalStamp).HasColumnType("timestamp without time zone");
        e.Property(a => a.Money).HasColumnType("numeric(18,4)");
        e.Property(a => a.Name).HasMaxLength(50);
        e.Property(a => a.Color).HasConversion<string>();
        e.Property(a => a.Temperature).HasConversion(c => c.Degrees, d => new Celsius(d));
        e.Property(a => a.Json).HasColumnType("jsonb");
        e.Property(a => a.Document).HasColumnType("jsonb");
    });

    public static AllTypes Sample(int i)
    {
        var time = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i * 17).AddTicks(i * 10);
        var odd = i % 2 == 1;
        return new AllTypes
        {
            Id = i,
            Time = time,
            LocalStamp = DateTime.SpecifyKind(time.AddHours(2), DateTimeKind.Unspecified),
            Offset = new DateTimeOffset(time.AddDays(-1), TimeSpan.Zero),
            Day = DateOnly.FromDateTime(time).AddDays(i),
            TimeOfDay = new TimeOnly(i % 24, i % 60, i % 60, i % 1000),
            Duration = TimeSpan.FromMilliseconds(i * 1234.5),
            Small = (short)(i % short.MaxValue * (odd ? -1 : 1)),
            Number = i * 31 * (odd ? -1 : 1),
            Big = i * 1_000_000_007L,
            Ratio = i / 7f,
            Third = i / 3.0,
            Money = i * 1.2345m,
            Flag = odd,
            Text = $"text {i} – ünïcødé ✓",
            OptionalText = odd ? null : $"optional {i}",
            Name = $"name-{i}",
            Identifier = new Guid(i, (short)i, (short)(i / 2), [1, 2, 3, 4, 5, 6, 7, (byte)(i % 256)]),
            Bytes = [(byte)(i % 256), 0, 255, (byte)(i / 256 % 256)],
            OptionalNumber = odd ? null : i,
            OptionalDouble = i % 3 == 0 ? null : i * 0.25,
            OptionalTime = odd ? time.AddYears(1) : null,
            Numbers = [i, -i, i * 2],
            Tags = odd ? [] : ["a", $"t{i}"],
            Mood = (Mood)(i % 3),
            OptionalMood = odd ? null : (Mood)((i + 1) % 3),
            Level = odd ? Level.High : Level.Low,
            Color = (Color)(i % 3),
            Temperature = new Celsius(i - 40.5),
            Json = $"{{\"i\": {i}, \"name\": \"n{i}\"}}",
            Document = odd ? null : JsonDocument.Parse($"{{\"doc\": [{i}, {i + 1}]}}"),
            Instant = Instant.FromUtc(2024, 1, 1, 0, 0).Plus(Duration.FromSeconds(i * 61)),
            LocalDate = new LocalDate(2020, 1, 1).PlusDays(i),
            LocalDateTime = odd ? null : new LocalDateTime(2021, 6, 1, 12, 0).PlusMinutes(i),
        };
    }
}
