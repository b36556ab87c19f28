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
        Assert.Contains("Ingested 86,400 metrics of 5 devices into hypertable aetherlens.metrics (5 chunks of 7 days)", first, StringComparison.Ordinal);
        Assert.Contains("metrics holds 86,400 rows, 86,400 distinct (device, type, time) keys, 86,400 with the tags the ingest set.", first, StringComparison.Ordinal);
        Assert.Contains("read back 1,000 (1,000 with the default tags {}); after deleting the device (ON DELETE CASCADE): 0; rolled back.", first, StringComparison.Ordinal);
        Assert.Matches(@"Bulk insert of 1,000 metrics: [\d,]+ ms", first);
        Assert.Equal(5, PowerRow().Count(first));
        Assert.Equal(7, EnergyRow().Count(first));
        Assert.DoesNotContain("Password", first, StringComparison.OrdinalIgnoreCase);
        if (external is null)
        {
            Assert.Contains("86,400 new, 0 already there", first, StringComparison.Ordinal);
            Assert.Contains($"keeps the data in {_data}", first, StringComparison.Ordinal);
        }

        var second = await SampleProcess.RunAsync("HomeEnergy.dll", _data, external);
        Assert.Contains("(5 chunks of 7 days)", second, StringComparison.Ordinal);
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

    [GeneratedRegex(@"^│ 06-\d\d [A-Z][a-z]{2} │( +\d+\.\d\d │){5}$", RegexOptions.Multiline)]
    private static partial Regex EnergyRow();
}
