using System.Diagnostics;
using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>README's main job, run as a user runs it.</summary>
public sealed partial class QuickstartTests
{
    [Fact]
    public async Task Quickstart_ingests_a_day_for_10_devices_and_prints_24_hourly_rows()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quickstart.dll"));
        start.Environment["COLUMNS"] = "120";
        start.Environment["HOURGLASS_CONNECTION"] = TestServers.UsingExternalTimescale ? (await TestServers.Timescale).AdminConnectionString : "";
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, output + error);
        Assert.Contains("Wrote 14,400 readings into hypertable quickstart_readings (4 chunks", output, StringComparison.Ordinal);
        Assert.Equal(24, HourRow().Count(output));
        Assert.DoesNotContain("Password", output, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"^│ \d\d:00 │( +\d+\.\d │){10}", RegexOptions.Multiline)]
    private static partial Regex HourRow();
}
