using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Quickstart;

/// <summary>One minute reading of one device.</summary>
public sealed class Reading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Temperature { get; set; }
}

/// <summary>The hourly average that the time_bucket query returns.</summary>
public sealed record HourlyAverage(DateTime Hour, int DeviceId, double Temperature);

public sealed class QuickstartContext(DbContextOptions<QuickstartContext> options) : DbContext(options)
{
    public DbSet<Reading> Readings => Set<Reading>();

    public static QuickstartContext Create(string connectionString) => new(new DbContextOptionsBuilder<QuickstartContext>()
        .UseNpgsql(connectionString, o => o.UseTimescale())
        .Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Reading>(reading =>
    {
        reading.ToTable("quickstart_readings");
        reading.HasKey(r => new { r.DeviceId, r.Time });
        reading.Property(r => r.Time).HasColumnName("time");
        reading.Property(r => r.DeviceId).HasColumnName("device_id");
        reading.Property(r => r.Temperature).HasColumnName("temperature");
        reading.IsHypertable(r => r.Time).WithChunkInterval(TimeSpan.FromHours(6));
    });
}

/// <summary>For `dotnet ef migrations add`: the model only, no server needed.</summary>
public sealed class QuickstartContextFactory : IDesignTimeDbContextFactory<QuickstartContext>
{
    public QuickstartContext CreateDbContext(string[] args) =>
        QuickstartContext.Create(Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION") ?? "Host=127.0.0.1;Database=template1;Username=postgres");
}
