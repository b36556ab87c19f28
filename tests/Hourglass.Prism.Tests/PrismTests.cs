using System.Net;
using System.Text.Json;
using Hourglass;
using Hourglass.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Prism.Tests;

/// <summary>
/// samples/Prism (seed 002) through WebApplicationFactory: the same app on TimescaleDB (the embedded engine, or the
/// native one with HOURGLASS_TIMESCALEDB_HOME) and on PostgreSQL 15 without TimescaleDB must give the same answers.
/// </summary>
public sealed partial class PrismTests
{
    private static readonly string[] Sources = ["electricity_price", "outdoor_temperature", "solar_output"];

    [Fact]
    public async Task The_api_answers_the_same_on_TimescaleDB_and_on_plain_PostgreSQL_and_a_restart_adds_nothing()
    {
        await using var timescaleDb = await (await TestServers.Timescale).CreateDatabaseAsync("prism");
        await using var postgresDb = await WithoutTimescale.CreateDatabaseAsync(WithoutTimescale.NotAvailable, "prism");

        Dictionary<string, string> timescaleAnswers, postgresAnswers;
        await using (var app = new PrismApp(timescaleDb.ConnectionString))
        {
            timescaleAnswers = await AnswersAsync(app.CreateClient());
        }

        await using (var app = new PrismApp(postgresDb.ConnectionString))
        {
            postgresAnswers = await AnswersAsync(app.CreateClient());
        }

        Assert.Equal(timescaleAnswers.Keys, postgresAnswers.Keys);
        foreach (var (query, answer) in timescaleAnswers)
        {
            Assert.True(answer == postgresAnswers[query], $"{query}\nTimescaleDB: {Shorten(answer)}\nPostgreSQL: {Shorten(postgresAnswers[query])}");
        }

        // The seed's timeseries block, read back from the catalog through the Hourglass library.
        await using (var dataSource = NpgsqlDataSource.Create(timescaleDb.ConnectionString))
        {
            var timescale = dataSource.Timescale();
            var hypertable = await timescale.GetHypertableAsync("prism.datapoint");
            Assert.Equal("timestamp", hypertable.PrimaryDimension!.Column);
            Assert.Equal(TimeSpan.FromDays(7), hypertable.PrimaryDimension.Interval);
            Assert.Equal(new[] { "source" }, hypertable.ColumnstoreSettings!.SegmentBy);
            Assert.Equal(new[] { new ColumnstoreOrder("timestamp", Descending: true) }, hypertable.ColumnstoreSettings.OrderBy);
            var jobs = (await timescale.GetJobsAsync(["prism"])).Where(j => j.RelationName == "datapoint").ToList();
            using var columnstore = JsonDocument.Parse(Assert.Single(jobs, j => j.Kind == JobKind.Columnstore).Config!);
            Assert.Equal("1 mon", columnstore.RootElement.GetProperty("compress_after").GetString());
            using var retention = JsonDocument.Parse(Assert.Single(jobs, j => j.Kind == JobKind.Retention).Config!);
            Assert.Equal("1 year", retention.RootElement.GetProperty("drop_after").GetString());
        }

        Assert.Equal(["ix_datapoint_source_timestamp"], await timescaleDb.ColumnAsync<string>(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'prism' AND tablename = 'datapoint' AND indexdef LIKE '%(source, \"timestamp\")'"));
        Assert.Equal(["ix_datapoint_source_timestamp"], await postgresDb.ColumnAsync<string>(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'prism' AND tablename = 'datapoint' AND indexdef LIKE '%(source, \"timestamp\")'"));
        Assert.Equal(0L, await postgresDb.ScalarAsync<long>("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'"));

        // Started again on the same databases: the sample data is there already, nothing is added.
        var rows = await timescaleDb.ScalarAsync<long>("SELECT count(*) FROM prism.datapoint");
        Assert.Equal(28 * 24 * Sources.Length, rows);
        await using (var again = new PrismApp(timescaleDb.ConnectionString))
        {
            Assert.Equal(timescaleAnswers, await AnswersAsync(again.CreateClient()));
        }

        Assert.Equal(rows, await timescaleDb.ScalarAsync<long>("SELECT count(*) FROM prism.datapoint"));
    }

    /// <summary>Every endpoint and error, as status, content type and body.</summary>
    private static async Task<Dictionary<string, string>> AnswersAsync(HttpClient client)
    {
        var end = DateTime.UtcNow.Date;
        var start = end.AddDays(-28);
        var range = $"start={start:yyyy-MM-dd}&end={end:yyyy-MM-dd}";
        string[] queries =
        [
            $"/api/datapoints?{range}&limit=50",
            $"/api/datapoints?{range}&source=electricity_price&limit=10000",
            $"/api/datapoints?start={end.AddDays(-2):yyyy-MM-ddTHH:mm:ssZ}&end={end.AddDays(-1):yyyy-MM-ddTHH:mm:ssZ}&source=solar_output",
            $"/api/datapoints/aggregate?bucket=1+hour&{range}&source=electricity_price&aggs=avg,min,max,count",
            $"/api/datapoints/aggregate?bucket=1 day&{range}",
            $"/api/datapoints/aggregate?bucket=1 week&{range}&aggs=count,max",
            $"/api/datapoints/aggregate?bucket=15 minutes&start={end.AddDays(-1):yyyy-MM-dd}&end={end:yyyy-MM-dd}&source=outdoor_temperature&aggs=avg",
            "/api/datapoints/latest?source=electricity_price",
            "/api/datapoints/latest?source=outdoor_temperature",
            "/api/datapoints/latest?source=nowhere",
            $"/api/datapoints/aggregate?bucket=1 fortnight&{range}",
            $"/api/datapoints/aggregate?bucket=1 hour&start={end:yyyy-MM-dd}&end={start:yyyy-MM-dd}",
            $"/api/datapoints/aggregate?bucket=1 hour&{range}&aggs=avg,median",
            "/api/datapoints?start=yesterday&end=2026-01-01",
            $"/api/datapoints?{range}&source=electricity_price&source=solar_output&limit=10000",
        ];
        var answers = new Dictionary<string, string>();
        foreach (var query in queries)
        {
            using var response = await client.GetAsync(query);
            // A problem's traceId differs per request; everything else must be equal.
            var body = TraceId().Replace(await response.Content.ReadAsStringAsync(), "");
            answers[query] = $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {body}";
        }

        // The answers are right, not only equal: spot checks on the TimescaleDB and the PostgreSQL run alike.
        using (var hourly = JsonDocument.Parse(Ok(answers[queries[3]])))
        {
            Assert.Equal(28 * 24, hourly.RootElement.GetArrayLength());
            Assert.All(hourly.RootElement.EnumerateArray(), b => Assert.Equal(1, b.GetProperty("count").GetInt64()));
        }

        using (var daily = JsonDocument.Parse(Ok(answers[queries[4]])))
        {
            Assert.Equal(28, daily.RootElement.GetArrayLength());
            Assert.All(daily.RootElement.EnumerateArray(), b => Assert.Equal(24 * Sources.Length, b.GetProperty("count").GetInt64()));
        }

        using (var avgOnly = JsonDocument.Parse(Ok(answers[queries[6]])))
        {
            Assert.Equal(24, avgOnly.RootElement.GetArrayLength());
            Assert.All(avgOnly.RootElement.EnumerateArray(), b => Assert.Equal(JsonValueKind.Null, b.GetProperty("count").ValueKind));
        }

        Assert.StartsWith("200 application/json [", answers[queries[0]], StringComparison.Ordinal);
        Assert.Equal(50, JsonDocument.Parse(Ok(answers[queries[0]])).RootElement.GetArrayLength());
        Assert.Equal(28 * 24, JsonDocument.Parse(Ok(answers[queries[1]])).RootElement.GetArrayLength());
        using (var latest = JsonDocument.Parse(Ok(answers[queries[7]])))
        {
            Assert.Equal(end.AddHours(-1), latest.RootElement.GetProperty("timestamp").GetDateTime().ToUniversalTime());
        }

        using (var twoSources = JsonDocument.Parse(Ok(answers[queries[14]])))
        {
            Assert.Equal(28 * 24 * 2, twoSources.RootElement.GetArrayLength());
            Assert.Equal(["electricity_price", "solar_output"], twoSources.RootElement.EnumerateArray().Select(p => p.GetProperty("source").GetString()).Distinct().Order(StringComparer.Ordinal));
        }

        Assert.StartsWith("404 application/problem+json", answers[queries[9]], StringComparison.Ordinal);
        Assert.Contains("\"bucket\":[\"'1 fortnight' is not a bucket width.", Problem(answers[queries[10]]), StringComparison.Ordinal);
        Assert.Contains("\"start\":[\"start (", Problem(answers[queries[11]]), StringComparison.Ordinal);
        Assert.Contains("\"aggs\":[\"Unknown aggregate(s): median.", Problem(answers[queries[12]]), StringComparison.Ordinal);
        Assert.Contains("\"start\":[\"'yesterday' is not a date and time", Problem(answers[queries[13]]), StringComparison.Ordinal);

        // Health (Hourglass.HealthChecks) and OpenAPI.
        using (var health = await client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        var openApi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/datapoints/aggregate", openApi, StringComparison.Ordinal);
        Assert.Contains("/api/datapoints/latest", openApi, StringComparison.Ordinal);
        return answers;
    }

    private static string Body(string answer) => answer[(answer.IndexOf(' ', answer.IndexOf(' ', StringComparison.Ordinal) + 1) + 1)..];

    private static string Ok(string answer)
    {
        Assert.True(answer.StartsWith("200 application/json ", StringComparison.Ordinal), Shorten(answer));
        return Body(answer);
    }

    private static string Problem(string answer)
    {
        Assert.StartsWith("400 application/problem+json ", answer, StringComparison.Ordinal);
        return Body(answer);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@",""traceId"":""[^""]*""")]
    private static partial System.Text.RegularExpressions.Regex TraceId();

    private static string Shorten(string text) => text.Length > 600 ? text[..600] + "..." : text;

    private sealed class PrismApp(string connectionString) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseSetting("ConnectionStrings:Prism", connectionString);
    }
}
