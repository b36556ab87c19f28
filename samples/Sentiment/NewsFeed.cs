using System.Threading.Channels;
using Hourglass.EntityFrameworkCore.BulkIngest;
using Microsoft.EntityFrameworkCore;

namespace Sentiment;

/// <summary>
/// A seeded-random news feed: articles about the tracked entities, each with a sentiment score. The same seed gives
/// the same articles (same external ids), so a re-run of the worker adds nothing.
/// </summary>
public static class NewsFeed
{
    public static IReadOnlyList<Entity> Entities { get; } =
    [
        new() { Name = "GPT-4", Category = "llm" },
        new() { Name = "Claude", Category = "llm" },
        new() { Name = "Gemini", Category = "llm" },
        new() { Name = "Copilot", Category = "coding_assistant" },
        new() { Name = "Midjourney", Category = "image_generation" },
    ];

    private static readonly string[] Sources = ["TechCrunch", "The Verge", "Wired", "Ars Technica", "Hacker News"];

    /// <summary>About <paramref name="perDay"/> articles a day per entity, from <paramref name="from"/> for <paramref name="days"/> days.</summary>
    public static async IAsyncEnumerable<(string Entity, Article Article)> ArticlesAsync(DateTime from, int days, int perDay)
    {
        var random = new Random((int)(from.Ticks / TimeSpan.TicksPerDay) + (days * 1_000) + perDay);
        foreach (var entity in Entities)
        {
            // Each entity has a mood that drifts over the days.
            var mood = (random.NextDouble() * 0.8) - 0.3;
            for (var day = 0; day < days; day++)
            {
                mood = Math.Clamp(mood + ((random.NextDouble() - 0.5) * 0.2), -0.8, 0.8);
                for (var n = 0; n < perDay; n++)
                {
                    var published = from.AddDays(day).AddMinutes(random.Next(0, 24 * 60)).AddSeconds(random.Next(0, 60));
                    var score = Math.Round(Math.Clamp(mood + ((random.NextDouble() - 0.5) * 0.9), -1, 1), 3);
                    yield return (entity.Name, new Article
                    {
                        ExternalId = $"{entity.Name.ToLowerInvariant()}-{published:yyyyMMddHHmmss}-{n}",
                        Title = $"{entity.Name}: {(score >= 0.2 ? "praised" : score <= -0.2 ? "criticised" : "discussed")} in {Sources[n % Sources.Length]} coverage",
                        Source = Sources[random.Next(Sources.Length)],
                        SentimentScore = score,
                        PublishedAt = published,
                    });
                }
            }

            await Task.Yield();
        }
    }
}

/// <summary>What one worker run did.</summary>
public sealed record WorkerRun(long Articles, long NewArticles, long Hours, long NewHours, long ChangedHours, int MostContexts);

/// <summary>
/// The small worker: a producer reads the feed into a channel, four consumers store articles concurrently (each batch
/// with a context from the pool, returned when done), then the aggregator turns the window's articles into one
/// sentiment row per entity and hour. Everything is async; re-running it on the same window adds nothing.
/// </summary>
public sealed class SentimentWorker(IDbContextFactory<SentimentContext> contexts)
{
    private const int Consumers = 4;
    private const int BatchSize = 100;

    private int _contextsInUse;
    private int _mostContexts;

    public async Task<WorkerRun> RunAsync(DateTime from, int days, int perDay, CancellationToken cancellationToken = default)
    {
        Dictionary<string, int> entityIds;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            entityIds = await db.Entities.ToDictionaryAsync(e => e.Name, e => e.Id, cancellationToken);
        }

        var channel = Channel.CreateBounded<Article>(new BoundedChannelOptions(500) { SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            await foreach (var (entity, article) in NewsFeed.ArticlesAsync(from, days, perDay))
            {
                article.EntityId = entityIds[entity];
                await channel.Writer.WriteAsync(article, cancellationToken);
            }

            channel.Writer.Complete();
        }, cancellationToken);

        var consumers = Enumerable.Range(0, Consumers).Select(_ => Task.Run(() => ConsumeAsync(channel.Reader, cancellationToken), cancellationToken)).ToArray();
        await producer;
        var stored = await Task.WhenAll(consumers);

        var (hours, newHours, changedHours) = await AggregateAsync(from, from.AddDays(days), cancellationToken);
        return new WorkerRun(stored.Sum(s => s.Total), stored.Sum(s => s.Inserted), hours, newHours, changedHours, _mostContexts);
    }

    private async Task<BulkUpsertResult> ConsumeAsync(ChannelReader<Article> reader, CancellationToken cancellationToken)
    {
        long inserted = 0, skipped = 0;
        var batch = new List<Article>(BatchSize);
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (batch.Count < BatchSize && reader.TryRead(out var article))
            {
                batch.Add(article);
            }

            if (batch.Count > 0)
            {
                var result = await StoreAsync(batch, cancellationToken);
                inserted += result.Inserted;
                skipped += result.Skipped;
                batch.Clear();
            }
        }

        return new BulkUpsertResult(inserted, 0, skipped);
    }

    private async Task<BulkUpsertResult> StoreAsync(List<Article> batch, CancellationToken cancellationToken)
    {
        // A context from the pool for this batch only; disposing it returns it (and its connection) to the pools.
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var inUse = Interlocked.Increment(ref _contextsInUse);
        InterlockedMax(ref _mostContexts, inUse);
        try
        {
            return await db.BulkUpsertAsync(batch, c => c.On(a => a.ExternalId).DoNothing(), cancellationToken: cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _contextsInUse);
        }
    }

    private async Task<(long Hours, long New, long Changed)> AggregateAsync(DateTime from, DateTime to, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var articles = await db.Articles.AsNoTracking()
            .Where(a => a.PublishedAt >= from && a.PublishedAt < to)
            .Select(a => new { a.EntityId, a.PublishedAt, a.SentimentScore })
            .ToListAsync(cancellationToken);
        var hourly = articles
            .GroupBy(a => (a.EntityId, Hour: new DateTime(a.PublishedAt.Ticks - (a.PublishedAt.Ticks % TimeSpan.TicksPerHour), DateTimeKind.Utc)))
            .Select(g => new SentimentTimeseries
            {
                EntityId = g.Key.EntityId,
                Timestamp = g.Key.Hour,
                AvgSentiment = Math.Round(g.Average(a => a.SentimentScore), 4),
                MinSentiment = g.Min(a => a.SentimentScore),
                MaxSentiment = g.Max(a => a.SentimentScore),
                ArticleCount = g.Count(),
            })
            .ToList();

        // One row per entity and hour; a late article changes its hour's row, an unchanged hour is left alone.
        var result = await db.BulkUpsertAsync(hourly, c => c.On(p => new { p.EntityId, p.Timestamp })
            .DoUpdate(p => new { p.AvgSentiment, p.MinSentiment, p.MaxSentiment, p.ArticleCount }), cancellationToken: cancellationToken);
        return (hourly.Count, result.Inserted, result.Updated);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
