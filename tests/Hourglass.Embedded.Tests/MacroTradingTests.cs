using System.Globalization;
using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>samples/MacroTrading (seed 001), run as a user runs it, twice on the same data.</summary>
[Collection(SamplesRunOneAtATime.Name)]
public sealed partial class MacroTradingTests : IDisposable
{
    private static readonly Dictionary<string, long> ExpectedRows = new()
    {
        ["instruments"] = 8, ["data_sources"] = 3, ["series_metadata"] = 9,
        ["market_data"] = 2_088, ["macro_series"] = 84, ["curves"] = 3_915, ["flow_data"] = 208,
        ["fiscal_data"] = 72, ["vol_surfaces"] = 3_120, ["signals"] = 528,
    };

    // The seed's segmentby columns (signals: the sample's choice, the seed names none) and compression delays.
    private static readonly Dictionary<string, (string SegmentBy, string OrderBy, string After)> ExpectedColumnstore = new()
    {
        ["market_data"] = ("instrument_id", "timestamp DESC", "30 days"),
        ["macro_series"] = ("series_id", "observation_date DESC", "90 days"),
        ["curves"] = ("curve_id", "curve_date DESC", "90 days"),
        ["flow_data"] = ("series_id", "observation_date DESC", "90 days"),
        ["fiscal_data"] = ("series_id", "observation_date DESC", "180 days"),
        ["vol_surfaces"] = ("instrument_id", "surface_date DESC", "90 days"),
        ["signals"] = ("signal_type", "signal_date DESC", "90 days"),
    };

    private readonly string _data = Path.Combine(Path.GetTempPath(), $"hourglass-macro-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task MacroTrading_creates_seven_hypertables_backfills_a_year_and_a_rerun_adds_nothing()
    {
        var external = TestServers.UsingExternalTimescale ? (await TestServers.Timescale).AdminConnectionString : null;

        var first = await SampleProcess.RunAsync("MacroTrading.dll", _data, external);
        var firstTables = Tables(first);
        Assert.Equal(ExpectedRows.Keys.Order(), firstTables.Keys.Order());
        foreach (var (table, rows) in ExpectedRows)
        {
            Assert.Equal(rows, firstTables[table].Rows);
        }

        Assert.Equal(["30 days", "365 days", "30 days", "90 days", "365 days", "30 days", "30 days"],
            new[] { "market_data", "macro_series", "curves", "flow_data", "fiscal_data", "vol_surfaces", "signals" }.Select(t => firstTables[t].ChunkInterval));
        Assert.True(firstTables["market_data"].Chunks >= 12, first);
        Assert.Contains("Ingested 10,035 rows into 10 tables (7 hypertables, 60 chunks)", first, StringComparison.Ordinal);
        Assert.Equal(8, QuarterRow().Count(first));
        Assert.Contains("Market-wide risk_regime signals: 52 (one per week).", first, StringComparison.Ordinal);
        var pointInTime = PointInTime().Match(first);
        Assert.True(pointInTime.Success, first);
        Assert.NotEqual(pointInTime.Groups["then"].Value, pointInTime.Groups["now"].Value);
        Assert.Matches(@"Curve UST on 2025-12-31: 2y \d+\.\d\d%, 10y \d+\.\d\d%", first);
        Assert.DoesNotContain("Password", first, StringComparison.OrdinalIgnoreCase);
        if (external is null)
        {
            Assert.Contains("10,035 new, 0 already there", first, StringComparison.Ordinal);
            Assert.All(firstTables.Values, t => Assert.Equal((t.Rows, 0L), (t.New, t.AlreadyThere)));
            Assert.Contains($"keeps the data in {_data}", first, StringComparison.Ordinal);
        }

        // The seed's columnstore, read back from the catalog: segmentby per table, the policy's delay, and every 2025
        // chunk (all older than the longest delay) converted right after the backfill, each smaller than before.
        var firstColumnstore = Columnstore(first);
        Assert.Equal(ExpectedColumnstore.Keys.Order(), firstColumnstore.Keys.Order());
        foreach (var (table, (segmentBy, orderBy, after)) in ExpectedColumnstore)
        {
            var line = firstColumnstore[table];
            Assert.Equal((segmentBy, orderBy, after), (line.SegmentBy, line.OrderBy, line.After));
            Assert.Equal(firstTables[table].Chunks, line.Converted);
            Assert.Equal(firstTables[table].Chunks, line.InColumnstore);
            Assert.Equal(firstTables[table].Chunks, line.Chunks);
            Assert.True(line.Ratio > 1, $"{table}: {line.Ratio}x");
        }

        var second = await SampleProcess.RunAsync("MacroTrading.dll", _data, external);
        var secondTables = Tables(second);
        Assert.Contains("0 new, 10,035 already there", second, StringComparison.Ordinal);
        Assert.Contains("re-running the backfill changed nothing", second, StringComparison.Ordinal);
        foreach (var (table, counts) in firstTables)
        {
            Assert.Equal((counts.Rows, counts.Chunks), (secondTables[table].Rows, secondTables[table].Chunks));
            Assert.Equal((0L, counts.Rows), (secondTables[table].New, secondTables[table].AlreadyThere));
        }

        Assert.Equal(PointInTime().Match(first).Value, PointInTime().Match(second).Value);
        var secondColumnstore = Columnstore(second);
        foreach (var (table, line) in firstColumnstore)
        {
            Assert.Equal(line with { Converted = 0 }, secondColumnstore[table]);
        }

        Assert.Contains("Market-wide risk_regime signals: 52 (one per week).", second, StringComparison.Ordinal);
    }

    private static Dictionary<string, TableCounts> Tables(string output) => TableRow().Matches(output).ToDictionary(
        m => m.Groups["table"].Value,
        m => new TableCounts(
            m.Groups["interval"].Value.Trim(),
            m.Groups["chunks"].Value.Length == 0 ? 0 : int.Parse(m.Groups["chunks"].Value, CultureInfo.InvariantCulture),
            Count(m.Groups["new"].Value),
            Count(m.Groups["already"].Value),
            Count(m.Groups["rows"].Value)));

    private static Dictionary<string, ColumnstoreLine> Columnstore(string output) => ColumnstoreRow().Matches(output).ToDictionary(
        m => m.Groups["table"].Value,
        m => new ColumnstoreLine(
            m.Groups["segmentby"].Value,
            m.Groups["orderby"].Value,
            m.Groups["after"].Value,
            int.Parse(m.Groups["converted"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["in"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["of"].Value, CultureInfo.InvariantCulture),
            double.Parse(m.Groups["ratio"].Value, CultureInfo.InvariantCulture)));

    private sealed record ColumnstoreLine(string SegmentBy, string OrderBy, string After, int Converted, int InColumnstore, int Chunks, double Ratio);

    private static long Count(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private sealed record TableCounts(string ChunkInterval, int Chunks, long New, long AlreadyThere, long Rows);

    [GeneratedRegex(@"^│ (?<table>[a-z_]+) +│ (?<interval>[^│]+)│ (?<chunks>\d*) *│ (?<new>[\d,]+) +│ (?<already>[\d,]+) +│ (?<rows>[\d,]+) +│$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"^  (?<table>[a-z_]+): segmentby (?<segmentby>[a-z_]+), orderby (?<orderby>[^,]+), policy after (?<after>\d+ days); (?<converted>\d+) chunks converted now, (?<in>\d+) of (?<of>\d+) in the columnstore, [\d,]+ kB -> [\d,]+ kB \((?<ratio>\d+\.\d)x\)\.$", RegexOptions.Multiline)]
    private static partial Regex ColumnstoreRow();

    [GeneratedRegex(@"^│ [A-Z]+ +│( +[\d,]+\.?\d* │){4}$", RegexOptions.Multiline)]
    private static partial Regex QuarterRow();

    [GeneratedRegex(@"PAYEMS for 2025-03 as known on 2025-04-20: (?<then>[\d,]+); latest of 2 releases: (?<now>[\d,]+)\.")]
    private static partial Regex PointInTime();
}
