using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace MeteoScore;

/// <summary>A flying site whose forecasts are scored.</summary>
public sealed class Site
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public decimal Latitude { get; set; }

    public decimal Longitude { get; set; }

    public int Altitude { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A weather forecast model (the table is "models").</summary>
public sealed class ForecastModel
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public required string Source { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A forecast parameter and its unit.</summary>
public sealed class Parameter
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public required string Unit { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>How far one model's forecast, made <see cref="Horizon"/> hours ahead, was from the observation (only the deviation is stored).</summary>
public sealed class Deviation
{
    public DateTime Timestamp { get; set; }

    public int SiteId { get; set; }

    public int ModelId { get; set; }

    public int ParameterId { get; set; }

    public int Horizon { get; set; }

    public decimal ForecastValue { get; set; }

    public decimal ObservedValue { get; set; }

    public decimal Value { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A week's mean absolute error of one model, from the time_bucket query.</summary>
public sealed record WeeklyError(DateTime Week, string Model, decimal Mae);

public sealed class MeteoScoreContext(DbContextOptions<MeteoScoreContext> options) : DbContext(options)
{
    public const string Schema = "meteo";

    public DbSet<Site> Sites => Set<Site>();

    public DbSet<ForecastModel> Models => Set<ForecastModel>();

    public DbSet<Parameter> Parameters => Set<Parameter>();

    public DbSet<Deviation> Deviations => Set<Deviation>();

    public static MeteoScoreContext Create(string connectionString) => new(new DbContextOptionsBuilder<MeteoScoreContext>()
        .UseNpgsql(connectionString, o => o.UseTimescale().MigrationsHistoryTable("__EFMigrationsHistory", Schema))
        .UseSnakeCaseNamingConvention()
        .Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Its own schema, so the sample shares a server with other applications without clashing.
        modelBuilder.HasDefaultSchema(Schema);

        // Reference data: the seed inserts it "idempotently (skip if data exists)"; a unique name makes that ON CONFLICT DO NOTHING.
        modelBuilder.Entity<Site>(site =>
        {
            site.ToTable("sites");
            site.Property(s => s.Name).HasMaxLength(255);
            site.Property(s => s.Latitude).HasPrecision(9, 6);
            site.Property(s => s.Longitude).HasPrecision(9, 6);
            site.Property(s => s.CreatedAt).HasDefaultValueSql("now()");
            site.HasIndex(s => s.Name).IsUnique();
        });

        modelBuilder.Entity<ForecastModel>(model =>
        {
            model.ToTable("models");
            model.Property(m => m.Name).HasMaxLength(100);
            model.Property(m => m.Source).HasMaxLength(255);
            model.Property(m => m.CreatedAt).HasDefaultValueSql("now()");
            model.HasIndex(m => m.Name).IsUnique();
        });

        modelBuilder.Entity<Parameter>(parameter =>
        {
            parameter.ToTable("parameters");
            parameter.Property(p => p.Name).HasMaxLength(100);
            parameter.Property(p => p.Unit).HasMaxLength(50);
            parameter.Property(p => p.CreatedAt).HasDefaultValueSql("now()");
            parameter.HasIndex(p => p.Name).IsUnique();
        });

        modelBuilder.Entity<Deviation>(deviation =>
        {
            deviation.ToTable("deviations");
            deviation.HasKey(d => new { d.Timestamp, d.SiteId, d.ModelId, d.ParameterId, d.Horizon });
            deviation.HasOne<Site>().WithMany().HasForeignKey(d => d.SiteId);
            deviation.HasOne<ForecastModel>().WithMany().HasForeignKey(d => d.ModelId);
            deviation.HasOne<Parameter>().WithMany().HasForeignKey(d => d.ParameterId);
            deviation.Property(d => d.ForecastValue).HasPrecision(10, 2);
            deviation.Property(d => d.ObservedValue).HasPrecision(10, 2);
            deviation.Property(d => d.Value).HasColumnName("deviation").HasPrecision(10, 2);
            deviation.Property(d => d.CreatedAt).HasDefaultValueSql("now()");
            deviation.HasIndex(d => new { d.SiteId, d.ModelId }).HasDatabaseName("idx_deviations_site_model");
            deviation.HasIndex(d => d.ParameterId).HasDatabaseName("idx_deviations_parameter");
            deviation.HasIndex(d => d.Timestamp).IsDescending().HasDatabaseName("idx_deviations_timestamp");
            // idx_deviations_timestamp is the index TimescaleDB would create by default: declared once, not twice.
            deviation.IsHypertable(d => d.Timestamp).WithChunkInterval(TimeSpan.FromDays(7)).WithoutDefaultIndexes();
        });
    }
}

/// <summary>For `dotnet ef migrations add`: the model only, no server needed.</summary>
public sealed class MeteoScoreContextFactory : IDesignTimeDbContextFactory<MeteoScoreContext>
{
    public MeteoScoreContext CreateDbContext(string[] args) =>
        MeteoScoreContext.Create(Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION") ?? "Host=127.0.0.1;Database=template1;Username=postgres");
}
