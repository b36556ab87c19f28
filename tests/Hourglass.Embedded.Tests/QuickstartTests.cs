using System.Diagnostics;
using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>README's main job, run as a user runs it.</summary>
[Collection(SamplesRunOneAtATime.Name)]
public sealed partial class QuickstartTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"hourglass-quickstart-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Quickstart_migrates_ingests_a_day_for_10_devices_and_prints_24_hourly_rows_and_reruns_idempotently()
    {
        var external = TestServers.UsingExternalTimescale ? (await TestServers.Timescale).AdminConnectionString : null;

        var first = await RunAsync(external);
        Assert.Contains("Ingested 14,400 readings into hypertable quickstart_readings (4 chunks of 6 hours)", first, StringComparison.Ordinal);
        Assert.Equal(24, HourRow().Count(first));
        Assert.DoesNotContain("Password", first, StringComparison.OrdinalIgnoreCase);

        if (external is null)
        {
            Assert.Contains("14,400 new, 0 already there", first, StringComparison.Ordinal);
            Assert.Contains($"keeps the data in {_data}", first, StringComparison.Ordinal);
        }

        var second = await RunAsync(external);
        Assert.Contains("0 new, 14,400 already there", second, StringComparison.Ordinal);
        Assert.Equal(24, HourRow().Count(second));
    }

    private async Task<string> RunAsync(string? external)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quickstart.dll"));
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(_data);
        start.Environment["COLUMNS"] = "160";
        start.Environment["HOURGLASS_CONNECTION"] = external ?? "";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await output + await error);
        return await output;
    }

    [GeneratedRegex(@"^│ \d\d:00 │( +\d+\.\d │){10}", RegexOptions.Multiline)]
    private static partial Regex HourRow();
}
