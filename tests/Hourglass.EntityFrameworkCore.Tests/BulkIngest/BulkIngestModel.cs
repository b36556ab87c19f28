using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

/// <summary>Seed 003's metric shape: natural primary key (time, device, metric type).</summary>
public sealed class Metric
{
    public DateTime Time { get; set; }

    public string DeviceId { get; set; } = "";

    public string MetricType { get; set; } = "";

    public double Value { get; set; }

    public string Unit { get; set; } = "";

    public string? Tags { get; set; }
}

/// <summary>Seed 001's shape: surrogate identity in a composite key with time, and a natural unique key for ON CONFLICT.</summary>
public sealed class Observation
{
    public long Id { get; set; }

    public DateTime Time { get; set; }

    public string SeriesCode { get; set; } = "";

    public double Value { get; set; }

    public double? Revised { get; set; }

    public DateTime CreatedAt { get; set; }
}

public sealed class KeylessReading
{
    public DateTime Time { get; set; }

    public double Value { get; set; }
}

public sealed class NotMapped
{
    public int Id { get; set; }
}

/// <summary>Tables vary per test; the model cache key includes them.</summary>
public sealed class IngestContext(DbContextOptions<IngestContext> options, string suffix) : DbContext(options)
{
    public string Suffix { get; } = suffix;

    public DbSet<Metric> Metrics => Set<Metric>();

    public DbSet<Observation> Observations => Set<Observation>();

    public DbSet<KeylessReading> KeylessReadings => Set<KeylessReading>();

    public static IngestContext Create(string connectionString, string suffix) =>
        new(new DbContextOptionsBuilder<IngestContext>()
            .UseNpgsql(connectionString)
            .ReplaceService<IModelCacheKeyFactory, SuffixModelCacheKeyFactory>()
            .Options, suffix);

    /// <summary>Creates this context's tables from the model; hypertables on time when the server has TimescaleDB.</summary>
    public async Task CreateTablesAsync(bool hypertables)
    {
        await Database.ExecuteSqlRawAsync(Database.GenerateCreateScript());
        if (hypertables)
        {
            await Database.ExecuteSqlAsync($"SELECT create_hypertable({"metrics_" + Suffix}::regclass, by_range('time', INTERVAL '1 day'))");
            await Database.ExecuteSqlAsync($"SELECT create_hypertable({"observations_" + Suffix}::regclass, by_range('time', INTERVAL '1 day'))");
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Metric>(e =>
        {
            e.ToTable($"metrics_{Suffix}");
            e.HasKey(m => new { m.Time, m.DeviceId, m.MetricType });
            e.Property(m => m.Time).HasColumnName("time");
            e.Property(m => m.DeviceId).HasColumnName("device_id").HasMaxLength(100);
            e.Property(m => m.MetricType).HasColumnName("metric_type").HasMaxLength(50);
            e.Property(m => m.Value).HasColumnName("value");
            e.Property(m => m.Unit).HasColumnName("unit").HasMaxLength(20);
            e.Property(m => m.Tags).HasColumnName("tags").HasColumnType("jsonb");
        });
        modelBuilder.Entity<Observation>(e =>
        {
            e.ToTable($"observations_{Suffix}");
            e.HasKey(o => new { o.Id, o.Time });
            e.Property(o => o.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            e.Property(o => o.Time).HasColumnName("time");
            e.Property(o => o.SeriesCode).HasColumnName("series_code");
            e.Property(o => o.Value).HasColumnName("value");
            e.Property(o => o.Revised).HasColumnName("revised");
            e.Property(o => o.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
            e.HasIndex(o => new { o.SeriesCode, o.Time }).IsUnique().HasDatabaseName($"uq_observations_{Suffix}_natural");
            e.HasIndex(o => o.Value).HasDatabaseName($"ix_observations_{Suffix}_value");
        });
        modelBuilder.Entity<KeylessReading>(e =>
        {
            e.ToTable($"keyless_{Suffix}");
            e.HasNoKey();
        });
    }

    private sealed class SuffixModelCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), (context as IngestContext)?.Suffix, designTime);
    }
}

public static class Rows
{
    public static readonly DateTime Start = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static IEnumerable<Metric> Metrics(int count, double valueOffset = 0, string unit = "W")
    {
        for (var i = 0; i < count; i++)
        {
            yield return new Metric
            {
                Time = Start.AddSeconds(i / 10 * 10),
                DeviceId = $"device-{i % 10}",
                MetricType = "power",
                Value = i + valueOffset,
                Unit = unit,
                Tags = i % 3 == 0 ? null : $"{{\"room\": \"r{i % 7}\"}}",
            };
        }
    }

    public static async IAsyncEnumerable<T> Async<T>(IEnumerable<T> rows)
    {
        var n = 0;
        foreach (var row in rows)
        {
            if (++n % 1000 == 0)
            {
                await Task.Yield();
            }

            yield return row;
        }
    }

    public static string Suffix() => Guid.NewGuid().ToString("N")[..8];
}
