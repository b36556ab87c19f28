using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>Runs the real `dotnet` (and `dotnet ef`, pinned in .config/dotnet-tools.json) from the repository root.</summary>
internal static class DotnetCli
{
    /// <summary>The repository root (the folder of Hourglass.sln).</summary>
    public static string Repository { get; } = FindRepository();

    /// <summary>Runs <c>dotnet arguments</c>, logs its output, asserts its success (or failure) and returns the output.</summary>
    public static async Task<string> RunAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string> environment, bool expectSuccess, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await standardOutput + await standardError;
        output.WriteLine($"$ dotnet {string.Join(' ', arguments)}\n{text}");
        Assert.True((process.ExitCode == 0) == expectSuccess, $"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hourglass.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Hourglass.sln not found above " + AppContext.BaseDirectory);
    }
}
