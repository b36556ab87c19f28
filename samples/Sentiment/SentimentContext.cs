using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Sentiment;

/// <summary>A tracked AI model or tool (GPT-4, Claude, ...).</summary>
public sealed class Entity
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public required string Category { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A news article about an entity, with the sentiment scored for it (-1 negative .. 1 positive).</summary>
public sealed class Article
{
    public long Id { get; set; }

    /// <summary>The news source's id of the article: re-ingesting it adds nothing.</summary>
    public required string ExternalId { get; set; }

    public int EntityId { get; set; }

    public required string Title { get; set; }

    public required string Source { get; set; }

    public double SentimentScore { get; set; }

    public DateTime PublishedAt { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>An entity's sentiment over one hour, aggregated from its articles.</summary>
public sealed class SentimentTimeseries
{
    public long Id { get; set; }

    public int EntityId { get; set; }

    public DateTime Timestamp { get; set; }

    public double AvgSentiment { get; set; }

    public double MinSentiment { get; set; }

    public double MaxSentiment { get; set; }

    public int ArticleCount { get; set; }
}

public sealed class SentimentContext(DbContextOptions<SentimentContext> options) : DbContext(options)
{
    public const string Schema = "sentiment";

    public DbSet<Entity> Entities => Set<Entity>();

    public DbSet<Article> Articles => Set<Article>();

    public DbSet<SentimentTimeseries> SentimentTimeseries => Set<SentimentTimeseries>();

    /// <summary>The options every context of the sample uses: Npgsql with Hourglass, snake_case names.</summary>
    public static void Configure(DbContextOptionsBuilder options, string connectionString) => options
        .UseNpgsql(connectionString, o => o.UseTimescale().MigrationsHistoryTable("__EFMigrationsHistory", Schema))
        .UseSnakeCaseNamingConvention();

    public static SentimentContext Create(string connectionString)
    {
        var options = new DbContextOptionsBuilder<SentimentContext>();
        Configure(options, connectionString);
        return new SentimentContext(options.Options);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Its own schema, so the sample shares a server with other applications without clashing.
        modelBuilder.HasDefaultSchema(Schema);

        modelBuilder.Entity<Entity>(entity =>
        {
            entity.ToTable("entities");
            entity.HasIndex(e => e.Name).IsUnique();
            entity.Property(e => e.Name).HasMaxLength(100);
            entity.Property(e => e.Category).HasMaxLength(50);
            entity.Property(e => e.CreatedAt).HasDefaultValueSql("now()");
        });

        modelBuilder.Entity<Article>(article =>
        {
            article.ToTable("articles", t => t.HasCheckConstraint("ck_articles_sentiment_score", "sentiment_score BETWEEN -1 AND 1"));
            article.HasOne<Entity>().WithMany().HasForeignKey(a => a.EntityId);
            article.HasIndex(a => a.ExternalId).IsUnique();
            article.HasIndex(a => a.PublishedAt);
            article.Property(a => a.ExternalId).HasMaxLength(100);
            article.Property(a => a.Source).HasMaxLength(100);
            article.Property(a => a.CreatedAt).HasDefaultValueSql("now()");
        });

        modelBuilder.Entity<SentimentTimeseries>(point =>
        {
            point.ToTable("sentiment_timeseries", t =>
            {
                t.HasCheckConstraint("ck_sentiment_timeseries_avg", "avg_sentiment BETWEEN -1 AND 1");
                t.HasCheckConstraint("ck_sentiment_timeseries_min", "min_sentiment BETWEEN -1 AND 1");
                t.HasCheckConstraint("ck_sentiment_timeseries_max", "max_sentiment BETWEEN -1 AND 1");
            });
            point.HasOne<Entity>().WithMany().HasForeignKey(p => p.EntityId);
            point.Property(p => p.Id).UseIdentityByDefaultColumn();

            // Migration 2: the seed's "add TimescaleDB hypertables later". TimescaleDB wants the time column in every
            // unique index, so the key becomes (id, timestamp); MigrateData() moves the rows already stored into chunks.
            point.HasKey(p => new { p.Id, p.Timestamp });
            point.IsHypertable(p => p.Timestamp).WithChunkInterval(TimeSpan.FromDays(7)).MigrateData();

            // The seed's (entity_id, timestamp DESC) index for "recent sentiment of an entity". Unique: one row per
            // entity and hour is also the natural key the aggregator upserts on (ON CONFLICT ignores the sort order).
            point.HasIndex(p => new { p.EntityId, p.Timestamp }).IsUnique().IsDescending(false, true).HasDatabaseName("ix_sentiment_timeseries_entity_timestamp");
        });
    }
}

/// <summary>For `dotnet ef migrations add`: the model only, no server needed.</summary>
public sealed class SentimentContextFactory : IDesignTimeDbContextFactory<SentimentContext>
{
    public SentimentContext CreateDbContext(string[] args) =>
        SentimentContext.Create(Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION") ?? "Host=127.0.0.1;Database=template1;Username=postgres");
}
