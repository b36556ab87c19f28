// Start-up time of the embedded TimescaleDB (installed, temporary data) until the first query answers,
// against a baseline measured in the same run: the native engine (PostgreSQL without TimescaleDB) restarted on an existing
// data directory until its first query answers. Target: embedded start <= 3 s.
//
//   dotnet run -c Release --project bench/EmbeddedStartup [-- --runs N]
using System.Diagnostics;
using System.Globalization;
using Hourglass.Embedded;
using Hourglass.Testing;
using Npgsql;
using Spectre.Console;

var runsIndex = Array.IndexOf(args, "--runs");
var runs = runsIndex >= 0 ? int.Parse(args[runsIndex + 1], CultureInfo.InvariantCulture) : 5;

// Warm-up: installs the engine on first use, outside the measurement.
await (await EmbeddedTimescale.StartAsync()).DisposeAsync();

var embedded = new List<double>();
for (var i = 0; i < runs; i++)
{
    var clock = Stopwatch.StartNew();
    await using var server = await EmbeddedTimescale.StartAsync();
    await FirstQueryAsync(server.ConnectionString);
    embedded.Add(clock.Elapsed.TotalSeconds);
}

var native = await NativeRestartTimes.MeasureAsync(runs);

var embeddedMedian = Median(embedded);
var nativeMedian = Median(native);
var table = new Table().AddColumns("server", "median start (s)", "min", "max", "runs");
table.AddRow("embedded TimescaleDB (temporary data)", F(embeddedMedian), F(embedded.Min()), F(embedded.Max()), runs.ToString(CultureInfo.InvariantCulture));
table.AddRow("native PostgreSQL 15 (baseline)", F(nativeMedian), F(native.Min()), F(native.Max()), runs.ToString(CultureInfo.InvariantCulture));
AnsiConsole.Write(table);
Console.WriteLine($"ratio embedded / native: {embeddedMedian / nativeMedian:0.0}x");
Console.WriteLine($"target embedded start <= 3 s: {(embeddedMedian <= 3 ? "met" : "NOT met")} ({F(embeddedMedian)} s)");
return embeddedMedian <= 3 ? 0 : 1;

static string F(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture);

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static async Task FirstQueryAsync(string connectionString)
{
    await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT 1", connection);
    await command.ExecuteScalarAsync();
}

internal static class NativeRestartTimes
{
    // The baseline: the same native engine restarted on a data directory it created before, so initdb is not timed.
    public static async Task<List<double>> MeasureAsync(int runs)
    {
        var data = Path.Combine(Path.GetTempPath(), $"hourglass-bench-{Environment.ProcessId}");
        var options = new EmbeddedTimescaleOptions
        {
            Engine = EmbeddedEngine.Native,
            NativeHome = NativePostgresServer.LocateBinDirectory(),
            WithoutTimescale = true,
            DataDirectory = data,
        };
        await (await EmbeddedTimescale.StartAsync(options)).DisposeAsync();
        var times = new List<double>();
        try
        {
            for (var i = 0; i < runs; i++)
            {
                var clock = Stopwatch.StartNew();
                await using var server = await EmbeddedTimescale.StartAsync(options);
                await using var connection = new NpgsqlConnection(server.ConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync();
                times.Add(clock.Elapsed.TotalSeconds);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }

        return times;
    }
}
