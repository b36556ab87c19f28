// Sentiment: news sentiment about AI models and tools (seed 004). Entities, articles and an hourly sentiment time
// series, async throughout with a pooled IDbContextFactory. The seed's own plan, played out: migration 1 has plain
// tables, "TimescaleDB-compatible from day 1"; a first week is ingested into them; migration 2, generated after adding
// IsHypertable(...).MigrateData() to the model, turns sentiment_timeseries into a hypertable with those rows in it.
//
//   dotnet run --project samples/Sentiment                 # embedded TimescaleDB, temporary data
//   dotnet run --project samples/Sentiment -- --data DIR   # embedded, kept in DIR (run it twice: nothing is duplicated)
//   HOURGLASS_CONNECTION="Host=...;..." dotnet run --project samples/Sentiment   # your own server (schema "sentiment")
using System.Globalization;
using Hourglass;
using Hourglass.Embedded;
using Hourglass.EntityFrameworkCore.BulkIngest;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sentiment;
using Spectre.Console;

var dataIndex = Array.IndexOf(args, "--data");
var dataDirectory = dataIndex >= 0 && dataIndex + 1 < args.Length ? args[dataIndex + 1] : null;
var connectionString = Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION");

EmbeddedTimescale? embedded = null;
if (string.IsNullOrWhiteSpace(connectionString))
{
    embedded = await AnsiConsole.Status().StartAsync("Starting the embedded TimescaleDB (first run installs it)...",
        _ => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { DataDirectory = dataDirectory }));
    connectionString = embedded.ConnectionString;
}

try
{
    // The seed's SQLAlchemy engine: pool_size=10, max_overflow=20. Npgsql has one pool per connection string with no
    // "overflow": it opens connections on demand up to Maximum Pool Size and closes idle ones down to Minimum Pool
    // Size (after Connection Idle Lifetime). So 10 + 20 becomes Minimum Pool Size=10 (kept open, like pool_size) and
    // Maximum Pool Size=30 (the hard limit, like pool_size + max_overflow). The embedded engine has one session, so
    // there the limit is 1 and callers queue for it. The DbContext pool (poolSize: 10) is separate: it reuses up to
    // 10 context instances; a context takes a connection from Npgsql's pool only while it runs a command.
    var pooled = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "sentiment-sample" };
    if (embedded is null)
    {
        pooled.MinPoolSize = 10;
        pooled.MaxPoolSize = 30;
    }

    var services = new ServiceCollection()
        .AddPooledDbContextFactory<SentimentContext>(options => SentimentContext.Configure(options, pooled.ConnectionString), poolSize: 10);
    await using var provider = services.BuildServiceProvider();
    var contexts = provider.GetRequiredService<IDbContextFactory<SentimentContext>>();
    var worker = new SentimentWorker(contexts);

    // Two weeks of news: the first before TimescaleDB, the second after.
    var firstWeek = new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
    var secondWeek = firstWeek.AddDays(7);

    await using (var db = await contexts.CreateDbContextAsync())
    {
        var migrations = db.Database.GetMigrations().ToList();
        var applied = (await db.Database.GetAppliedMigrationsAsync()).ToList();
        if (applied.Count == 0)
        {
            // The seed's day 1: plain tables only (migration 1).
            await db.GetService<IMigrator>().MigrateAsync(migrations[0]);
            Console.WriteLine($"Migration 1 ({Name(migrations[0])}): plain tables entities, articles, sentiment_timeseries, as the seed shipped them.");
        }

        await SeedEntitiesAsync(db);
    }

    var beforeHypertable = await worker.RunAsync(firstWeek, days: 7, perDay: 12);
    Print("Week 1", beforeHypertable);

    await using (var db = await contexts.CreateDbContextAsync())
    {
        var before = await FingerprintAsync(db);
        var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
        await db.Database.MigrateAsync();
        var after = await FingerprintAsync(db);
        var hypertable = await db.Database.Timescale().GetHypertableAsync($"{SentimentContext.Schema}.sentiment_timeseries");
        Console.WriteLine(pending.Count == 0
            ? "No migration pending: sentiment_timeseries is already a hypertable."
            : $"Migration 2 ({string.Join(", ", pending.Select(Name))}): sentiment_timeseries is a hypertable now, its rows moved into chunks (migrate_data).");
        Console.WriteLine(FormattableString.Invariant(
            $"sentiment_timeseries: {before.Rows:N0} rows before, {after.Rows:N0} after; checksum {(before.Checksum == after.Checksum ? "unchanged" : "CHANGED")} ({after.Checksum}); {hypertable.ChunkCount} chunks of {hypertable.PrimaryDimension?.Interval?.TotalDays:0} days on {hypertable.PrimaryDimension?.Column}."));
    }

    var afterHypertable = await worker.RunAsync(secondWeek, days: 7, perDay: 12);
    Print("Week 2", afterHypertable);

    // Async CRUD on an entity, each step with its own pooled context, as a web request would.
    int trackedId;
    await using (var db = await contexts.CreateDbContextAsync())
    {
        var tracked = await db.Entities.SingleOrDefaultAsync(e => e.Name == "Llama") ?? db.Entities.Add(new Entity { Name = "Llama", Category = "llm" }).Entity;
        await db.SaveChangesAsync();
        trackedId = tracked.Id;
    }

    await using (var db = await contexts.CreateDbContextAsync())
    {
        var tracked = await db.Entities.SingleAsync(e => e.Id == trackedId);
        tracked.Category = "open_weights_llm";
        await db.SaveChangesAsync();
    }

    string category;
    await using (var db = await contexts.CreateDbContextAsync())
    {
        category = await db.Entities.Where(e => e.Id == trackedId).Select(e => e.Category).SingleAsync();
        await db.Entities.Where(e => e.Id == trackedId).ExecuteDeleteAsync();
        Console.WriteLine($"CRUD: created entity Llama, updated its category to {category}, read it back, deleted it: {await db.Entities.CountAsync(e => e.Name == "Llama")} left.");
    }

    // The seed's main query: the recent sentiment of one entity, through its (entity_id, timestamp DESC) index.
    await using (var db = await contexts.CreateDbContextAsync())
    {
        var claude = await db.Entities.Where(e => e.Name == "Claude").Select(e => e.Id).SingleAsync();
        var recent = db.SentimentTimeseries.Where(p => p.EntityId == claude).OrderByDescending(p => p.Timestamp).Take(24);
        var rows = await recent.ToListAsync();
        Console.WriteLine(FormattableString.Invariant(
            $"Recent sentiment of Claude: {rows.Count} hours from {rows[^1].Timestamp:yyyy-MM-dd HH:mm} to {rows[0].Timestamp:yyyy-MM-dd HH:mm}, average {rows.Average(r => r.AvgSentiment):+0.000;-0.000} over {rows.Sum(r => r.ArticleCount)} articles."));

        await db.Database.ExecuteSqlRawAsync("ANALYZE sentiment.sentiment_timeseries");
        var plan = new List<string>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        await using (var explain = connection.CreateCommand())
        {
            explain.CommandText = $"EXPLAIN SELECT * FROM sentiment.sentiment_timeseries WHERE entity_id = {claude} ORDER BY timestamp DESC LIMIT 24";
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        await db.Database.CloseConnectionAsync();
        var indexLine = plan.FirstOrDefault(l => l.Contains("ix_sentiment_timeseries_entity_timestamp", StringComparison.Ordinal));
        Console.WriteLine(indexLine is null
            ? $"EXPLAIN: the index is not used:{Environment.NewLine}{string.Join(Environment.NewLine, plan)}"
            : $"EXPLAIN: {indexLine.Trim()}");

        var perEntity = await db.SentimentTimeseries
            .GroupBy(p => p.EntityId)
            .Select(g => new { EntityId = g.Key, Hours = g.Count(), Articles = g.Sum(p => p.ArticleCount), Average = g.Average(p => p.AvgSentiment) })
            .Join(db.Entities, s => s.EntityId, e => e.Id, (s, e) => new { e.Name, s.Hours, s.Articles, s.Average })
            .OrderBy(s => s.Name)
            .ToListAsync();
        var table = new Table().Title("Sentiment, two weeks").Border(TableBorder.Rounded);
        table.AddColumns("entity", "hours", "articles", "average");
        foreach (var entity in perEntity)
        {
            table.AddRow(entity.Name, entity.Hours.ToString(CultureInfo.InvariantCulture), entity.Articles.ToString(CultureInfo.InvariantCulture),
                entity.Average.ToString("+0.000;-0.000", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        var total = await db.Articles.LongCountAsync();
        var hours = await db.SentimentTimeseries.LongCountAsync();
        Console.WriteLine(FormattableString.Invariant($"Stored {total:N0} articles and {hours:N0} sentiment hours."));
        Console.WriteLine(beforeHypertable.NewArticles + afterHypertable.NewArticles == 0
            ? "Every article was already there: re-running the worker changed nothing."
            : "Run it again: articles are upserted on their external id, sentiment hours on (entity_id, timestamp).");
    }

    var shown = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
    Console.WriteLine($"Server: {shown.Host}:{shown.Port}, database {shown.Database}, schema {SentimentContext.Schema}.");
    if (embedded is not null)
    {
        Console.WriteLine(embedded.DataDirectory is null
            ? $"The embedded TimescaleDB {embedded.TimescaleDbVersion} kept the data in a temporary folder, deleted on exit; pass --data DIR to keep it."
            : $"The embedded TimescaleDB {embedded.TimescaleDbVersion} keeps the data in {embedded.DataDirectory}.");
    }
}
finally
{
    if (embedded is not null)
    {
        await embedded.DisposeAsync();
    }
}

static string Name(string migrationId) => migrationId[(migrationId.IndexOf('_', StringComparison.Ordinal) + 1)..];

static async Task SeedEntitiesAsync(SentimentContext db) =>
    await db.BulkUpsertAsync(NewsFeed.Entities.Select(e => new Entity { Name = e.Name, Category = e.Category }), c => c.On(e => e.Name).DoNothing());

// Every row of sentiment_timeseries, in key order, hashed: equal before and after the conversion means nothing was
// lost or changed.
static async Task<Fingerprint> FingerprintAsync(SentimentContext db) =>
    await db.Database.SqlQueryRaw<Fingerprint>("""
        SELECT count(*) AS rows,
               coalesce(md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s', id, entity_id, timestamp, avg_sentiment, min_sentiment, max_sentiment, article_count),
                                       ',' ORDER BY id)), '') AS checksum
        FROM sentiment.sentiment_timeseries
        """).SingleAsync();

static void Print(string label, WorkerRun run) => Console.WriteLine(FormattableString.Invariant(
    $"{label}: {run.Articles:N0} articles ({run.NewArticles:N0} new), {run.Hours:N0} sentiment hours ({run.NewHours:N0} new, {run.ChangedHours:N0} changed); at most {run.MostContexts} pooled contexts at once."));

/// <summary>Row count and checksum of a table.</summary>
internal sealed record Fingerprint(long Rows, string Checksum);
