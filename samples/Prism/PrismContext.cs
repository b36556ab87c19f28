using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Prism;

/// <summary>The seed's DataPoint: a reading of a source (an electricity price, a temperature) at a time.</summary>
public sealed class DataPoint
{
    public Guid Id { get; set; }

    public DateTime Timestamp { get; set; }

    public required string Source { get; set; }

    public double Value { get; set; }

    /// <summary>Optional JSON (jsonb).</summary>
    public string? Metadata { get; set; }
}

public sealed class PrismContext(DbContextOptions<PrismContext> options) : DbContext(options)
{
    public const string Schema = "prism";

    public DbSet<DataPoint> DataPoints => Set<DataPoint>();

    /// <summary>
    /// Npgsql with Hourglass and snake_case names. Without TimescaleDB (plain PostgreSQL) the migration degrades: the
    /// same table, indexes and keys, no chunks or policies, one warning per skipped feature.
    /// </summary>
    public static void Configure(DbContextOptionsBuilder options, string connectionString) => options
        .UseNpgsql(connectionString, o => o.UseTimescale(t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Degrade))
            .MigrationsHistoryTable("__EFMigrationsHistory", Schema))
        .UseSnakeCaseNamingConvention();

    public static PrismContext Create(string connectionString)
    {
        var options = new DbContextOptionsBuilder<PrismContext>();
        Configure(options, connectionString);
        return new PrismContext(options.Options);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<DataPoint>(point =>
        {
            point.ToTable("datapoint");

            // The seed's key is id alone; TimescaleDB wants the time column in every unique index, so it is (id, timestamp).
            point.HasKey(p => new { p.Id, p.Timestamp });
            point.Property(p => p.Source).HasMaxLength(100);
            point.Property(p => p.Metadata).HasColumnType("jsonb");

            // The seed's `timeseries:` block, one line each (see README.md).
            point.IsHypertable(p => p.Timestamp)                                      // time_column: timestamp
                .WithChunkInterval("1 week")                                          // chunk_interval: 1 week
                .WithColumnstore(c => c                                               // compression: enabled: true
                    .SegmentBy(p => p.Source)                                         //   segment_by: [source]
                    .OrderBy(p => p.Timestamp, descending: true))                     //   order_by: [timestamp DESC]
                .WithColumnstorePolicy("1 month")                                     //   after: 1 month
                .WithRetentionPolicy("1 year");                                       // retention: drop_after: 1 year
            point.HasIndex(p => new { p.Source, p.Timestamp })                        // indexes: [source, timestamp] btree
                .HasDatabaseName("ix_datapoint_source_timestamp");
        });
    }
}

/// <summary>For `dotnet ef migrations add`: the model only, no server needed.</summary>
public sealed class PrismContextFactory : IDesignTimeDbContextFactory<PrismContext>
{
    public PrismContext CreateDbContext(string[] args) =>
        PrismContext.Create(Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION") ?? "Host=127.0.0.1;Database=template1;Username=postgres");
}
