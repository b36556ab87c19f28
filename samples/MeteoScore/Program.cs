// MeteoScore: scoring weather forecasts at a paragliding site, storing only the deviations. Sites, models and parameters
// in plain tables, the deviations hypertable keyed by (timestamp, site, model, parameter, horizon) with 7-day chunks,
// all from one generated migration; a seeded-random season of forecasts of two models at four horizons, ingested with
// BulkUpsertAsync(... OnPrimaryKey().DoNothing()); then forecast accuracy per model, horizon and week.
//
//   dotnet run --project samples/MeteoScore                 # embedded TimescaleDB, temporary data
//   dotnet run --project samples/MeteoScore -- --data DIR   # embedded, kept in DIR (run it twice: nothing is duplicated)
//   HOURGLASS_CONNECTION="Host=...;..." dotnet run --project samples/MeteoScore   # your own server (schema "meteo")
using System.Diagnostics;
using System.Globalization;
using Hourglass.Embedded;
using MeteoScore;
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
    await using var context = MeteoScoreContext.Create(connectionString);

    // Migrations/ was written by `dotnet ef migrations add Initial`: four tables, the seed's three indexes, migrationBuilder.CreateHypertable(...).
    await context.Database.MigrateAsync();

    // The seed's reference data, idempotent on the unique names; the generated ids are read back by name.
    await context.BulkUpsertAsync(new[] { ForecastHistory.Site }, c => c.On(s => s.Name).DoNothing());
    await context.BulkUpsertAsync(ForecastHistory.Models, c => c.On(m => m.Name).DoNothing());
    await context.BulkUpsertAsync(ForecastHistory.Parameters, c => c.On(p => p.Name).DoNothing());
    var siteId = await context.Sites.Where(s => s.Name == ForecastHistory.Site.Name).Select(s => s.Id).SingleAsync();
    var models = await context.Models.ToDictionaryAsync(m => m.Name, m => m.Id);
    var parameters = await context.Parameters.ToDictionaryAsync(p => p.Name, p => p.Id);

    var history = new ForecastHistory(new DateTime(2025, 4, 1, 0, 0, 0, DateTimeKind.Utc), days: 91, seed: 1360);
    var clock = Stopwatch.StartNew();
    var result = await context.BulkUpsertAsync(history.Deviations(siteId, models, parameters), c => c.OnPrimaryKey().DoNothing());
    var ingestTime = clock.Elapsed;

    // The seed's check that foreign keys work: a deviation of a site that does not exist is refused.
    string foreignKey;
    await using (var transaction = await context.Database.BeginTransactionAsync())
    {
        try
        {
            await context.BulkInsertAsync(new[] { new Deviation { Timestamp = history.Start, SiteId = -1, ModelId = models["AROME"], ParameterId = parameters["Temperature"], Horizon = 6 } });
            foreignKey = "NOT refused";
        }
        catch (Exception ex) when (ex.GetBaseException() is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation })
        {
            // The constraint is reported by the chunk's copy of fk_deviations_sites_site_id, hence no name here.
            foreignKey = "refused (foreign key violation, SQLSTATE 23503)";
        }

        await transaction.RollbackAsync();
    }

    // Accuracy per model, parameter and horizon: mean absolute error and bias, in LINQ.
    var scores = await context.Deviations
        .GroupBy(d => new { d.ModelId, d.ParameterId, d.Horizon })
        .Select(g => new { g.Key.ModelId, g.Key.ParameterId, g.Key.Horizon, Mae = g.Average(d => Math.Abs(d.Value)), Bias = g.Average(d => d.Value) })
        .ToListAsync();
    var accuracy = new Table().Title("Mean absolute error by forecast horizon").Border(TableBorder.Rounded);
    accuracy.AddColumns("model", "unit");
    foreach (var horizon in ForecastHistory.Horizons)
    {
        accuracy.AddColumn(new TableColumn($"{horizon} h").RightAligned());
    }

    accuracy.AddColumn(new TableColumn("bias").RightAligned());
    foreach (var model in ForecastHistory.Models)
    {
        foreach (var parameter in ForecastHistory.Parameters)
        {
            var rows = scores.Where(s => s.ModelId == models[model.Name] && s.ParameterId == parameters[parameter.Name]).ToDictionary(s => s.Horizon);
            accuracy.AddRow(ForecastHistory.Horizons.Select(h => rows[h].Mae.ToString("0.00", CultureInfo.InvariantCulture))
                .Prepend(parameter.Unit).Prepend(model.Name)
                .Append(rows.Values.Average(r => r.Bias).ToString("+0.00;-0.00", CultureInfo.InvariantCulture)).ToArray());
        }
    }

    AnsiConsole.Write(accuracy);

    // Weekly wind speed error per model at 24 h: time_bucket through SqlQuery until LINQ hyperfunctions land
    // (snake_case aliases: the naming convention applies to SqlQuery results too).
    var weekly = await context.Database.SqlQuery<WeeklyError>($"""
        SELECT time_bucket(INTERVAL '7 days', d.timestamp) AS week, m.name AS model, avg(abs(d.deviation)) AS mae
        FROM meteo.deviations d JOIN meteo.models m ON m.id = d.model_id JOIN meteo.parameters p ON p.id = d.parameter_id
        WHERE p.name = 'Wind Speed' AND d.horizon = 24
        GROUP BY 1, 2
        """).ToListAsync();
    var weeks = new Table().Title("Wind speed MAE (km/h) at 24 h, per week").Border(TableBorder.Rounded);
    weeks.AddColumn("week");
    foreach (var model in ForecastHistory.Models)
    {
        weeks.AddColumn(new TableColumn(model.Name).RightAligned());
    }

    var mae = weekly.ToDictionary(w => (w.Week, w.Model), w => w.Mae);
    foreach (var week in weekly.Select(w => w.Week).Distinct().Order())
    {
        weeks.AddRow(ForecastHistory.Models.Select(m => mae[(week, m.Name)].ToString("0.00", CultureInfo.InvariantCulture))
            .Prepend(week.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray());
    }

    AnsiConsole.Write(weeks);

    // The seed's structural checks: hypertable and chunk interval, its three indexes, the reference data.
    var hypertable = await context.Database.SqlQuery<HypertableInfo>($"""
        SELECT d.time_interval AS chunk_interval,
               (SELECT count(*) FROM timescaledb_information.chunks c
                WHERE c.hypertable_schema = d.hypertable_schema AND c.hypertable_name = d.hypertable_name) AS chunks
        FROM timescaledb_information.dimensions d
        WHERE d.hypertable_schema = {MeteoScoreContext.Schema} AND d.hypertable_name = 'deviations'
        """).SingleAsync();
    var indexes = await context.Database.SqlQuery<string>($"""
        SELECT indexname AS "Value" FROM pg_indexes WHERE schemaname = {MeteoScoreContext.Schema} AND tablename = 'deviations' ORDER BY 1
        """).ToListAsync();
    var stored = await context.Deviations.LongCountAsync();

    Console.WriteLine($"Reference data: {await context.Sites.CountAsync()} site, {await context.Models.CountAsync()} models, {await context.Parameters.CountAsync()} parameters.");
    Console.WriteLine($"Indexes on deviations: {string.Join(", ", indexes)}.");
    Console.WriteLine($"A deviation of an unknown site: {foreignKey}.");
    Console.WriteLine(FormattableString.Invariant($"Ingested {result.Total:N0} deviations into hypertable meteo.deviations ({hypertable.Chunks} chunks of {hypertable.ChunkInterval.TotalDays:0} days) in {ingestTime.TotalSeconds:0.0} s: {result.Inserted:N0} new, {result.Skipped:N0} already there."));
    Console.WriteLine(FormattableString.Invariant($"deviations holds {stored:N0} rows."));
    Console.WriteLine(result.Inserted == 0
        ? "Every deviation was already there: re-running the ingest changed nothing."
        : "Run it again: ON CONFLICT (primary key) DO NOTHING skips every deviation that is already stored.");
    var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
    Console.WriteLine($"Server: {builder.Host}:{builder.Port}, database {builder.Database}, schema {MeteoScoreContext.Schema}.");
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

/// <summary>The deviations hypertable's time dimension and chunk count, from timescaledb_information.</summary>
internal sealed record HypertableInfo(TimeSpan ChunkInterval, long Chunks);
