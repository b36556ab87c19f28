using System.Diagnostics;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>The one slow packaging test: dotnet pack, dotnet tool install from that folder, run the installed tool.</summary>
public sealed class PackagingTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-pack-").FullName;

    [Fact]
    public async Task Pack_output_installs_as_a_dotnet_tool_that_runs()
    {
        var project = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Hourglass.Cli/Hourglass.Cli.csproj"));
        Assert.True(File.Exists(project), project);
        // A version of its own so that a package cached by an earlier run is never installed instead.
        var version = $"0.0.1-test{DateTime.UtcNow:yyyyMMddHHmmss}";
        var packages = Path.Combine(_folder, "packages");
        var tools = Path.Combine(_folder, "tools");

        // Release, so the Debug build the tests run from is left alone.
        var (packExit, packOutput) = await RunAsync("dotnet", ["pack", project, "-c", "Release", "-o", packages, $"-p:Version={version}"]);
        Assert.True(packExit == 0, packOutput);
        Assert.True(File.Exists(Path.Combine(packages, $"Hourglass.Cli.{version}.nupkg")), packOutput);

        var (installExit, installOutput) = await RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "--version", version, "Hourglass.Cli"]);
        Assert.True(installExit == 0, installOutput);

        var hourglass = Path.Combine(tools, OperatingSystem.IsWindows() ? "hourglass.exe" : "hourglass");
        var (helpExit, help) = await RunAsync(hourglass, ["--help"]);
        Assert.True(helpExit == 0, help);
        Assert.Contains("backup <FILE>", help, StringComparison.Ordinal);

        var (infoExit, info) = await RunAsync(hourglass, ["info", "--json", "--connection", fixture.Database.ConnectionString]);
        Assert.True(infoExit == 0, info);
        Assert.Contains("\"installed\": false", info, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
