using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using NodaTime;

namespace Hourglass.Migrations.TestApp;

/// <summary>A reading keyed by time and device: a hypertable with a hash dimension.</summary>
public class Condition
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Temperature { get; set; }
}

/// <summary>A NodaTime hypertable declared with attributes.</summary>
[Hypertable(nameof(At), ChunkInterval = "12 hours")]
public class Tick
{
    public Instant At { get; set; }

    public string Symbol { get; set; } = "";

    public decimal Price { get; set; }
}

/// <summary>
/// The test app's model; the interval comes from HOURGLASS_TESTAPP_INTERVAL and HOURGLASS_TESTAPP_POLICIES=1 adds the
/// columnstore and policies (HOURGLASS_TESTAPP_SCHEDULES=1 the same with job schedules, and a reorder policy), so tests can change the model between `dotnet ef` runs.
/// HOURGLASS_TESTAPP_ALLOW_REWRITE=1 allows data rewrites for the whole context (<c>UseTimescale(o =&gt; o.AllowDataRewrite())</c>).
/// </summary>
public class WeatherContext(DbContextOptions<WeatherContext> options) : DbContext(options)
{
    public static string Schema => Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_SCHEMA") ?? "public";

    public DbSet<Condition> Conditions => Set<Condition>();

    public DbSet<Tick> Ticks => Set<Tick>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<Condition>(b =>
        {
            b.HasKey(x => new { x.Time, x.DeviceId });
            var hypertable = b.IsHypertable(x => x.Time)
                .WithChunkInterval(Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_INTERVAL") ?? "1 day")
                .PartitionByHash(x => x.DeviceId, 4);
            if (Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_SCHEDULES") == "1")
            {
                // The same policies with job schedules, and a reorder policy: the schedules change in place.
                b.HasIndex(x => new { x.DeviceId, x.Time }).HasDatabaseName("ix_conditions_device_time");
                hypertable
                    .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true))
                    .WithColumnstorePolicy(after: TimeSpan.FromDays(7), schedule: s => s.Every(TimeSpan.FromHours(6)).MaxRetries(3))
                    .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(90), schedule: s => s
                        .Every(TimeSpan.FromHours(12))
                        .MaxRuntime(TimeSpan.FromMinutes(10))
                        .RetryPeriod(TimeSpan.FromMinutes(2))
                        .StartingAt(new DateTimeOffset(2026, 1, 1, 3, 0, 0, TimeSpan.Zero))
                        .InTimezone("Europe/Berlin"))
                    .WithReorderPolicy("ix_conditions_device_time", s => s.Every(TimeSpan.FromDays(2)).Paused());
            }
            else if (Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_POLICIES") == "1")
            {
                hypertable
                    .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true))
                    .WithColumnstorePolicy(after: TimeSpan.FromDays(7))
                    .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(90));
            }
        });
        modelBuilder.Entity<Tick>().HasKey(x => new { x.Symbol, x.At });
        if (Composition.Mode == "spatial")
        {
            modelBuilder.Entity<Spot>(b =>
            {
                b.HasKey(x => new { x.At, x.StationId });
                b.IsHypertable(x => x.At).WithChunkInterval("1 day");
            });
        }
    }
}

/// <summary>Builds the context for `dotnet ef` from HOURGLASS_TESTAPP_CONNECTION.</summary>
public class WeatherContextFactory : IDesignTimeDbContextFactory<WeatherContext>
{
    public WeatherContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_CONNECTION")
            ?? "Host=127.0.0.1;Username=postgres;Database=hourglass_testapp";
        var builder = new DbContextOptionsBuilder<WeatherContext>();
        Composition.Before(builder);
        builder
            .UseNpgsql(connectionString, o =>
            {
                o.UseNodaTime()
                    .MigrationsHistoryTable("__EFMigrationsHistory", WeatherContext.Schema)
                    .UseTimescale(t =>
                    {
                        t.WhenTimescaleMissing(
                            Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_STRICT") == "1" ? TimescaleMissingBehavior.Strict : TimescaleMissingBehavior.Degrade);
                        if (Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_ALLOW_REWRITE") == "1")
                        {
                            t.AllowDataRewrite();
                        }
                    });
                if (Composition.Mode == "spatial")
                {
                    o.UseNetTopologySuite();
                }
            })
            .UseSnakeCaseNamingConvention();
        Composition.After(builder);
        return new WeatherContext(builder.Options);
    }
}
