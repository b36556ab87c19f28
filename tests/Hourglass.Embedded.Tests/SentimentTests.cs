using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>samples/Sentiment (seed 004), run as a user runs it, twice on the same data.</summary>
[Collection(SamplesRunOneAtATime.Name)]
public sealed partial class SentimentTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"hourglass-sentiment-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Sentiment_turns_its_plain_table_into_a_hypertable_with_the_rows_in_it_and_a_rerun_adds_nothing()
    {
        var external = TestServers.UsingExternalTimescale ? (await TestServers.Timescale).AdminConnectionString : null;

        var first = await SampleProcess.RunAsync("Sentiment.dll", _data, external);

        // Migration 1 (plain tables), a week ingested into them, then migration 2 (MigrateData) with those rows.
        Assert.Contains("Migration 1 (PlainTables): plain tables", first, StringComparison.Ordinal);
        var week1 = Week().Match(first);
        Assert.True(week1.Success, first);
        Assert.Equal(("1", "420", "420"), (week1.Groups["week"].Value, week1.Groups["articles"].Value, week1.Groups["new"].Value));
        Assert.Equal((week1.Groups["hours"].Value, "0"), (week1.Groups["newHours"].Value, week1.Groups["changed"].Value));
        var hours1 = int.Parse(week1.Groups["hours"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("Migration 2 (SentimentHypertable): sentiment_timeseries is a hypertable now", first, StringComparison.Ordinal);
        var conversion = Conversion().Match(first);
        Assert.True(conversion.Success, first);
        Assert.Equal(week1.Groups["hours"].Value, conversion.Groups["before"].Value);
        Assert.Equal(week1.Groups["hours"].Value, conversion.Groups["after"].Value);
        Assert.Equal("unchanged", conversion.Groups["checksum"].Value);
        Assert.Equal("2", conversion.Groups["chunks"].Value);
        var week2 = Week().Matches(first)[1];
        Assert.Equal(("2", "420", "420"), (week2.Groups["week"].Value, week2.Groups["articles"].Value, week2.Groups["new"].Value));
        Assert.Equal((week2.Groups["hours"].Value, "0"), (week2.Groups["newHours"].Value, week2.Groups["changed"].Value));
        var hours = hours1 + int.Parse(week2.Groups["hours"].Value, System.Globalization.CultureInfo.InvariantCulture);

        // Async CRUD, concurrent consumers on pooled contexts, and the recent-sentiment query on its index.
        Assert.Contains("CRUD: created entity Llama, updated its category to open_weights_llm, read it back, deleted it: 0 left.", first, StringComparison.Ordinal);
        Assert.Matches(@"at most [1-4] pooled contexts at once", first);
        Assert.Matches(@"EXPLAIN: .*Index Scan using _hyper_\d+_\d+_chunk_ix_sentiment_timeseries_entity_timestamp", first);
        Assert.Matches(@"Recent sentiment of Claude: 24 hours from 2026-01-\d\d \d\d:00 to 2026-01-18 \d\d:00", first);
        Assert.Equal(5, EntityRow().Count(first));
        Assert.Contains($"Stored 840 articles and {hours} sentiment hours.", first, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", first, StringComparison.OrdinalIgnoreCase);
        if (external is null)
        {
            Assert.Contains($"keeps the data in {_data}", first, StringComparison.Ordinal);
        }

        var second = await SampleProcess.RunAsync("Sentiment.dll", _data, external);
        Assert.DoesNotContain("Migration 1", second, StringComparison.Ordinal);
        Assert.Contains("No migration pending: sentiment_timeseries is already a hypertable.", second, StringComparison.Ordinal);
        Assert.Contains($"Week 1: 420 articles (0 new), {week1.Groups["hours"].Value} sentiment hours (0 new, 0 changed)", second, StringComparison.Ordinal);
        Assert.Contains($"Week 2: 420 articles (0 new), {week2.Groups["hours"].Value} sentiment hours (0 new, 0 changed)", second, StringComparison.Ordinal);
        var again = Conversion().Match(second);
        Assert.Equal(($"{hours}", $"{hours}", "unchanged"), (again.Groups["before"].Value, again.Groups["after"].Value, again.Groups["checksum"].Value));
        Assert.Contains($"Stored 840 articles and {hours} sentiment hours.", second, StringComparison.Ordinal);
        Assert.Contains("re-running the worker changed nothing", second, StringComparison.Ordinal);
        Assert.Equal(EntityRow().Matches(first).Select(m => m.Value), EntityRow().Matches(second).Select(m => m.Value));
    }

    [GeneratedRegex(@"Week (?<week>\d): (?<articles>\d+) articles \((?<new>\d+) new\), (?<hours>\d+) sentiment hours \((?<newHours>\d+) new, (?<changed>\d+) changed\)")]
    private static partial Regex Week();

    [GeneratedRegex(@"sentiment_timeseries: (?<before>[\d,]+) rows before, (?<after>[\d,]+) after; checksum (?<checksum>\w+) \([0-9a-f]{32}\); (?<chunks>\d+) chunks of 7 days on timestamp\.")]
    private static partial Regex Conversion();

    [GeneratedRegex(@"^│ (Claude|Copilot|GPT-4|Gemini|Midjourney) +│ \d+ +│ 168 +│ [+-]\d\.\d{3} +│$", RegexOptions.Multiline)]
    private static partial Regex EntityRow();
}
