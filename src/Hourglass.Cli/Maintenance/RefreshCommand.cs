using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hourglass.Cli.Connection;
using Hourglass.Cli.Info;
using Spectre.Console;

namespace Hourglass.Cli.Maintenance;

/// <summary><c>hourglass refresh AGGREGATE --from --to</c>: materialize a window of a continuous aggregate.</summary>
internal static class RefreshCommand
{
    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var aggregate = new Argument<string>("AGGREGATE") { Description = "The continuous aggregate: schema.name or name, as written." };
        var from = new Option<string?>("--from") { Description = "Window start: an age (7d = now minus 7 days), a date/time (UTC unless an offset is given), or an integer for integer buckets. Default: from the beginning." };
        var to = new Option<string?>("--to") { Description = "Window end, in the same forms. Default: up to the newest data." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only print the window that would be refreshed." };
        var json = new Option<bool>("--json") { Description = "Write JSON (docs/cli.md)." };
        var command = new Command("refresh", "Refresh a continuous aggregate over a window (refresh_continuous_aggregate) and show its watermark before and after.")
        {
            aggregate, from, to, dryRun, json,
        };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var start = MaintenanceArguments.ParseBound(result.GetValue(from), "--from");
            var end = MaintenanceArguments.ParseBound(result.GetValue(to), "--to");
            var name = result.GetValue(aggregate)!;
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var client = db.Timescale();
            var before = await client.GetContinuousAggregateAsync(name, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            string? Text(ChunkBound? bound) => bound?.ToString() is null ? null : Point(bound.Value, now);
            var asJson = result.GetValue(json);
            var isDryRun = result.GetValue(dryRun);
            if (!asJson)
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]Connected to {Secrets.Redact(resolved.Describe())} (from {resolved.Source})[/]");
            }

            if (!isDryRun)
            {
                Task Refresh() => IsInteger(start) || IsInteger(end)
                    ? client.RefreshContinuousAggregateAsync(name, Integer(start), Integer(end), cancellationToken)
                    : client.RefreshContinuousAggregateAsync(name, Time(start, now), Time(end, now), cancellationToken);
                if (!asJson && AnsiConsole.Profile.Capabilities.Interactive)
                {
                    await AnsiConsole.Status().StartAsync($"Refreshing {before.QualifiedName}...", _ => Refresh());
                }
                else
                {
                    await Refresh();
                }
            }

            var after = isDryRun ? before : await client.GetContinuousAggregateAsync(name, cancellationToken);
            var output = new RefreshOutput(before.QualifiedName, Text(start), Text(end), isDryRun, Watermark(before), Watermark(after));
            if (asJson)
            {
                Console.Out.WriteLine(Secrets.Redact(JsonSerializer.Serialize(output, MaintenanceJson.Readable.RefreshOutput)));
                return 0;
            }

            var window = $"{output.From ?? "the beginning"} → {output.To ?? "the newest data"}";
            if (isDryRun)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Dry run[/]: would refresh {before.QualifiedName} over {window} (watermark now {output.WatermarkBefore ?? "never refreshed"}).");
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"Refreshed {before.QualifiedName} over {window}; watermark {output.WatermarkBefore ?? "never refreshed"} → {output.WatermarkAfter ?? "never refreshed"}.");
            }
            return 0;
        }));
        return command;
    }

    private static bool IsInteger(ChunkBound? bound) => bound?.ToString() is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) && !text.Contains('-', StringComparison.Ordinal);

    private static long? Integer(ChunkBound? bound) => bound is null ? null
        : long.TryParse(bound.Value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : throw new CliException("Give both --from and --to as integers for an aggregate with integer buckets.");

    private static DateTimeOffset? Time(ChunkBound? bound, DateTimeOffset now) => bound is null ? null
        : DateTimeOffset.Parse(Point(bound.Value, now), CultureInfo.InvariantCulture);

    /// <summary>An age becomes now minus it; a point stays; both as ISO 8601 UTC.</summary>
    private static string Point(ChunkBound bound, DateTimeOffset now)
    {
        var text = bound.ToString();
        if (text.StartsWith("now() - ", StringComparison.Ordinal))
        {
            return InfoQuery.Iso(now - TimeSpan.Parse(text["now() - ".Length..], CultureInfo.InvariantCulture))!;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? InfoQuery.Iso(time)! : text;
    }

    private static string? Watermark(ContinuousAggregate a) => a.Watermark is { } w ? InfoQuery.Iso(w) : a.WatermarkInteger?.ToString(CultureInfo.InvariantCulture);
}
