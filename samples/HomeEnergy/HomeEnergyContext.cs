using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace HomeEnergy;

/// <summary>A monitored device: smart plug, inverter, thermostat, charger.</summary>
public sealed class Device
{
    public required string DeviceId { get; set; }

    public required string Name { get; set; }

    public required string Type { get; set; }

    public string? Manufacturer { get; set; }

    public string? Model { get; set; }

    /// <summary>JSON, e.g. {"room": "office", "floor": 2}.</summary>
    public required string Location { get; set; }

    public required string[] Capabilities { get; set; }

    /// <summary>JSON, e.g. {"ip_address": "192.168.1.100", "polling_interval": 30}.</summary>
    public required string Configuration { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>An account of the household.</summary>
public sealed class User
{
    public required string UserId { get; set; }

    public required string Username { get; set; }

    public required string Email { get; set; }

    public required string Role { get; set; }

    /// <summary>JSON preferences: time zone, currency, theme.</summary>
    public required string Preferences { get; set; }
}

/// <summary>An electricity tariff.</summary>
public sealed class RateSchedule
{
    public required string RateId { get; set; }

    public required string Provider { get; set; }

    public required string PlanName { get; set; }

    public DateOnly EffectiveDate { get; set; }

    public required string Currency { get; set; }

    public required string TimeZone { get; set; }

    /// <summary>JSON: the periods and their rates.</summary>
    public required string RateStructure { get; set; }
}

/// <summary>One measurement of one device. The seed's table has no primary key; (device, type, time) is its natural key.</summary>
public sealed class Metric
{
    public DateTime Time { get; set; }

    public required string DeviceId { get; set; }

    public required string MetricType { get; set; }

    public double Value { get; set; }

    public required string Unit { get; set; }

    /// <summary>JSON tags, indexed with GIN.</summary>
    public string? Tags { get; set; }
}

/// <summary>One hour of one device's metric type: the seed's <c>metrics_hourly</c> continuous aggregate.</summary>
public sealed class HourlyMetric
{
    public DateTime Hour { get; set; }

    public required string DeviceId { get; set; }

    public required string MetricType { get; set; }

    public double AvgValue { get; set; }

    public double MinValue { get; set; }

    public double MaxValue { get; set; }

    public long SampleCount { get; set; }

    /// <summary>The sum of the hour's values when the metric is energy, else 0 (the seed's conditional sum).</summary>
    public double TotalEnergy { get; set; }

    public double P95Value { get; set; }
}

/// <summary>One day of one device's metric type: the seed's <c>metrics_daily</c> continuous aggregate.</summary>
public sealed class DailyMetric
{
    public DateTime Day { get; set; }

    public required string DeviceId { get; set; }

    public required string MetricType { get; set; }

    public double AvgValue { get; set; }

    public double MinValue { get; set; }

    public double MaxValue { get; set; }

    public double TotalEnergy { get; set; }

    public double MedianValue { get; set; }
}

public sealed class HomeEnergyContext(DbContextOptions<HomeEnergyContext> options) : DbContext(options)
{
    public const string Schema = "aetherlens";

    /// <summary>Chunks older than this go into the columnstore (the seed: 7 days).</summary>
    public static readonly TimeSpan CompressAfter = TimeSpan.FromDays(7);

    /// <summary>Raw metrics older than this are dropped (the seed: 90 days).</summary>
    public static readonly TimeSpan KeepRawFor = TimeSpan.FromDays(90);

    /// <summary>Hourly buckets older than this are dropped (the seed: 1 year).</summary>
    public const string KeepHourlyFor = "1 year";

    /// <summary>Daily buckets older than this are dropped (the seed: 5 years).</summary>
    public const string KeepDailyFor = "5 years";

    public DbSet<Device> Devices => Set<Device>();

    public DbSet<User> Users => Set<User>();

    public DbSet<RateSchedule> RateSchedules => Set<RateSchedule>();

    public DbSet<Metric> Metrics => Set<Metric>();

    public DbSet<HourlyMetric> HourlyMetrics => Set<HourlyMetric>();

    public DbSet<DailyMetric> DailyMetrics => Set<DailyMetric>();

    public static HomeEnergyContext Create(string connectionString) => new(new DbContextOptionsBuilder<HomeEnergyContext>()
        .UseNpgsql(connectionString, o => o.UseTimescale().MigrationsHistoryTable("__EFMigrationsHistory", Schema))
        .UseSnakeCaseNamingConvention()
        .Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Its own schema, so the sample shares a server with other applications without clashing.
        modelBuilder.HasDefaultSchema(Schema);

        modelBuilder.Entity<Device>(device =>
        {
            device.ToTable("devices");
            device.HasKey(d => d.DeviceId);
            device.Property(d => d.DeviceId).HasMaxLength(100);
            device.Property(d => d.Name).HasMaxLength(255);
            device.Property(d => d.Type).HasMaxLength(50);
            device.Property(d => d.Manufacturer).HasMaxLength(100);
            device.Property(d => d.Model).HasMaxLength(100);
            // The seed's server defaults: bulk ingest and SaveChanges store the value a row sets, and '{}' when it sets none.
            device.Property(d => d.Location).HasColumnType("jsonb").HasDefaultValueSql("'{}'");
            device.Property(d => d.Capabilities).HasDefaultValueSql("'{}'");
            device.Property(d => d.Configuration).HasColumnType("jsonb").HasDefaultValueSql("'{}'");
            device.Property(d => d.CreatedAt).HasDefaultValueSql("now()");
            device.Property(d => d.UpdatedAt).HasDefaultValueSql("now()");
            device.HasIndex(d => d.Type).HasDatabaseName("idx_devices_type");
            device.HasIndex(d => d.Location).HasMethod("gin").HasDatabaseName("idx_devices_location");
        });

        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users");
            user.HasKey(u => u.UserId);
            user.HasIndex(u => u.Username).IsUnique();
            user.Property(u => u.Preferences).HasColumnType("jsonb");
        });

        modelBuilder.Entity<RateSchedule>(rate =>
        {
            rate.ToTable("rate_schedules");
            rate.HasKey(r => r.RateId);
            rate.Property(r => r.RateStructure).HasColumnType("jsonb");
        });

        modelBuilder.Entity<Metric>(metric =>
        {
            metric.ToTable("metrics");
            metric.HasNoKey();
            metric.Property(m => m.DeviceId).HasMaxLength(100);
            metric.Property(m => m.MetricType).HasMaxLength(50);
            metric.Property(m => m.Unit).HasMaxLength(20);
            metric.Property(m => m.Tags).HasColumnType("jsonb").HasDefaultValueSql("'{}'");
            metric.HasOne<Device>().WithMany().HasForeignKey(m => m.DeviceId).OnDelete(DeleteBehavior.Cascade).HasConstraintName("fk_metrics_device");

            // The natural key that makes re-ingest idempotent (ON CONFLICT DO NOTHING); it includes the time column, as
            // TimescaleDB requires of every unique index on a hypertable.
            metric.HasIndex(m => new { m.DeviceId, m.MetricType, m.Time }).IsUnique().HasDatabaseName("uq_metrics_device_type_time");
            metric.HasIndex(m => new { m.DeviceId, m.Time }).IsDescending(false, true).HasDatabaseName("idx_metrics_device_time");
            metric.HasIndex(m => new { m.MetricType, m.Time }).IsDescending(false, true).HasDatabaseName("idx_metrics_type_time");
            metric.HasIndex(m => m.Tags).HasMethod("gin").HasDatabaseName("idx_metrics_tags");

            // The seed's plan: columnstore segmented by device and metric, newest first, after 7 days; raw metrics
            // kept 90 days.
            metric.IsHypertable(m => m.Time).WithChunkInterval(TimeSpan.FromDays(7))
                .WithColumnstore(c => c.SegmentBy(m => m.DeviceId).SegmentBy(m => m.MetricType).OrderBy(m => m.Time, descending: true))
                .WithColumnstorePolicy(after: CompressAfter)
                .WithRetentionPolicy(dropAfter: KeepRawFor);
        });

        // The seed's continuous aggregates, in LINQ: EF Core writes their SQL into the migration. The seed refreshes
        // the hourly one every hour over the window [now - 3 hours, now - 1 hour] and keeps its buckets a year.
        // (The seed compresses only the raw metrics, so the aggregates have no columnstore.)
        modelBuilder.Entity<HourlyMetric>(hourly =>
        {
            hourly.HasNoKey();
            hourly.Property(h => h.P95Value).HasColumnName("p95_value");   // snake_case would make it p95value
            hourly.IsContinuousAggregate<HourlyMetric, Metric>("metrics_hourly", metrics => metrics
                    .GroupBy(m => new { Hour = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId, m.MetricType })
                    .Select(g => new HourlyMetric
                    {
                        Hour = g.Key.Hour,
                        DeviceId = g.Key.DeviceId,
                        MetricType = g.Key.MetricType,
                        AvgValue = g.Average(m => m.Value),
                        MinValue = g.Min(m => m.Value),
                        MaxValue = g.Max(m => m.Value),
                        SampleCount = g.LongCount(),
                        TotalEnergy = g.Sum(m => m.MetricType == "energy" ? m.Value : 0),
                        P95Value = EF.Functions.PercentileCont(0.95, g.Select(m => m.Value)),
                    }))
                .WithRefreshPolicy(startOffset: TimeSpan.FromHours(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromHours(1))
                .WithRetentionPolicy(KeepHourlyFor);
        });

        // Daily, refreshed every day over [now - 3 days, now - 1 day], kept 5 years.
        modelBuilder.Entity<DailyMetric>(daily =>
        {
            daily.HasNoKey();
            daily.IsContinuousAggregate<DailyMetric, Metric>("metrics_daily", metrics => metrics
                    .GroupBy(m => new { Day = EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.Time), m.DeviceId, m.MetricType })
                    .Select(g => new DailyMetric
                    {
                        Day = g.Key.Day,
                        DeviceId = g.Key.DeviceId,
                        MetricType = g.Key.MetricType,
                        AvgValue = g.Average(m => m.Value),
                        MinValue = g.Min(m => m.Value),
                        MaxValue = g.Max(m => m.Value),
                        TotalEnergy = g.Sum(m => m.MetricType == "energy" ? m.Value : 0),
                        MedianValue = EF.Functions.Median(g.Select(m => m.Value)),
                    }))
                .WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromDays(1), scheduleInterval: TimeSpan.FromDays(1))
                .WithRetentionPolicy(KeepDailyFor);
        });
    }
}

/// <summary>For `dotnet ef migrations add`: the model only, no server needed.</summary>
public sealed class HomeEnergyContextFactory : IDesignTimeDbContextFactory<HomeEnergyContext>
{
    public HomeEnergyContext CreateDbContext(string[] args) =>
        HomeEnergyContext.Create(Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION") ?? "Host=127.0.0.1;Database=template1;Username=postgres");
}
