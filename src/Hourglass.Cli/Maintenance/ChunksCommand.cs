using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hourglass.Cli.Connection;
using Hourglass.Cli.Info;
using Spectre.Console;

namespace Hourglass.Cli.Maintenance;

/// <summary><c>hourglass chunks TABLE</c>: list chunks, convert them to or from the columnstore, move them to a tablespace, or drop them.</summary>
internal static class ChunksCommand
{
    private static readonly string[] s_columns = ["Chunk", "Range", "Size", "Columnstore", "Tablespace", "Created"];

    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var table = new Argument<string>("TABLE") { Description = "The hypertable: schema.name or name (found through the search path), as written." };
        var compress = new Option<bool>("--compress") { Description = "Convert the selected rowstore chunks to the columnstore (convert_to_columnstore; compress_chunk before 2.18), one at a time." };
        var decompress = new Option<bool>("--decompress") { Description = "Convert the selected columnstore chunks back to the rowstore." };
        var drop = new Option<bool>("--drop") { Description = "Drop the selected chunks and their rows (drop_chunks). Needs a bound and confirmation (--yes)." };
        var moveTo = new Option<string?>("--move-to") { Description = "Move the selected chunks and their indexes to this tablespace (move_chunk, which also reorders them by an index). Needs a bound and confirmation (--yes); chunks already there are skipped." };
        var reorderIndex = new Option<string?>("--reorder-index") { Description = "With --move-to: the hypertable's index to order moved rowstore chunks by (default: its clustered index, else its time index)." };
        var olderThan = new Option<string?>("--older-than") { Description = "Chunks whose range ends before now minus this age (7d, 12h, 1y), before a date (2026-11-01, UTC), or an integer." };
        var newerThan = new Option<string?>("--newer-than") { Description = "Chunks whose range starts at or after now minus this age, a date, or an integer." };
        var createdBefore = new Option<string?>("--created-before") { Description = "Chunks created before now minus this age, or a date (TimescaleDB 2.13+)." };
        var createdAfter = new Option<string?>("--created-after") { Description = "Chunks created after now minus this age, or a date (TimescaleDB 2.13+)." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm a destructive action without asking (for scripts)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only print what would be done." };
        var json = new Option<bool>("--json") { Description = "Write JSON (docs/cli.md) instead of tables." };
        var command = new Command("chunks", "List the chunks of a hypertable (range, size, columnstore state, tablespace), or compress, decompress, move or drop those an age or date selects.")
        {
            table, compress, decompress, drop, moveTo, reorderIndex, olderThan, newerThan, createdBefore, createdAfter, yes, dryRun, json,
        };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var destination = result.GetValue(moveTo);
            var actions = new[] { (result.GetValue(compress), "compress"), (result.GetValue(decompress), "decompress"), (result.GetValue(drop), "drop"), (destination is not null, "move") }.Where(a => a.Item1).Select(a => a.Item2).ToList();
            if (actions.Count > 1)
            {
                throw new CliException($"Choose one of --compress, --decompress, --move-to and --drop (got --{string.Join(" and --", actions.Select(a => a == "move" ? "move-to" : a))}).");
            }

            if (destination is not null && string.IsNullOrWhiteSpace(destination))
            {
                throw new CliException("--move-to needs a tablespace name.");
            }

            if (result.GetValue(reorderIndex) is not null && destination is null)
            {
                throw new CliException("--reorder-index only applies with --move-to.");
            }

            var action = actions.Count == 0 ? "list" : actions[0];
            var filter = new ChunkFilter
            {
                OlderThan = MaintenanceArguments.ParseBound(result.GetValue(olderThan), "--older-than"),
                NewerThan = MaintenanceArguments.ParseBound(result.GetValue(newerThan), "--newer-than"),
                CreatedBefore = MaintenanceArguments.ParseBound(result.GetValue(createdBefore), "--created-before"),
                CreatedAfter = MaintenanceArguments.ParseBound(result.GetValue(createdAfter), "--created-after"),
            };
            if (action == "drop" && filter.IsEmpty)
            {
                throw new CliException("--drop needs --older-than, --newer-than, --created-before or --created-after: it never drops every chunk.");
            }

            if (action == "move" && filter.IsEmpty)
            {
                throw new CliException("--move-to needs --older-than, --newer-than, --created-before or --created-after: it never moves every chunk (the newest takes the inserts, and a move blocks writes to a chunk while it copies it).");
            }

            var asJson = result.GetValue(json);
            var isDryRun = result.GetValue(dryRun);
            var name = result.GetValue(table)!;
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var client = db.Timescale();
            var selected = await client.GetChunksAsync(name, filter, cancellationToken);
            var hypertable = selected.Count > 0 ? $"{selected[0].HypertableSchema}.{selected[0].HypertableName}" : name;
            var targets = action switch
            {
                "compress" => selected.Where(c => !c.IsColumnstore).ToList(),
                "decompress" => selected.Where(c => c.IsColumnstore).ToList(),
                "move" => selected.Where(c => !string.Equals(c.Tablespace, destination, StringComparison.Ordinal)).ToList(),
                _ => selected.ToList(),
            };

            if (!asJson)
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]Connected to {Secrets.Redact(resolved.Describe())} (from {resolved.Source})[/]");
            }

            IReadOnlyList<string> done = [];
            // A move runs even with nothing to move, so that a missing tablespace or an edition without move_chunk is reported.
            if (action != "list" && !isDryRun && (targets.Count > 0 || action == "move"))
            {
                done = action switch
                {
                    "drop" => await DropAsync(client, name, filter, targets, result.GetValue(yes), cancellationToken),
                    "move" => await MoveAsync(client, name, filter, destination!, result.GetValue(reorderIndex), targets, result.GetValue(yes), asJson, cancellationToken),
                    _ => await ConvertAsync(client, name, filter, action == "compress", targets.Count, asJson, cancellationToken),
                };
            }

            if (asJson)
            {
                var output = new ChunksOutput(hypertable, action, isDryRun, targets.Select(Line).ToList(), done, destination);
                Console.Out.WriteLine(Secrets.Redact(JsonSerializer.Serialize(output, MaintenanceJson.Readable.ChunksOutput)));
                return 0;
            }

            var verb = action switch { "compress" => "convert to the columnstore", "decompress" => "convert to the rowstore", "drop" => "drop", "move" => $"move to tablespace {destination}", _ => "" };
            if (action == "list")
            {
                Render(targets, hypertable);
            }
            else if (targets.Count == 0)
            {
                AnsiConsole.MarkupLineInterpolated($"No chunk of {hypertable} to {verb}{(filter.IsEmpty ? "" : " with these bounds")}{(action == "move" && selected.Count > 0 ? $" ({selected.Count} selected, all already there)" : "")}.");
            }
            else if (isDryRun)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Dry run[/]: would {(action == "move" ? "move" : verb)} {targets.Count} chunk(s) of {hypertable}{(action == "move" ? $" to tablespace {destination}" : "")}:");
                Render(targets, hypertable);
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"Done: {action switch { "drop" => "dropped", "move" => "moved", _ => "converted" }} {done.Count} chunk(s) of {hypertable}{(action == "move" ? $" to tablespace {destination}" : "")}.");
                if (action == "compress")
                {
                    var stats = (await client.GetHypertableAsync(hypertable, cancellationToken)).ColumnstoreStats;
                    if (stats?.Ratio is { } ratio)
                    {
                        AnsiConsole.MarkupLineInterpolated($"Columnstore now: {stats.ConvertedChunks} of {stats.TotalChunks} chunks, {InfoCommand.Bytes(stats.BeforeBytes ?? 0)} → {InfoCommand.Bytes(stats.AfterBytes ?? 0)} ({ratio.ToString("0.0", CultureInfo.InvariantCulture)}x smaller).");
                    }
                }
            }

            return 0;
        }));
        return command;
    }

    private static async Task<IReadOnlyList<string>> DropAsync(TimescaleClient client, string name, ChunkFilter filter, List<Chunk> targets, bool yes, CancellationToken cancellationToken)
    {
        MaintenanceArguments.Confirm(yes, $"Drop {targets.Count} chunk(s) of {targets[0].HypertableSchema}.{targets[0].HypertableName} and every row in them ({InfoCommand.Bytes(targets.Sum(c => c.Size.TotalBytes))})?");
        return await client.DropChunksAsync(name, filter, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> MoveAsync(TimescaleClient client, string name, ChunkFilter filter, string tablespace, string? reorderIndex, List<Chunk> targets, bool yes, bool quiet, CancellationToken cancellationToken)
    {
        if (targets.Count == 0)
        {
            return await client.MoveChunksAsync(name, tablespace, filter, reorderIndex, cancellationToken: cancellationToken);
        }

        MaintenanceArguments.Confirm(yes, $"Move {targets.Count} chunk(s) of {targets[0].HypertableSchema}.{targets[0].HypertableName} ({InfoCommand.Bytes(targets.Sum(c => c.Size.TotalBytes))}) to tablespace {tablespace}? Each chunk is rewritten, and writes to it wait while it is copied.");
        return await WithProgressAsync(
            progress => client.MoveChunksAsync(name, tablespace, filter, reorderIndex, progress: progress, cancellationToken: cancellationToken),
            $"Moving to tablespace {tablespace}",
            targets.Count,
            quiet);
    }

    private static Task<IReadOnlyList<string>> ConvertAsync(TimescaleClient client, string name, ChunkFilter filter, bool toColumnstore, int count, bool quiet, CancellationToken cancellationToken) =>
        WithProgressAsync(
            progress => toColumnstore
                ? client.ConvertChunksToColumnstoreAsync(name, filter, progress, cancellationToken)
                : client.ConvertChunksToRowstoreAsync(name, filter, progress, cancellationToken),
            toColumnstore ? "Converting to the columnstore" : "Converting to the rowstore",
            count,
            quiet);

    /// <summary>A progress bar on a terminal; one line per chunk when piped (a CI log keeps a readable record).</summary>
    private static async Task<IReadOnlyList<string>> WithProgressAsync(Func<IProgress<ChunkProgress>?, Task<IReadOnlyList<string>>> run, string description, int count, bool quiet)
    {
        if (quiet)
        {
            return await run(null);
        }

        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await run(new LineProgress());
        }

        IReadOnlyList<string> done = [];
        await AnsiConsole.Progress().StartAsync(async context =>
        {
            var task = context.AddTask(Markup.Escape(description), maxValue: count);
            done = await run(new BarProgress(task));
        });
        return done;
    }

    private static ChunkLine Line(Chunk c) => new(
        c.QualifiedName,
        $"{c.HypertableSchema}.{c.HypertableName}",
        c.RangeStart is { } s ? InfoQuery.Iso(s) : c.RangeStartInteger?.ToString(CultureInfo.InvariantCulture),
        c.RangeEnd is { } e ? InfoQuery.Iso(e) : c.RangeEndInteger?.ToString(CultureInfo.InvariantCulture),
        c.IsColumnstore,
        c.Size.TotalBytes,
        c.BeforeColumnstoreBytes,
        c.AfterColumnstoreBytes,
        c.ColumnstoreRatio is { } r ? Math.Round(r, 2) : null,
        InfoQuery.Iso(c.CreatedAt),
        c.Tablespace);

    private static void Render(List<Chunk> chunks, string hypertable)
    {
        if (chunks.Count == 0)
        {
            AnsiConsole.MarkupLineInterpolated($"{hypertable} has no chunks with these bounds.");
            return;
        }

        var table = new Table().Title($"Chunks of {Markup.Escape(hypertable)}").Border(TableBorder.Rounded);
        foreach (var column in s_columns)
        {
            table.AddColumn(column);
        }

        foreach (var c in chunks)
        {
            var range = c.RangeStart is not null || c.RangeEnd is not null
                ? $"{MaintenanceArguments.When(c.RangeStart)} → {MaintenanceArguments.When(c.RangeEnd)}"
                : $"{c.RangeStartInteger} → {c.RangeEndInteger}";
            var columnstore = !c.IsColumnstore ? "rowstore"
                : c.ColumnstoreRatio is { } r ? $"{InfoCommand.Bytes(c.BeforeColumnstoreBytes ?? 0)} → {InfoCommand.Bytes(c.AfterColumnstoreBytes ?? 0)} ({r.ToString("0.0", CultureInfo.InvariantCulture)}x)" : "columnstore";
            table.AddRow(new Text(c.QualifiedName), new Text(range), new Text(InfoCommand.Bytes(c.Size.TotalBytes)), new Text(columnstore), new Text(c.Tablespace ?? "-"), new Text(MaintenanceArguments.When(c.CreatedAt)));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{chunks.Count} chunk(s), {InfoCommand.Bytes(chunks.Sum(c => c.Size.TotalBytes))}.");
    }

    private sealed class BarProgress(ProgressTask task) : IProgress<ChunkProgress>
    {
        public void Report(ChunkProgress value)
        {
            task.Value = value.Done;
            task.Description = $"{value.Done}/{value.Total} {value.Chunk}";
        }
    }

    private sealed class LineProgress : IProgress<ChunkProgress>
    {
        public void Report(ChunkProgress value) => Console.Out.WriteLine($"[{value.Done}/{value.Total}] {value.Chunk}");
    }
}
