using System.Diagnostics;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>Starts a kill-target program built beside this test project, so a test can kill it with SIGKILL mid-work.</summary>
internal static class KillTargets
{
    /// <param name="project">The program's project folder under tests/, e.g. <c>Hourglass.BulkIngest.KillTarget</c>.</param>
    /// <param name="arguments">Its command line.</param>
    public static ProcessStartInfo Start(string project, params string[] arguments)
    {
        // tests/Hourglass.EntityFrameworkCore.Tests/bin/<Configuration>/<tfm>/ -> tests/<project>/bin/<Configuration>/<tfm>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var testsFolder = output.Parent!.Parent!.Parent!.Parent!.FullName;
        var target = Path.Combine(testsFolder, project, "bin", output.Parent.Name, output.Name, project + ".dll");
        Assert.True(File.Exists(target), $"{target} is missing; it is built with the test project.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(target);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
