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
        Assert.Contains("Query test 5: 2 policy jobs on aetherlens in timescaledb_information.jobs.", first, StringComparison.Ordinal);
        Assert.Contains("Columnstore policy of aetherlens.metrics: {", first, StringComparison.Ordinal);
        Assert.Contains("\"compress_after\": \"7 days\"", first, StringComparison.Ordinal);
        Assert.Contains("Retention policy of aetherlens.metrics: {", first, StringComparison.Ordinal);
        Assert.Contains("\"drop_after\": \"90 days\"", first, StringComparison.Ordinal);
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
    }

    // A device's 24 hours: average, peak and all 288 five-minute samples.
    [GeneratedRegex(@"^│ [a-z0-9-]+ +│ +[\d,]+\.\d │ +[\d,]+ │ +288 │$", RegexOptions.Multiline)]
    private static partial Regex PowerRow();

    [GeneratedRegex(@"^Query test 4: columnstore segmentby device_id,metric_type, orderby ""time"" DESC; (?<converted>\d+) chunks converted now, (?<in>\d+) of [56] in the columnstore; [\d,]+ kB before, [\d,]+ kB after: compression_ratio (?<ratio>\d+\.\d\d)% \(seed: > 70%\)\.$", RegexOptions.Multiline)]
    private static partial Regex ColumnstoreLine();

    [GeneratedRegex(@"^│ \d\d-\d\d [A-Z][a-z]{2} │( +\d+\.\d\d │){5}$", RegexOptions.Multiline)]
    private static partial Regex EnergyRow();
}
