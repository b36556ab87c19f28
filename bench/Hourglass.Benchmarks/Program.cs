using System.Globalization;
using System.Runtime.InteropServices;
using Hourglass.Benchmarks;
using Hourglass.Embedded;
using Hourglass.Testing;
using Npgsql;

// Usage: dotnet run -c Release --project bench/Hourglass.Benchmarks -- [--rows 1000000] [--savechanges-rows N]
//        [--embedded-rows N] [--stream-rows 10000000] [--rounds 2] [--ef-batch 1000]
//        [--servers postgres,embedded,external]
var rows = Argument("--rows", 1_000_000);
var saveChangesRows = Argument("--savechanges-rows", rows);
var embeddedRows = Argument("--embedded-rows", rows);
var streamRows = Argument("--stream-rows", 10_000_000);
var rounds = (int)Argument("--rounds", 2);
var efBatch = (int)Argument("--ef-batch", 1000);
var external = Environment.GetEnvironmentVariable("HOURGLASS_TEST_CONNECTION");
var servers = ArgumentText("--servers", string.IsNullOrWhiteSpace(external) ? "postgres,embedded" : "postgres,embedded,external").Split(',');

Console.WriteLine($"# Bulk ingest benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; seed 003 metric rows (time, device_id, metric_type, value, unit, tags jsonb).");
Console.WriteLine();

foreach (var server in servers)
{
    switch (server.Trim())
    {
        case "postgres":
        {
            BenchContext.MaxBatchSize = efBatch;
            var database = await (await TestServers.Postgres).CreateDatabaseAsync("bench");
            await RunAsync("native PostgreSQL 15 (plain table)", database.ConnectionString, hypertable: false, rows, Math.Min(saveChangesRows, rows), streamRows, rounds);
            await database.DisposeAsync();
            break;
        }

        case "embedded":
        {
            BenchContext.MaxBatchSize = efBatch;

            // The test harness's embedded server when HOURGLASS_TEST_CONNECTION is unset; else one started here.
            EmbeddedTimescale? own = null;
            string connectionString;
            string description;
            if (TestServers.UsingExternalTimescale)
            {
                own = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { LockTimeout = TimeSpan.FromMinutes(30) });
                connectionString = await SchemaAsync(own.ConnectionString);
                description = $"embedded TimescaleDB {own.TimescaleDbVersion} (PostgreSQL {own.ServerVersion}, hypertable)";
            }
            else
            {
                var database = await (await TestServers.Timescale).CreateDatabaseAsync("bench");
                connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = 3600 }.ConnectionString;
                description = $"{database.Server.Description} (hypertable)";
            }

            await RunAsync(description, connectionString, hypertable: true, embeddedRows, Math.Min(saveChangesRows, embeddedRows), streamRows: 0, rounds);
            if (own is not null)
            {
                await own.DisposeAsync();
            }

            break;
        }

        case "external" when !string.IsNullOrWhiteSpace(external):
            BenchContext.MaxBatchSize = efBatch;
            await RunAsync("HOURGLASS_TEST_CONNECTION (hypertable)", await SchemaAsync(external), hypertable: true, rows, Math.Min(saveChangesRows, rows), streamRows: 0, rounds);
            break;

        default:
            Console.WriteLine($"Unknown or unavailable server '{server}'.");
            break;
    }
}

static async Task RunAsync(string name, string connectionString, bool hypertable, long rows, long saveChangesRows, long streamRows, int rounds)
{
    Console.WriteLine($"## {name}");
    Console.WriteLine($"Best of {rounds} interleaved rounds after a discarded warm-up; EF batch size {BenchContext.MaxBatchSize}; load average at start {LoadAverage()}.");
    var benchmark = new BulkIngestBenchmark(connectionString, hypertable);
    var results = await benchmark.RunAsync(rows, saveChangesRows, rounds, line => Console.Error.WriteLine(line));
    var raw = results.Single(r => r.Path.StartsWith("raw", StringComparison.Ordinal)).RowsPerSecond;
    var saveChanges = results.Single(r => r.Path.StartsWith("EF", StringComparison.Ordinal)).RowsPerSecond;
    Console.WriteLine();
    Console.WriteLine("| path | rows | seconds | rows/s | × raw COPY | × SaveChanges |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (var r in results)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Path} | {r.Rows:N0} | {r.Elapsed.TotalSeconds:F2} | {r.RowsPerSecond:N0} | {r.RowsPerSecond / raw:F2} | {r.RowsPerSecond / saveChanges:F1} |"));
    }

    double Rate(string prefix) => results.Single(r => r.Path.StartsWith(prefix, StringComparison.Ordinal)).RowsPerSecond;
    Console.WriteLine();
    Target("BulkInsert / raw COPY", Rate("BulkInsertAsync") / raw, 0.9);
    Target("BulkInsert / SaveChanges", Rate("BulkInsertAsync") / saveChanges, 30);
    Target("BulkUpsert all new / raw COPY", Rate("BulkUpsertAsync, all new") / raw, 0.4);
    Target("BulkUpsert all duplicates, unchanged (DO UPDATE) / raw COPY", Rate(BulkIngestBenchmark.UnchangedPath) / raw, 0.4);
    Target("BulkUpsert all duplicates (DO NOTHING) / raw COPY", Rate(BulkIngestBenchmark.DoNothingPath) / raw, 0.4);
    Target("BulkUpsert all duplicates, every value changed (DO UPDATE) / raw COPY", Rate(BulkIngestBenchmark.ChangedPath) / raw, 0.4);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  - the same against a hand-written staging COPY + ON CONFLICT DO UPDATE (the server's floor for rewriting every row): {Rate(BulkIngestBenchmark.ChangedPath) / Rate(BulkIngestBenchmark.HandWrittenChangedPath):F2}×; the hand-written statement itself reaches {Rate(BulkIngestBenchmark.HandWrittenChangedPath) / raw:F2}× raw COPY"));
    if (streamRows > 0)
    {
        var (streamed, growth, elapsed) = await benchmark.StreamAsync(streamRows);
        var megabytes = growth / 1024.0 / 1024.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- Streaming {streamed:N0} rows through BulkInsertAsync ({streamed / elapsed.TotalSeconds:N0} rows/s): working set grew {megabytes:F0} MB (target < 100 MB): {(megabytes < 100 ? "met" : "MISSED")}"));
    }

    Console.WriteLine();
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static void Target(string name, double ratio, double target) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- {name}: {ratio:F2}× (target ≥ {target}×): {(ratio >= target ? "met" : "MISSED")}"));

static async Task<string> SchemaAsync(string connectionString)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("CREATE SCHEMA IF NOT EXISTS hourglass_bench", connection);
    await command.ExecuteNonQueryAsync();
    return new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = "hourglass_bench,public", CommandTimeout = 3600 }.ConnectionString;
}

long Argument(string name, long fallback) => ArgumentText(name, null) is { } text ? long.Parse(text.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : fallback;

string ArgumentText(string name, string? fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback!;
}
