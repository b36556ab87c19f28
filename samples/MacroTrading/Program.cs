// MacroTrading: the data store of a macro trading system. Three metadata tables and seven hypertables with composite
// keys (id, time) and natural-key unique indexes, created by one generated migration; a seeded-random year of market
// bars, yield curves, vol surfaces, macro releases with revisions, flows, fiscal data and signals, ingested with
// BulkUpsertAsync(... DoNothing()) on each natural key: a backfill that can be re-run any number of times.
//
//   dotnet run --project samples/MacroTrading                 # embedded TimescaleDB, temporary data
//   dotnet run --project samples/MacroTrading -- --data DIR   # embedded, kept in DIR (run it twice: nothing is duplicated)
//   HOURGLASS_CONNECTION="Host=...;..." dotnet run --project samples/MacroTrading   # your own server (schema "macro")
using System.Globalization;
using System.Text.Json;
using Hourglass;
using Hourglass.Embedded;
using Hourglass.EntityFrameworkCore.BulkIngest;
using MacroTrading;
using Microsoft.EntityFrameworkCore;
using Npgsql;
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
    await using var context = MacroTradingContext.Create(connectionString);

    // Migrations/ was written by `dotnet ef migrations add Initial`: ten tables, seven migrationBuilder.CreateHypertable(...).
    await context.Database.MigrateAsync();

    // A backfill pauses the columnstore policies, so the scheduler does not convert a chunk while rows go into it.
    var policies = new[]
    {
        context.PolicyOf<MarketData>(JobKind.Columnstore), context.PolicyOf<MacroSeries>(JobKind.Columnstore),
        context.PolicyOf<CurveData>(JobKind.Columnstore), context.PolicyOf<FlowData>(JobKind.Columnstore),
        context.PolicyOf<FiscalData>(JobKind.Columnstore), context.PolicyOf<VolSurface>(JobKind.Columnstore),
        context.PolicyOf<Signal>(JobKind.Columnstore),
    };
    foreach (var policy in policies)
    {
        await context.Database.Timescale().PauseJobAsync(policy);
    }

    var clock = System.Diagnostics.Stopwatch.StartNew();
    var data = new MarketHistory(new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31), seed: 2025);
    var ingested = new List<(string Table, BulkUpsertResult Result)>();

    // Metadata first, idempotent on their natural keys; the generated ids are read back by natural key.
    ingested.Add(("instruments", await context.BulkUpsertAsync(MarketHistory.Instruments, c => c.On(i => i.Ticker).DoNothing())));
    ingested.Add(("data_sources", await context.BulkUpsertAsync(MarketHistory.Sources, c => c.On(s => s.Name).DoNothing())));
    var instruments = await context.Instruments.ToDictionaryAsync(i => i.Ticker, i => i.Id);
    var sources = await context.DataSources.ToDictionaryAsync(s => s.Name, s => s.Id);
    ingested.Add(("series_metadata", await context.BulkUpsertAsync(MarketHistory.Series(sources), c => c.On(s => new { s.SourceId, s.SeriesCode }).DoNothing())));
    var series = await context.SeriesMetadata.ToDictionaryAsync(s => s.SeriesCode, s => s.Id);

    // Hypertables: binary COPY into a staging table, then INSERT ... ON CONFLICT (natural key) DO NOTHING.
    ingested.Add(("market_data", await context.BulkUpsertAsync(data.Bars(instruments), c => c.On(b => new { b.InstrumentId, b.Timestamp, b.Frequency }).DoNothing())));
    ingested.Add(("macro_series", await context.BulkUpsertAsync(data.MacroReleases(series), c => c.On(o => new { o.SeriesId, o.ObservationDate, o.ReleaseTime }).DoNothing())));
    ingested.Add(("curves", await context.BulkUpsertAsync(data.Curves(), c => c.On(p => new { p.CurveId, p.CurveDate, p.TenorDays }).DoNothing())));
    ingested.Add(("flow_data", await context.BulkUpsertAsync(data.Flows(series), c => c.On(f => new { f.SeriesId, f.ObservationDate, f.FlowType }).DoNothing())));
    ingested.Add(("fiscal_data", await context.BulkUpsertAsync(data.Fiscal(series), c => c.On(f => new { f.SeriesId, f.ObservationDate, f.FiscalMetric }).DoNothing())));
    ingested.Add(("vol_surfaces", await context.BulkUpsertAsync(data.VolSurfaces(instruments), c => c.On(s => new { s.InstrumentId, s.SurfaceDate, s.Delta, s.TenorDays }).DoNothing())));
    ingested.Add(("signals", await context.BulkUpsertAsync(data.Signals(instruments, series), c => c.On(s => new { s.SignalType, s.SignalDate, s.InstrumentId, s.SeriesId }).DoNothing())));

    var ingestTime = clock.Elapsed;

    // After the backfill: everything older than its table's policy goes into the columnstore now, rather than one
    // chunk per policy run. Then the policies resume.
    var converted = new Dictionary<string, int>
    {
        ["market_data"] = (await context.Database.ConvertChunksToColumnstoreAsync<MarketData>(MacroTradingContext.MarketDataCompressAfter)).Count,
        ["macro_series"] = (await context.Database.ConvertChunksToColumnstoreAsync<MacroSeries>(MacroTradingContext.OtherDataCompressAfter)).Count,
        ["curves"] = (await context.Database.ConvertChunksToColumnstoreAsync<CurveData>(MacroTradingContext.OtherDataCompressAfter)).Count,
        ["flow_data"] = (await context.Database.ConvertChunksToColumnstoreAsync<FlowData>(MacroTradingContext.OtherDataCompressAfter)).Count,
        ["fiscal_data"] = (await context.Database.ConvertChunksToColumnstoreAsync<FiscalData>(MacroTradingContext.FiscalDataCompressAfter)).Count,
        ["vol_surfaces"] = (await context.Database.ConvertChunksToColumnstoreAsync<VolSurface>(MacroTradingContext.OtherDataCompressAfter)).Count,
        ["signals"] = (await context.Database.ConvertChunksToColumnstoreAsync<Signal>(MacroTradingContext.OtherDataCompressAfter)).Count,
    };
    foreach (var policy in policies)
    {
        await context.Database.Timescale().ResumeJobAsync(policy);
    }
    var stored = new Dictionary<string, long>
    {
        ["instruments"] = await context.Instruments.LongCountAsync(),
        ["data_sources"] = await context.DataSources.LongCountAsync(),
        ["series_metadata"] = await context.SeriesMetadata.LongCountAsync(),
        ["market_data"] = await context.MarketData.LongCountAsync(),
        ["macro_series"] = await context.MacroSeries.LongCountAsync(),
        ["curves"] = await context.Curves.LongCountAsync(),
        ["flow_data"] = await context.FlowData.LongCountAsync(),
        ["fiscal_data"] = await context.FiscalData.LongCountAsync(),
        ["vol_surfaces"] = await context.VolSurfaces.LongCountAsync(),
        ["signals"] = await context.Signals.LongCountAsync(),
    };
    var hypertables = await context.Database.SqlQuery<HypertableInfo>($"""
        SELECT d.hypertable_name AS table_name, d.time_interval AS chunk_interval,
               (SELECT count(*) FROM timescaledb_information.chunks c
                WHERE c.hypertable_schema = d.hypertable_schema AND c.hypertable_name = d.hypertable_name) AS chunks
        FROM timescaledb_information.dimensions d
        WHERE d.hypertable_schema = {MacroTradingContext.Schema} AND d.dimension_number = 1
        """).ToDictionaryAsync(h => h.TableName);

    var tables = new Table().Title("Tables in schema macro").Border(TableBorder.Rounded);
    tables.AddColumns("table", "chunk interval", "chunks", "new", "already there", "rows");
    foreach (var (name, result) in ingested)
    {
        hypertables.TryGetValue(name, out var hypertable);
        tables.AddRow(
            name,
            hypertable is null ? "(plain table)" : $"{hypertable.ChunkInterval.TotalDays:0} days",
            hypertable?.Chunks.ToString(CultureInfo.InvariantCulture) ?? "",
            result.Inserted.ToString("N0", CultureInfo.InvariantCulture),
            result.Skipped.ToString("N0", CultureInfo.InvariantCulture),
            stored[name].ToString("N0", CultureInfo.InvariantCulture));
    }

    AnsiConsole.Write(tables);

    // The columnstore as the catalog has it, read through the Hourglass library: settings, policy, chunks, ratio.
    var columnstore = (await context.Database.Timescale().GetHypertablesAsync([MacroTradingContext.Schema])).ToDictionary(h => h.Name);
    var jobs = new List<Job>();
    jobs.AddRange(await context.JobsAsync<MarketData>(JobKind.Columnstore));
    jobs.AddRange(await context.JobsAsync<MacroSeries>(JobKind.Columnstore));
    jobs.AddRange(await context.JobsAsync<CurveData>(JobKind.Columnstore));
    jobs.AddRange(await context.JobsAsync<FlowData>(JobKind.Columnstore));
    jobs.AddRange(await context.JobsAsync<FiscalData>(JobKind.Columnstore));
    jobs.AddRange(await context.JobsAsync<VolSurface>(JobKind.Columnstore));
    jobs.AddRange(await context.JobsAsync<Signal>(JobKind.Columnstore));
    Console.WriteLine("Columnstore, from the catalog:");
    foreach (var job in jobs.OrderBy(j => j.RelationName, StringComparer.Ordinal))
    {
        var hypertable = columnstore[job.RelationName!];
        var stats = hypertable.ColumnstoreStats;
        Console.WriteLine(FormattableString.Invariant(
            $"  {job.RelationName}: segmentby {hypertable.ColumnstoreSettings?.SegmentBy}, orderby {hypertable.ColumnstoreSettings?.OrderBy}, policy after {CompressAfter(job)}{(job.Scheduled ? "" : " (paused)")}; {converted[job.RelationName!]} chunks converted now, {stats?.ConvertedChunks ?? 0} of {hypertable.ChunkCount} in the columnstore, {Bytes(stats?.BeforeBytes)} -> {Bytes(stats?.AfterBytes)} ({stats?.Ratio:0.0}x)."));
    }

    var before = columnstore.Values.Sum(h => h.ColumnstoreStats?.BeforeBytes ?? 0);
    var after = columnstore.Values.Sum(h => h.ColumnstoreStats?.AfterBytes ?? 0);
    Console.WriteLine(FormattableString.Invariant($"Columnstore: {columnstore.Values.Sum(h => h.ColumnstoreStats?.ConvertedChunks ?? 0)} chunks, {Bytes(before)} before, {Bytes(after)} after ({(double)before / Math.Max(after, 1):0.0}x)."));

    // Verification 1: quarter-end closes (time_bucket through SqlQuery until LINQ hyperfunctions land). The snake_case
    // naming convention applies to SqlQuery results too, hence the snake_case column aliases.
    var closes = await context.Database.SqlQuery<QuarterlyClose>($"""
        SELECT time_bucket(INTERVAL '3 months', m.timestamp) AS quarter, i.ticker, last(m.close, m.timestamp) AS close
        FROM macro.market_data m JOIN macro.instruments i ON i.id = m.instrument_id
        WHERE m.frequency = '1d'
        GROUP BY 1, 2
        """).ToListAsync();
    var quarters = closes.Select(c => c.Quarter).Distinct().Order().ToList();
    var closeTable = new Table().Title("Quarter-end close (time_bucket + last)").Border(TableBorder.Rounded);
    closeTable.AddColumn("ticker");
    foreach (var quarter in quarters)
    {
        closeTable.AddColumn(new TableColumn($"{quarter.Year} Q{((quarter.Month - 1) / 3) + 1}").RightAligned());
    }

    var closeOf = closes.ToDictionary(c => (c.Ticker, c.Quarter), c => c.Close);
    foreach (var ticker in MarketHistory.Instruments.Select(i => i.Ticker))
    {
        closeTable.AddRow(quarters.Select(q => closeOf[(ticker, q)].ToString(closeOf[(ticker, q)] >= 10_000 ? "N0" : "N2", CultureInfo.InvariantCulture))
            .Prepend(ticker).ToArray());
    }

    AnsiConsole.Write(closeTable);

    // Verification 2: 2s10s slope of each curve on the last curve date (LINQ).
    var lastCurveDate = await context.Curves.MaxAsync(p => p.CurveDate);
    var slopes = await context.Curves
        .Where(p => p.CurveDate == lastCurveDate && (p.TenorDays == 730 || p.TenorDays == 3650))
        .GroupBy(p => p.CurveId)
        .Select(g => new { Curve = g.Key, TwoYear = g.Where(p => p.TenorDays == 730).Sum(p => p.Rate), TenYear = g.Where(p => p.TenorDays == 3650).Sum(p => p.Rate) })
        .OrderBy(s => s.Curve)
        .ToListAsync();
    foreach (var slope in slopes)
    {
        Console.WriteLine(FormattableString.Invariant($"Curve {slope.Curve} on {lastCurveDate:yyyy-MM-dd}: 2y {slope.TwoYear:0.00}%, 10y {slope.TenYear:0.00}%, 2s10s {(slope.TenYear - slope.TwoYear) * 100:0} bp."));
    }

    // Verification 3: point in time. What a backtest on 2025-04-20 could know about March payrolls, and what is known now.
    var payrolls = series["PAYEMS"];
    var march = new DateOnly(2025, 3, 1);
    var asOf = new DateTime(2025, 4, 20, 0, 0, 0, DateTimeKind.Utc);
    var knownThen = await context.MacroSeries
        .Where(o => o.SeriesId == payrolls && o.ObservationDate == march && o.ReleaseTime <= asOf)
        .OrderByDescending(o => o.ReleaseTime).Select(o => (double?)o.Value).FirstOrDefaultAsync();
    var knownNow = await context.MacroSeries
        .Where(o => o.SeriesId == payrolls && o.ObservationDate == march)
        .OrderByDescending(o => o.ReleaseTime).Select(o => (double?)o.Value).FirstOrDefaultAsync();
    var releases = await context.MacroSeries.CountAsync(o => o.SeriesId == payrolls && o.ObservationDate == march);
    Console.WriteLine(FormattableString.Invariant($"PAYEMS for 2025-03 as known on {asOf:yyyy-MM-dd}: {knownThen:N0}; latest of {releases} releases: {knownNow:N0}."));

    // Verification 4: market-wide signals (no instrument, no series) are deduplicated too, through NULLS NOT DISTINCT.
    var regimes = await context.Signals.CountAsync(s => s.SignalType == "risk_regime" && s.InstrumentId == null && s.SeriesId == null);
    Console.WriteLine($"Market-wide risk_regime signals: {regimes} (one per week).");

    var sent = ingested.Sum(i => i.Result.Total);
    var inserted = ingested.Sum(i => i.Result.Inserted);
    var skipped = ingested.Sum(i => i.Result.Skipped);
    Console.WriteLine(FormattableString.Invariant($"Ingested {sent:N0} rows into 10 tables ({hypertables.Count} hypertables, {hypertables.Values.Sum(h => h.Chunks)} chunks) in {ingestTime.TotalSeconds:0.0} s: {inserted:N0} new, {skipped:N0} already there."));
    Console.WriteLine(inserted == 0
        ? "Every row was already there: re-running the backfill changed nothing."
        : "Run it again: ON CONFLICT (natural key) DO NOTHING skips every row that is already stored.");
    var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
    Console.WriteLine($"Server: {builder.Host}:{builder.Port}, database {builder.Database}, schema {MacroTradingContext.Schema}.");
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

// The policy's argument, from the job's configuration (compress_after, as TimescaleDB stores it).
static string CompressAfter(Job job) =>
    JsonDocument.Parse(job.Config ?? "{}").RootElement.TryGetProperty("compress_after", out var after) ? after.ToString() : "?";

static string Bytes(long? bytes) => bytes is null ? "" : FormattableString.Invariant($"{bytes.Value / 1024.0:N0} kB");

/// <summary>A hypertable's time dimension and chunk count, from timescaledb_information.</summary>
internal sealed record HypertableInfo(string TableName, TimeSpan ChunkInterval, long Chunks);
