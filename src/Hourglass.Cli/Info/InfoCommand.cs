using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hourglass.Cli.Connection;
using Spectre.Console;

namespace Hourglass.Cli.Info;

/// <summary><c>hourglass info</c>: server, TimescaleDB, hypertables, continuous aggregates and jobs.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var json = new Option<bool>("--json") { Description = "Write JSON (the stable shape documented in docs/cli.md) instead of tables." };
        var schemas = SchemaOption();
        var command = new Command("info", "Show the server and TimescaleDB versions and license, hypertables (dimensions, chunks, sizes, columnstore ratio, rows), continuous aggregates (watermark) and jobs (schedule, last run, failures).")
        {
            json,
            schemas,
        };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var report = await InfoQuery.ReadAsync(db, result.GetValue(schemas) ?? [], cancellationToken);
            if (result.GetValue(json))
            {
                Console.Out.WriteLine(Secrets.Redact(JsonSerializer.Serialize(report, InfoJson.Readable.InfoReport)));
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]Connected to {Secrets.Redact(resolved.Describe())} (from {resolved.Source})[/]");
                Render(report, AnsiConsole.Console);
            }

            return 0;
        }));
        return command;
    }

    public static Option<string[]> SchemaOption() => new("--schema", "-s")
    {
        HelpName = "SCHEMA",
        Description = "Only hypertables, continuous aggregates and jobs in this schema (repeatable). Default: all schemas.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    internal static void Render(InfoReport report, IAnsiConsole console)
    {
        var s = report.Server;
        console.MarkupLineInterpolated($"[bold]PostgreSQL[/]  {s.Version} — database {s.Database} as {s.User}");
        var t = report.Timescaledb;
        if (!t.Installed)
        {
            console.MarkupLineInterpolated($"[bold]TimescaleDB[/] [yellow]not installed in this database[/]{(t.AvailableVersion is null ? " (and not available on the server)" : $" ({t.AvailableVersion} is available: CREATE EXTENSION timescaledb)")}");
            return;
        }

        console.MarkupLineInterpolated($"[bold]TimescaleDB[/] {t.Version} — license {t.License ?? "unknown"}");
        console.WriteLine();

        var hypertables = new Table().Title("Hypertables").Border(TableBorder.Rounded);
        foreach (var column in new[] { "Hypertable", "Dimensions", "Chunks", "Size", "Columnstore", "~Rows", "Oldest → newest chunk" })
        {
            hypertables.AddColumn(column);
        }

        foreach (var h in report.Hypertables)
        {
            hypertables.AddRow(
                Cell($"{h.Schema}.{h.Name}"),
                Cell(string.Join("\n", h.Dimensions.Select(d => d.Kind == "hash" ? $"{d.Column} hash {d.Partitions}" : $"{d.Column} every {d.Interval}"))),
                Cell(h.CompressedChunks > 0 ? $"{h.Chunks} ({h.CompressedChunks} compressed)" : h.Chunks.ToString(CultureInfo.InvariantCulture)),
                Cell(Bytes(h.TotalBytes)),
                Cell(!h.ColumnstoreEnabled ? "off" : h.AfterCompressionBytes is null ? "on, nothing converted"
                    : $"{Bytes(h.BeforeCompressionBytes ?? 0)} → {Bytes(h.AfterCompressionBytes.Value)}" + (h.ColumnstoreRatio is null ? "" : $"\n{h.ColumnstoreRatio.Value.ToString("0.0", CultureInfo.InvariantCulture)}x smaller")),
                h.ApproximateRows is not { } rows ? new Markup("[yellow]unknown, not analyzed[/]")
                    : h.RowsModifiedSinceAnalyze > 0 ? new Markup(Markup.Escape(rows.ToString("N0", CultureInfo.InvariantCulture)) + $"\n[yellow]stale: {h.RowsModifiedSinceAnalyze.ToString("N0", CultureInfo.InvariantCulture)} changed since ANALYZE[/]")
                    : Cell(rows.ToString("N0", CultureInfo.InvariantCulture)),
                Cell(Range(h.OldestChunk?.Start, h.NewestChunk?.End)));
        }

        WriteTable(console, hypertables, report.Hypertables.Count, "No hypertables.");
        WriteCharts(console, report.Hypertables);

        var aggregates = new Table().Title("Continuous aggregates").Border(TableBorder.Rounded);
        foreach (var column in new[] { "Aggregate", "On", "Materialized only", "Watermark (fresh up to)" })
        {
            aggregates.AddColumn(column);
        }

        foreach (var a in report.ContinuousAggregates)
        {
            aggregates.AddRow(Cell($"{a.Schema}.{a.Name}"), Cell($"{a.HypertableSchema}.{a.HypertableName}"), Cell(a.MaterializedOnly ? "yes" : "no"),
                a.Refreshed ? Cell(Short(a.Watermark)) : new Markup("[yellow]never refreshed[/]"));
        }

        WriteTable(console, aggregates, report.ContinuousAggregates.Count, "No continuous aggregates.");

        var jobs = new Table().Title("Jobs").Border(TableBorder.Rounded);
        foreach (var column in new[] { "Id", "Job", "On", "Schedule", "Last run", "Status", "Next start", "Runs", "Failed" })
        {
            jobs.AddColumn(column);
        }

        foreach (var j in report.Jobs)
        {
            jobs.AddRow(
                Cell(j.Id.ToString(CultureInfo.InvariantCulture)),
                Cell(j.Name.EndsWith($" [{j.Id}]", StringComparison.Ordinal) ? j.Name[..^($" [{j.Id}]".Length)] : j.Name),
                Cell(j.HypertableName is null ? j.Procedure : $"{j.HypertableSchema}.{j.HypertableName}"),
                Cell(j.Scheduled ? $"every {j.ScheduleInterval}" : "paused"),
                Cell(j.LastRunStartedAt is null ? "never" : Short(j.LastRunStartedAt)),
                j.LastRunStatus == "Failed" ? new Markup("[red]Failed[/]") : Cell(j.LastRunStatus ?? "-"),
                Cell(j.NextStart is null ? "-" : Short(j.NextStart)),
                Cell(j.TotalRuns.ToString(CultureInfo.InvariantCulture)),
                j.TotalFailures > 0 ? new Markup($"[red]{j.TotalFailures}[/]") : Cell("0"));
        }

        WriteTable(console, jobs, report.Jobs.Count, "No jobs.");
    }

    /// <summary>
    /// Where a picture reads better than a table: the columnstore ratio per hypertable, and each hypertable's chunk
    /// sizes over time (its newest 12 ranges). The --json output carries the same numbers (columnstoreRatio, chunkSizes).
    /// </summary>
    private static void WriteCharts(IAnsiConsole console, IReadOnlyList<HypertableInfo> hypertables)
    {
        var converted = hypertables.Where(h => h.ColumnstoreRatio is not null).ToList();
        if (converted.Count > 0)
        {
            var ratio = new BarChart().Label("[bold]Columnstore ratio (bytes before ÷ after)[/]").Width(Math.Min(100, console.Profile.Width));
            foreach (var h in converted)
            {
                ratio.AddItem(Markup.Escape($"{h.Schema}.{h.Name}"), h.ColumnstoreRatio!.Value, Color.Green);
            }

            console.Write(ratio);
            console.WriteLine();
        }

        foreach (var h in hypertables.Where(h => h.ChunkSizes.Count >= 2))
        {
            var sizes = h.ChunkSizes.TakeLast(12).ToList();
            var (divisor, unit) = sizes.Max(c => c.Bytes) switch
            {
                >= 1L << 30 => (1024d * 1024 * 1024, "GB"),
                >= 1L << 20 => (1024d * 1024, "MB"),
                _ => (1024d, "kB"),
            };
            var chart = new BarChart().Label(Markup.Escape($"Chunk sizes of {h.Schema}.{h.Name} ({unit}; green = columnstore)")).Width(Math.Min(100, console.Profile.Width));
            foreach (var c in sizes)
            {
                chart.AddItem(Markup.Escape(Short(c.Start)), Math.Round(c.Bytes / divisor, 1), c.Columnstore ? Color.Green : Color.Blue);
            }

            console.Write(chart);
            console.WriteLine();
        }
    }

    private static void WriteTable(IAnsiConsole console, Table table, int rows, string empty)
    {
        if (rows == 0)
        {
            console.MarkupLineInterpolated($"[bold]{table.Title?.Text}[/]: {empty}");
        }
        else
        {
            console.Write(table);
        }

        console.WriteLine();
    }

    private static Text Cell(string text) => new(Secrets.Redact(text));

    private static string Range(string? start, string? end) => start is null && end is null ? "-" : $"{Short(start)} → {Short(end)}";

    /// <summary>On screen, 2026-11-18T00:00:00Z reads 2026-11-18 and 2026-11-23T07:13:45Z reads 2026-11-23 07:13; the JSON keeps the full form.</summary>
    private static string Short(string? iso) => iso switch
    {
        null => "?",
        _ when iso.Length == 20 && iso.EndsWith("T00:00:00Z", StringComparison.Ordinal) => iso[..10],
        _ when iso.Length == 20 && iso[10] == 'T' => iso[..16].Replace('T', ' '),
        _ => iso,
    };

    internal static string Bytes(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
