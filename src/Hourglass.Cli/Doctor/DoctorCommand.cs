using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hourglass.Cli.Connection;
using Hourglass.Cli.Info;
using Spectre.Console;

namespace Hourglass.Cli.Doctor;

/// <summary><c>hourglass doctor</c>: one pass/warn/fail line per check; exit 0 healthy, 1 warnings, 2 failures.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var schemas = InfoCommand.SchemaOption();
        var ignore = new Option<string[]>("--ignore")
        {
            HelpName = "CHECK",
            Description = $"Checks to skip, by id (repeatable or comma-separated): {string.Join(", ", CheckIds.All)}.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var json = new Option<bool>("--json") { Description = "Write the checks as JSON: { exitCode, checks: [{ id, level, message }] }." };
        var command = new Command("doctor", "Check the TimescaleDB setup: extension and version, license, shared_preload_libraries, background workers, failing or never-run jobs, hypertables without columnstore/retention, chunk size against memory, never-refreshed aggregates and refreshes migrations left pending. Exit code 0 = healthy, 1 = warnings, 2 = failures.")
        {
            schemas,
            ignore,
            json,
        };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var ignored = (result.GetValue(ignore) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var unknown = ignored.Where(i => !CheckIds.All.Contains(i, StringComparer.OrdinalIgnoreCase)).ToList();
            if (unknown.Count > 0)
            {
                throw new CliException($"--ignore: unknown check '{string.Join("', '", unknown)}'. Known checks: {string.Join(", ", CheckIds.All)}.");
            }

            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var checks = (await DoctorChecks.RunAsync(db, result.GetValue(schemas) ?? [], cancellationToken))
                .Select(c => ignored.Contains(c.Id) ? c with { Level = CheckLevel.Skip, Message = "ignored (--ignore): " + c.Message } : c)
                .ToList();
            var exitCode = checks.Any(c => c.Level == CheckLevel.Fail) ? 2 : checks.Any(c => c.Level == CheckLevel.Warn) ? 1 : 0;
            if (result.GetValue(json))
            {
                var output = new DoctorOutput(exitCode, checks.Select(c => new DoctorLine(c.Id, c.Level.ToString().ToLowerInvariant(), c.Message)).ToList());
                Console.Out.WriteLine(Secrets.Redact(JsonSerializer.Serialize(output, DoctorJson.Readable.DoctorOutput)));
                return exitCode;
            }

            var console = AnsiConsole.Console;
            console.MarkupLineInterpolated($"Checking {Secrets.Redact(resolved.Describe())} (from {resolved.Source})");
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().NoWrap()).AddColumn();
            foreach (var check in checks)
            {
                var label = check.Level switch
                {
                    CheckLevel.Pass => "[green]pass[/]",
                    CheckLevel.Warn => "[yellow]warn[/]",
                    CheckLevel.Fail => "[red]FAIL[/]",
                    _ => "[grey]skip[/]",
                };
                grid.AddRow(new Markup(label), new Text(check.Id), new Text(Secrets.Redact(check.Message)));
            }

            console.Write(grid);
            var warnings = checks.Count(c => c.Level == CheckLevel.Warn);
            var failures = checks.Count(c => c.Level == CheckLevel.Fail);
            console.MarkupLine($"{failures} failure(s), {warnings} warning(s). Exit code {exitCode}.");
            return exitCode;
        }));
        return command;
    }
}

internal sealed record DoctorOutput(int ExitCode, IReadOnlyList<DoctorLine> Checks);

internal sealed record DoctorLine(string Id, string Level, string Message);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DoctorOutput))]
internal sealed partial class DoctorJson : JsonSerializerContext
{
    /// <summary>Like <see cref="Default"/>, but writes '+', '&lt;' and non-ASCII as themselves: this JSON is read by people and jq, not embedded in HTML.</summary>
    public static DoctorJson Readable { get; } = new(new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
