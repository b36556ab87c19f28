using System.Diagnostics;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>Runs a built sample as a user runs it: its own process, on a data directory or on HOURGLASS_CONNECTION.</summary>
internal static class SampleProcess
{
    /// <summary>Runs the sample, asserts that it exits with 0 and returns its standard output.</summary>
    public static async Task<string> RunAsync(string assembly, string dataDirectory, string? externalConnection)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(dataDirectory);
        start.Environment["COLUMNS"] = "160";
        start.Environment["HOURGLASS_CONNECTION"] = externalConnection ?? "";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{assembly} did not finish within 3 minutes.\n{await output}{await error}");
        }

        Assert.True(process.ExitCode == 0, $"{assembly} exited with {process.ExitCode}.\n{await output}{await error}");
        return await output;
    }
}

/// <summary>The samples' end-to-end tests each start an embedded server and load it: one at a time on a 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class SamplesRunOneAtATime
{
    public const string Name = "Samples";
}
