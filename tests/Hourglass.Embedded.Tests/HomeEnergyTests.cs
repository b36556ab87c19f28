using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>samples/HomeEnergy (seed 003), run as a user runs it, twice on the same data.</summary>
[Collection(SamplesRunOneAtATime.Name)]
public sealed partial class HomeEnergyTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"hourglass-energy-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task HomeEnergy_ingests_a_month_of_metrics_runs_the_seed_queries_and_a_rerun_adds_nothing()
    {
        var external = TestServers.UsingExternalTimescale ? (await TestServers.Timescale).AdminConnectionString : null;

        var first = await SampleProcess.RunAsync("HomeEnergy.dll", _data, external);
        // A month up to today's midnight covers 5 or 6 weekly chunks, depending on the weekday.
        Assert.Matches(@"Ingested 86,400 metrics of 5 devices into hypertable aetherlens\.metrics \([56] chunks of 7 days\)", first);
        Assert.Contains("metrics holds 86,400 rows, 86,400 distinct (device, type, time) keys, 86,400 with the tags the ingest set.", first, StringComparison.Ordinal);
        Assert.Contains("read back 1,000 (1,000 with the default tags {}); after deleting the device (ON DELETE CASCADE): 0; rolled back.", first, StringComparison.Ordinal);
        Assert.Matches(@"Bulk insert of 1,000 metrics: [\d,]+ ms", first);
        Assert.Equal(5, PowerRow().Count(first));
        Assert.Equal(7, EnergyRow().Count(first));

        // The seed's columnstore (segmentby device_id, metric_type; orderby time DESC; after 7 days), its > 70 % ratio
        // (query test 4), both policies in the catalog (query test 5) and the retention test of task 8.
        var columnstore = ColumnstoreLine().Match(first);
        Assert.True(columnstore.Success, first);
        var inColumnstore = int.Parse(columnstore.Groups["in"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(inColumnstore >= 3, first);
        Assert.Equal(columnstore.Groups["in"].Value, columnstore.Groups["converted"].Value);
        Assert.True(double.Parse(columnstore.Groups["ratio"].Value, System.Globalization.CultureInfo.InvariantCulture) > 70, columnstore.Value);
        Assert.Contains("Query test 5: 4 policy jobs of aetherlens in timescaledb_information.jobs.", first, StringComparison.Ordinal);
        Assert.Contains("  Columnstore policy of aetherlens.metrics: {\"compress_after\": \"7 days\"}, every ", first, StringComparison.Ordinal);
        Assert.Contains("  Retention policy of aetherlens.metrics: {\"drop_after\": \"90 days\"}, every ", first, StringComparison.Ordinal);

        // The seed's continuous aggregates, from the catalog: source, functions, refresh policies (3 h / 1 h every hour,
        // 3 days / 1 day every day), retention (1 year, 5 years), no columnstore (the seed compresses only metrics),
        // materialized over the whole sample month; query test 3 through LINQ, and the seed's spot check.
        Assert.Contains("Aggregate aetherlens.metrics_hourly on aetherlens.metrics: materialized only yes, columnstore off, materialized up to ", first, StringComparison.Ordinal);
        Assert.Contains(", functions avg, min, max, count, sum, percentile_cont.", first, StringComparison.Ordinal);
        Assert.Contains("Aggregate aetherlens.metrics_daily on aetherlens.metrics: materialized only yes, columnstore off, materialized up to ", first, StringComparison.Ordinal);
        Assert.Contains(", functions avg, min, max, sum, percentile_cont.", first, StringComparison.Ordinal);
        Assert.Matches(@"  ContinuousAggregateRefresh policy of aetherlens\.metrics_hourly: \{""end_offset"": ""01:00:00"", ""start_offset"": ""03:00:00""\}, every 01:00:00\.", first);
        Assert.Contains("  Retention policy of aetherlens.metrics_hourly: {\"drop_after\": \"1 year\"}, every ", first, StringComparison.Ordinal);
        Assert.Matches(@"  ContinuousAggregateRefresh policy of aetherlens\.metrics_daily: \{""end_offset"": ""1 day"", ""start_offset"": ""3 days""\}, every 1 day\.", first);
        Assert.Contains("  Retention policy of aetherlens.metrics_daily: {\"drop_after\": \"5 years\"}, every ", first, StringComparison.Ordinal);
        // 5 devices x 2 metric types x 30 days: hours and days.
        Assert.Matches(@"Continuous aggregates: metrics_hourly holds 7,200 buckets, metrics_daily 300, the sample month refreshed in ", first);
        var watermark = Regex.Match(first, @"metrics_hourly on aetherlens\.metrics: .*materialized up to (?<end>[\d-]+ 00:00),");
        Assert.True(watermark.Success, first);
        Assert.Contains($"metrics_daily on aetherlens.metrics: materialized only yes, columnstore off, materialized up to {watermark.Groups["end"].Value},", first, StringComparison.Ordinal);
        // The seed's query test 3: 7 days of the office plug's power and energy hours (> now - 7 days excludes the first).
        Assert.Matches(@"Query test 3: 334 rows of metrics_hourly for shelly-plug-office-01 in the last 7 days; newest hour [\d-]+ 23:00, avg power \d+\.\d W\.", first);
        Assert.Matches(@"Spot check: shelly-plug-office-01's power hour 23:00 \(12 samples, p95 [\d.]+ W\) and energy day [\d-]+ \([\d.]+ kWh, median [\d.]+\) equal the raw metrics\.", first);
        Assert.DoesNotContain("(paused)", first, StringComparison.Ordinal);
        Assert.Contains("Retention: 1 metric older than 90 days before the retention policy ran, 0 after.", first, StringComparison.Ordinal);

        // The seed's performance criteria: each measured and printed with its target (timings are not asserted).
        foreach (var criterion in new[] { "24 h query", "7-day query", "aggregate query", "1,000-row insert" })
        {
            Assert.Matches($@"  {criterion}: \d+\.\d ms \(target < \d+ ms", first);
        }

        Assert.Matches(@"  compression: \d+\.\d% \(target > 70%\)", first);
        Assert.Matches(@"  database size: \d+\.\d MB \(target < 100 MB\)", first);
        Assert.DoesNotContain("Password", first, StringComparison.OrdinalIgnoreCase);
        if (external is null)
        {
            Assert.Contains("86,400 new, 0 already there", first, StringComparison.Ordinal);
            Assert.Contains($"keeps the data in {_data}", first, StringComparison.Ordinal);
        }

        var second = await SampleProcess.RunAsync("HomeEnergy.dll", _data, external);
        Assert.Contains(Regex.Match(first, @"\([56] chunks of 7 days\)").Value, second, StringComparison.Ordinal);
        var secondColumnstore = ColumnstoreLine().Match(second);
        Assert.Equal("0", secondColumnstore.Groups["converted"].Value);
        Assert.Equal(columnstore.Groups["in"].Value, secondColumnstore.Groups["in"].Value);
        Assert.Contains("Retention: 1 metric older than 90 days before the retention policy ran, 0 after.", second, StringComparison.Ordinal);
        Assert.Contains("0 new, 86,400 already there", second, StringComparison.Ordinal);
        Assert.Contains("metrics holds 86,400 rows, 86,400 distinct (device, type, time) keys, 86,400 with the tags the ingest set.", second, StringComparison.Ordinal);
        Assert.Contains("re-running the ingest changed nothing", second, StringComparison.Ordinal);
        Assert.Contains("read back 1,000 (1,000 with the default tags {}); after deleting the device (ON DELETE CASCADE): 0; rolled back.", second, StringComparison.Ordinal);
        Assert.Equal(PowerRow().Matches(first).Select(m => m.Value), PowerRow().Matches(second).Select(m => m.Value));
        Assert.Equal(EnergyRow().Matches(first).Select(m => m.Value), EnergyRow().Matches(second).Select(m => m.Value));

        // The second run adds no policy, job or bucket, and reads the same aggregates.
        Assert.Equal(PolicyLine().Matches(first).Select(m => m.Value), PolicyLine().Matches(second).Select(m => m.Value));
        Assert.Equal(6, PolicyLine().Count(second));
        Assert.Contains("Query test 5: 4 policy jobs of aetherlens in timescaledb_information.jobs.", second, StringComparison.Ordinal);
        Assert.Matches(@"Continuous aggregates: metrics_hourly holds 7,200 buckets, metrics_daily 300, the sample month refreshed in ", second);
        Assert.Equal(Regex.Match(first, "^Query test 3: .*$", RegexOptions.Multiline).Value, Regex.Match(second, "^Query test 3: .*$", RegexOptions.Multiline).Value);
        Assert.Equal(Regex.Match(first, "^Spot check: .*$", RegexOptions.Multiline).Value, Regex.Match(second, "^Spot check: .*$", RegexOptions.Multiline).Value);
        Assert.Equal(Regex.Matches(first, "^Aggregate .*$", RegexOptions.Multiline).Select(m => m.Value), Regex.Matches(second, "^Aggregate .*$", RegexOptions.Multiline).Select(m => m.Value));
    }

    // A device's 24 hours: average, peak and all 288 five-minute samples.
    [GeneratedRegex(@"^│ [a-z0-9-]+ +│ +[\d,]+\.\d │ +[\d,]+ │ +288 │$", RegexOptions.Multiline)]
    private static partial Regex PowerRow();

    [GeneratedRegex(@"^Query test 4: columnstore segmentby device_id, metric_type, orderby time DESC; (?<converted>\d+) chunks converted now, (?<in>\d+) of [56] in the columnstore; [\d,]+ kB before, [\d,]+ kB after: compression_ratio (?<ratio>\d+\.\d\d)% \(seed: > 70%\)\.$", RegexOptions.Multiline)]
    private static partial Regex ColumnstoreLine();

    [GeneratedRegex(@"^  [A-Za-z]+ policy of aetherlens\.[a-z_]+: .*$", RegexOptions.Multiline)]
    private static partial Regex PolicyLine();

    [GeneratedRegex(@"^│ \d\d-\d\d [A-Z][a-z]{2} │( +\d+\.\d\d │){5}$", RegexOptions.Multiline)]
    private static partial Regex EnergyRow();
}
