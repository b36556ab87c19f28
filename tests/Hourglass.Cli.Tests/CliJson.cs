using System.Text.Json;
using Hourglass.Testing;

namespace Hourglass.Cli.Tests;

internal static class CliJson
{
    /// <summary>Runs the CLI and parses its stdout as JSON (CliProcess merges stderr, so only the JSON object is taken).</summary>
    public static async Task<(int ExitCode, JsonElement Json, string Output)> RunAsync(params string[] arguments)
    {
        var (exitCode, output) = await CliProcess.RunAsync(arguments);
        var start = output.IndexOf('{', StringComparison.Ordinal);
        var end = output.LastIndexOf('}');
        if (start < 0 || end < start)
        {
            throw new InvalidOperationException($"No JSON in the output (exit code {exitCode}):\n{output}");
        }

        using var document = JsonDocument.Parse(output[start..(end + 1)]);
        return (exitCode, document.RootElement.Clone(), output);
    }

    public static string[] Names(this JsonElement array, string property = "name") =>
        array.EnumerateArray().Select(e => e.GetProperty(property).GetString()!).Order(StringComparer.Ordinal).ToArray();
}
