using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace MacroTrading;

// Three metadata tables with serial keys and seven hypertables. Every hypertable has a surrogate id plus its time column
// as primary key (TimescaleDB wants the partitioning column in every unique index) and a natural key that includes
// the time column: ingest writes with ON CONFLICT (natural key) DO NOTHING, so re-running a backfill adds nothing.

/// <summary>A tradable instrument.</summary>
public sealed class Instrument
{
    public int Id { get; set; }

    public required string Ticker { get; set; }

    public required string Name { get; set; }

    public required string AssetClass { get; set; }

    public required string Country { get; set; }

    public required string Currency { get; set; }
}

/// <summary>Where data comes from.</summary>
public sealed class DataSource
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public required string BaseUrl { get; set; }

    public required string AuthType { get; set; }

    public int RateLimitPerMinute { get; set; }
}

/// <summary>A series published by a source (unique per source and code).</summary>
public sealed class SeriesMetadata
{
    public int Id { get; set; }

    public int SourceId { get; set; }

    public required string SeriesCode { get; set; }

    public required string Name { get; set; }

    public required string Frequency { get; set; }

    public required string Unit { get; set; }

    public required string Country { get; set; }
}

/// <summary>OHLCV bar.</summary>
public sealed class MarketData
{
    public long Id { get; set; }

    public int InstrumentId { get; set; }

    public DateTime Timestamp { get; set; }

    public required string Frequency { get; set; }

    public double Open { get; set; }

    public double High { get; set; }

    public double Low { get; set; }

    public double Close { get; set; }

    public long Volume { get; set; }
}

/// <summary>A macro observation as released: a revision is a new row with a later release time (point-in-time correct).</summary>
public sealed class MacroSeries
{
    public long Id { get; set; }

    public int SeriesId { get; set; }

    public DateOnly ObservationDate { get; set; }

    public DateTime ReleaseTime { get; set; }

    public double Value { get; set; }
}

/// <summary>One tenor of a yield curve on one day.</summary>
public sealed class CurveData
{
    public long Id { get; set; }

    public required string CurveId { get; set; }

    public DateOnly CurveDate { get; set; }

    public int TenorDays { get; set; }

    public required string TenorLabel { get; set; }

    public double Rate { get; set; }
}

/// <summary>A capital flow observation.</summary>
public sealed class FlowData
{
    public long Id { get; set; }

    public int SeriesId { get; set; }

    public DateOnly ObservationDate { get; set; }

    public required string FlowType { get; set; }

    public double Value { get; set; }

    public required string Unit { get; set; }
}

/// <summary>A fiscal metric observation.</summary>
public sealed class FiscalData
{
    public long Id { get; set; }

    public int SeriesId { get; set; }

    public DateOnly ObservationDate { get; set; }

    public required string FiscalMetric { get; set; }

    public double Value { get; set; }

    public required string Unit { get; set; }
}

/// <summary>One point of an option implied-volatility surface.</summary>
public sealed class VolSurface
{
    public long Id { get; set; }

    public int InstrumentId { get; set; }

    public DateOnly SurfaceDate { get; set; }

    public double Delta { get; set; }

    public int TenorDays { get; set; }

    public double ImpliedVol { get; set; }
}

/// <summary>A model signal about an instrument, a series, or neither (market-wide).</summary>
public sealed class Signal
{
    public long Id { get; set; }

    public required string SignalType { get; set; }

    public DateOnly SignalDate { get; set; }

    public int? InstrumentId { get; set; }

    public int? SeriesId { get; set; }

    public double Value { get; set; }

    public double Confidence { get; set; }
}

/// <summary>The quarter-end close that the time_bucket query returns.</summary>
public sealed record QuarterlyClose(DateTime Quarter, string Ticker, double Close);

public sealed class MacroTradingContext(DbContextOptions<MacroTradingContext> options) : DbContext(options)
{
    public const string Schema = "macro";

    // The seed's compression delays: market data is high-frequency, fiscal data is published slowly, the rest in between.
    public static readonly TimeSpan MarketDataCompressAfter = TimeSpan.FromDays(30);
    public static readonly TimeSpan FiscalDataCompressAfter = TimeSpan.FromDays(180);
    public static readonly TimeSpan OtherDataCompressAfter = TimeSpan.FromDays(90);

    public DbSet<Instrument> Instruments => Set<Instrument>();

    public DbSet<DataSource> DataSources => Set<DataSource>();

    public DbSet<SeriesMetadata> SeriesMetadata => Set<SeriesMetadata>();

    public DbSet<MarketData> MarketData => Set<MarketData>();

    public DbSet<MacroSeries> MacroSeries => Set<MacroSeries>();

    public DbSet<CurveData> Curves => Set<CurveData>();

    public DbSet<FlowData> FlowData => Set<FlowData>();

    public DbSet<FiscalData> FiscalData => Set<FiscalData>();

    public DbSet<VolSurface> VolSurfaces => Set<VolSurface>();

    public DbSet<Signal> Signals => Set<Signal>();

    public static MacroTradingContext Create(string connectionString) => new(new DbContextOptionsBuilder<MacroTradingContext>()
        .UseNpgsql(connectionString, o => o.UseTimescale().MigrationsHistoryTable("__EFMigrationsHistory", Schema))
        .UseSnakeCaseNamingConvention()
        .Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Its own schema, so the sample shares a server with other applications without clashing.
        modelBuilder.HasDefaultSchema(Schema);

        modelBuilder.Entity<Instrument>(instrument =>
        {
            instrument.ToTable("instruments");
            instrument.HasIndex(i => i.Ticker).IsUnique();
            instrument.Property(i => i.Ticker).HasMaxLength(32);
            instrument.Property(i => i.AssetClass).HasMaxLength(32);
            instrument.Property(i => i.Country).HasMaxLength(2);
            instrument.Property(i => i.Currency).HasMaxLength(3);
        });

        modelBuilder.Entity<DataSource>(source =>
        {
            source.ToTable("data_sources");
            source.HasIndex(s => s.Name).IsUnique();
        });

        modelBuilder.Entity<SeriesMetadata>(series =>
        {
            series.ToTable("series_metadata");
            series.HasOne<DataSource>().WithMany().HasForeignKey(s => s.SourceId);
            series.HasIndex(s => new { s.SourceId, s.SeriesCode }).IsUnique();
        });

        modelBuilder.Entity<MarketData>(bar =>
        {
            bar.ToTable("market_data");
            bar.HasKey(b => new { b.Id, b.Timestamp });
            bar.Property(b => b.Id).UseIdentityByDefaultColumn();
            bar.HasOne<Instrument>().WithMany().HasForeignKey(b => b.InstrumentId);
            bar.HasIndex(b => new { b.InstrumentId, b.Timestamp, b.Frequency }).IsUnique();
            bar.Property(b => b.Frequency).HasMaxLength(8);
            bar.IsHypertable(b => b.Timestamp).WithChunkInterval(TimeSpan.FromDays(30))
                .WithColumnstore(c => c.SegmentBy(b => b.InstrumentId).OrderBy(b => b.Timestamp, descending: true))
                .WithColumnstorePolicy(after: MarketDataCompressAfter);
        });

        modelBuilder.Entity<MacroSeries>(observation =>
        {
            observation.ToTable("macro_series");
            observation.HasKey(o => new { o.Id, o.ObservationDate });
            observation.Property(o => o.Id).UseIdentityByDefaultColumn();
            observation.HasOne<SeriesMetadata>().WithMany().HasForeignKey(o => o.SeriesId);
            observation.HasIndex(o => new { o.SeriesId, o.ObservationDate, o.ReleaseTime }).IsUnique();
            observation.IsHypertable(o => o.ObservationDate).WithChunkInterval(TimeSpan.FromDays(365))
                .WithColumnstore(c => c.SegmentBy(o => o.SeriesId).OrderBy(o => o.ObservationDate, descending: true))
                .WithColumnstorePolicy(after: OtherDataCompressAfter);
        });

        modelBuilder.Entity<CurveData>(point =>
        {
            point.ToTable("curves");
            point.HasKey(p => new { p.Id, p.CurveDate });
            point.Property(p => p.Id).UseIdentityByDefaultColumn();
            point.HasIndex(p => new { p.CurveId, p.CurveDate, p.TenorDays }).IsUnique();
            point.Property(p => p.CurveId).HasMaxLength(32);
            point.Property(p => p.TenorLabel).HasMaxLength(8);
            point.IsHypertable(p => p.CurveDate).WithChunkInterval(TimeSpan.FromDays(30))
                .WithColumnstore(c => c.SegmentBy(p => p.CurveId).OrderBy(p => p.CurveDate, descending: true))
                .WithColumnstorePolicy(after: OtherDataCompressAfter);
        });

        modelBuilder.Entity<FlowData>(flow =>
        {
            flow.ToTable("flow_data");
            flow.HasKey(f => new { f.Id, f.ObservationDate });
            flow.Property(f => f.Id).UseIdentityByDefaultColumn();
            flow.HasOne<SeriesMetadata>().WithMany().HasForeignKey(f => f.SeriesId);
            flow.HasIndex(f => new { f.SeriesId, f.ObservationDate, f.FlowType }).IsUnique();
            flow.IsHypertable(f => f.ObservationDate).WithChunkInterval(TimeSpan.FromDays(90))
                .WithColumnstore(c => c.SegmentBy(f => f.SeriesId).OrderBy(f => f.ObservationDate, descending: true))
                .WithColumnstorePolicy(after: OtherDataCompressAfter);
        });

        modelBuilder.Entity<FiscalData>(fiscal =>
        {
            fiscal.ToTable("fiscal_data");
            fiscal.HasKey(f => new { f.Id, f.ObservationDate });
            fiscal.Property(f => f.Id).UseIdentityByDefaultColumn();
            fiscal.HasOne<SeriesMetadata>().WithMany().HasForeignKey(f => f.SeriesId);
            fiscal.HasIndex(f => new { f.SeriesId, f.ObservationDate, f.FiscalMetric }).IsUnique();
            fiscal.IsHypertable(f => f.ObservationDate).WithChunkInterval(TimeSpan.FromDays(365))
                .WithColumnstore(c => c.SegmentBy(f => f.SeriesId).OrderBy(f => f.ObservationDate, descending: true))
                .WithColumnstorePolicy(after: FiscalDataCompressAfter);
        });

        modelBuilder.Entity<VolSurface>(surface =>
        {
            surface.ToTable("vol_surfaces");
            surface.HasKey(s => new { s.Id, s.SurfaceDate });
            surface.Property(s => s.Id).UseIdentityByDefaultColumn();
            surface.HasOne<Instrument>().WithMany().HasForeignKey(s => s.InstrumentId);
            surface.HasIndex(s => new { s.InstrumentId, s.SurfaceDate, s.Delta, s.TenorDays }).IsUnique();
            surface.IsHypertable(s => s.SurfaceDate).WithChunkInterval(TimeSpan.FromDays(30))
                .WithColumnstore(c => c.SegmentBy(s => s.InstrumentId).OrderBy(s => s.SurfaceDate, descending: true))
                .WithColumnstorePolicy(after: OtherDataCompressAfter);
        });

        modelBuilder.Entity<Signal>(signal =>
        {
            signal.ToTable("signals");
            signal.HasKey(s => new { s.Id, s.SignalDate });
            signal.Property(s => s.Id).UseIdentityByDefaultColumn();
            signal.HasOne<Instrument>().WithMany().HasForeignKey(s => s.InstrumentId);
            signal.HasOne<SeriesMetadata>().WithMany().HasForeignKey(s => s.SeriesId);
            // Both references are optional: NULLS NOT DISTINCT lets a market-wide signal (no instrument, no series)
            // conflict with itself, so ON CONFLICT DO NOTHING still makes its re-ingest idempotent.
            signal.HasIndex(s => new { s.SignalType, s.SignalDate, s.InstrumentId, s.SeriesId }).IsUnique().AreNullsDistinct(false);
            signal.IsHypertable(s => s.SignalDate).WithChunkInterval(TimeSpan.FromDays(30))
                .WithColumnstore(c => c.SegmentBy(s => s.SignalType).OrderBy(s => s.SignalDate, descending: true))
                .WithColumnstorePolicy(after: OtherDataCompressAfter);
        });
    }
}

/// <summary>For `dotnet ef migrations add`: the model only, no server needed.</summary>
public sealed class MacroTradingContextFactory : IDesignTimeDbContextFactory<MacroTradingContext>
{
    public MacroTradingContext CreateDbContext(string[] args) =>
        MacroTradingContext.Create(Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION") ?? "Host=127.0.0.1;Database=template1;Username=postgres");
}
