using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>samples/MeteoScore (seed 000), run as a user runs it, twice on the same data.</summary>
[Collection(SamplesRunOneAtATime.Name)]
public sealed partial class MeteoScoreTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"hourglass-meteo-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task MeteoScore_stores_a_season_of_deviations_scores_the_models_and_a_rerun_adds_nothing()
    {
        var external = TestServers.UsingExternalTimescale ? (await TestServers.Timescale).AdminConnectionString : null;

        var first = await SampleProcess.RunAsync("MeteoScore.dll", _data, external);
        Assert.Contains("Ingested 17,472 deviations into hypertable meteo.deviations (14 chunks of 7 days)", first, StringComparison.Ordinal);
        Assert.Contains("deviations holds 17,472 rows.", first, StringComparison.Ordinal);
        Assert.Contains("Reference data: 1 site, 2 models, 3 parameters.", first, StringComparison.Ordinal);
        Assert.Contains("A deviation of an unknown site: refused (foreign key violation, SQLSTATE 23503).", first, StringComparison.Ordinal);
        Assert.Contains("idx_deviations_parameter, idx_deviations_site_model, idx_deviations_timestamp", first, StringComparison.Ordinal);
        Assert.DoesNotContain("deviations_timestamp_idx", first, StringComparison.Ordinal);
        var scores = ScoreRow().Matches(first);
        Assert.Equal(6, scores.Count);

        // Errors grow with the horizon for every model and parameter.
        Assert.All(scores, row =>
        {
            var mae = row.Groups["mae"].Captures.Select(c => double.Parse(c.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(mae.Order(), mae);
        });
        Assert.Equal(14, WeekRow().Count(first));
        Assert.DoesNotContain("Password", first, StringComparison.OrdinalIgnoreCase);
        if (external is null)
        {
            Assert.Contains("17,472 new, 0 already there", first, StringComparison.Ordinal);
            Assert.Contains($"keeps the data in {_data}", first, StringComparison.Ordinal);
        }

        var second = await SampleProcess.RunAsync("MeteoScore.dll", _data, external);
        Assert.Contains("(14 chunks of 7 days)", second, StringComparison.Ordinal);
        Assert.Contains("0 new, 17,472 already there", second, StringComparison.Ordinal);
        Assert.Contains("deviations holds 17,472 rows.", second, StringComparison.Ordinal);
        Assert.Contains("Reference data: 1 site, 2 models, 3 parameters.", second, StringComparison.Ordinal);
        Assert.Contains("re-running the ingest changed nothing", second, StringComparison.Ordinal);
        Assert.Equal(ScoreRow().Matches(first).Select(m => m.Value), ScoreRow().Matches(second).Select(m => m.Value));
    }

    [GeneratedRegex(@"^│ (AROME|Meteo-Parapente) +│ [^│]+│( +(?<mae>\d+\.\d\d) │){4} +[+-]\d+\.\d\d │$", RegexOptions.Multiline)]
    private static partial Regex ScoreRow();

    [GeneratedRegex(@"^│ 2025-\d\d-\d\d │ +\d+\.\d\d │ +\d+\.\d\d │$", RegexOptions.Multiline)]
    private static partial Regex WeekRow();
}
