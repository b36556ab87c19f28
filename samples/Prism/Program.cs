// Prism (seed 002): time series behind an ASP.NET Core minimal API. DataPoint is a hypertable (1-week chunks,
// columnstore after 1 month segmented by source, retention 1 year, a (source, timestamp) index), declared in
// PrismContext.cs and created by a generated migration. On PostgreSQL without TimescaleDB the same app serves the same
// endpoints with the same answers: the migration degrades to a plain table, and Hourglass translates the aggregate
// query's EF.Functions.TimeBucket to date_bin.
//
//   dotnet run --project samples/Prism                                   # embedded TimescaleDB, temporary data
//   ConnectionStrings__Prism="Host=...;..." dotnet run --project samples/Prism   # your own server, TimescaleDB or not
//
//   GET /api/datapoints?start=...&end=...&source=electricity_price&limit=100
//   GET /api/datapoints/aggregate?bucket=1 hour&start=...&end=...&source=...&aggs=avg,min,max,count
//   GET /api/datapoints/latest?source=electricity_price
//   GET /health        GET /openapi/v1.json
using Hourglass;
using Hourglass.Embedded;
using Hourglass.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Prism;

var builder = WebApplication.CreateBuilder(args);

// No connection string configured: the embedded TimescaleDB, started here and stopped with the app.
var connectionString = builder.Configuration.GetConnectionString("Prism") ?? Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION");
EmbeddedTimescale? embedded = null;
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.WriteLine("Starting the embedded TimescaleDB (first run installs it)...");
    embedded = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { DataDirectory = builder.Configuration["data"] });
    connectionString = embedded.ConnectionString;
}

// The schema first (the generated migration; on plain PostgreSQL it degrades to a plain table), then the sample data.
await using (var db = PrismContext.Create(connectionString))
{
    await db.Database.MigrateAsync();
    if (builder.Configuration.GetValue("Prism:SampleData", true))
    {
        var inserted = await SampleData.LoadAsync(db);
        Console.WriteLine($"Sample data: {inserted.Inserted} new data points ({SampleData.Sources.Count} sources, 4 weeks hourly).");
    }
}

// What the database can do decides whether the health check requires TimescaleDB and its scheduler. Read once, through
// the Hourglass library. (The queries need no such choice: Hourglass translates them for the server.)
TimescaleServer server;
await using (var dataSource = NpgsqlDataSource.Create(connectionString))
{
    server = await dataSource.Timescale().GetServerAsync();
}

builder.Services.AddDbContextPool<PrismContext>(options => PrismContext.Configure(options, connectionString));
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddHealthChecks().AddTimescaleDb(connectionString, options =>
{
    options.RequireTimescale = server.IsInstalled;
    options.ExpectScheduler = server.IsInstalled && embedded is null;
});

var app = builder.Build();
app.Lifetime.ApplicationStopped.Register(() => embedded?.DisposeAsync().AsTask().GetAwaiter().GetResult());

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapOpenApi();
app.MapHealthChecks("/health");
app.MapDataPoints();
app.Logger.LogInformation("{Server}", server.IsInstalled
    ? $"PostgreSQL {server.PostgresVersion}, TimescaleDB {server.TimescaleVersionText}"
    : $"PostgreSQL {server.PostgresVersion} without TimescaleDB: plain table, queries translated to plain PostgreSQL (date_bin for time_bucket)");
await app.RunAsync();

/// <summary>The app's entry point, public for WebApplicationFactory.</summary>
public partial class Program;
