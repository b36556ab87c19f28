using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Hourglass.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Hourglass.EntityFrameworkCore.Tests.Newcomer;

/// <summary>
/// docs/getting-started.md, followed as a newcomer follows it: its shell lines create the project and add the packages
/// (Hourglass's packed into a temporary feed), its code blocks are the files, `dotnet ef migrations add` writes the
/// migration the page shows, and the program runs twice against a real server (on the embedded pass, its own embedded
/// TimescaleDB, as the page's program starts it without METRICS_DB).
/// </summary>
public sealed partial class GettingStartedTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string s_repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-getting-started-").FullName;

    [Fact]
    public async Task The_page_builds_migrates_and_runs_as_written()
    {
        var page = await File.ReadAllTextAsync(Path.Combine(s_repository, "docs/getting-started.md"));
        var blocks = CodeBlock().Matches(page).Select(m => (Info: m.Groups["info"].Value.Trim(), Code: m.Groups["code"].Value)).ToList();
        var files = blocks.Where(b => b.Info.StartsWith("csharp file=", StringComparison.Ordinal)).ToDictionary(b => b.Info["csharp file=".Length..], b => b.Code);
        Assert.Equal(["Metrics.cs", "MetricsContext.cs", "Program.cs"], files.Keys.Order(StringComparer.Ordinal));

        // A version of its own, so a package cached by an earlier run is never used instead; Release leaves the tests' Debug build alone.
        var version = $"0.0.1-gs{DateTime.UtcNow:yyyyMMddHHmmss}";
        var feed = Path.Combine(_folder, "feed");
        foreach (var project in new[] { "Hourglass", "Hourglass.EntityFrameworkCore", "Hourglass.Embedded" })
        {
            await RunAsync(s_repository, null, "dotnet", "pack", $"src/{project}/{project}.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");
        }

        await File.WriteAllTextAsync(Path.Combine(_folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="hourglass-packed" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        // The page's shell lines, in order; the packages at the versions the repository builds with (Hourglass's packed).
        var pinned = XDocument.Load(Path.Combine(s_repository, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
        var directory = _folder;
        var setup = blocks.First(b => b.Info == "sh").Code.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in setup)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words)
            {
                case ["cd", var folder]:
                    directory = Path.Combine(directory, folder);
                    break;
                case ["dotnet", "new", "console", ..]:
                    await RunAsync(directory, null, "dotnet", [.. words[1..]]);
                    break;
                case ["dotnet", "add", "package", var package]:
                    await RunAsync(directory, null, "dotnet", "add", "package", package, "--version", package.StartsWith("Hourglass", StringComparison.Ordinal) ? version : pinned[package]);
                    break;
                case ["dotnet", "tool", "install", "--global", "dotnet-ef"]:
                    break; // the repository's pinned dotnet-ef (.config/dotnet-tools.json) is used below
                default:
                    Assert.Fail($"The page's setup has a line this test does not know how to follow: {line}");
                    break;
            }
        }

        // The packages' transitive EF Core is pinned as the repository pins it (the feed of this machine lacks the patch Npgsql asks for).
        await RunAsync(directory, null, "dotnet", "add", "package", "Microsoft.EntityFrameworkCore", "--version", pinned["Microsoft.EntityFrameworkCore"]);
        foreach (var (name, code) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, name), code);
        }

        await RunAsync(s_repository, null, "dotnet", "ef", "migrations", "add", "Metrics", "--project", directory, "--startup-project", directory);
        var migration = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(directory, "Migrations"), "*_Metrics.cs").Single());
        var shown = blocks.Single(b => b.Info == "csharp" && b.Code.Contains("migrationBuilder.CreateHypertable", StringComparison.Ordinal)).Code;
        Assert.True(Flat(migration).Contains(Flat(shown), StringComparison.Ordinal), $"The page shows\n{shown}\nthe generated migration has:\n{migration}");

        // The first run migrates and inserts, the second (the page's "again") finds every row there.
        await RunAsync(directory, null, "dotnet", "build");
        var server = TestServers.UsingExternalTimescale ? await TestServers.Timescale : null;
        await using var database = server is null ? null : await server.CreateDatabaseAsync(nameof(GettingStartedTests));
        var environment = new Dictionary<string, string?> { ["METRICS_DB"] = database?.ConnectionString };
        var first = await RunAsync(directory, environment, "dotnet", "run", "--no-build");
        var second = await RunAsync(directory, environment, "dotnet", "run", "--no-build");

        Assert.Contains(database is null ? "(embedded)" : database.DatabaseName, first, StringComparison.Ordinal);
        Assert.Contains("4320 new, 0 already there", first, StringComparison.Ordinal);
        Assert.Contains("0 new, 4320 already there", second, StringComparison.Ordinal);
        foreach (var run in new[] { first, second })
        {
            Assert.Contains("metrics_hourly: 24 hours for device 1, max 15.9", run, StringComparison.Ordinal);
            Assert.Equal(12, SixHourRow().Count(run));
            Assert.Matches(@"\d+ chunk\(s\) older than an hour; retention policy job \d+", run);
        }
    }

    private async Task<string> RunAsync(string directory, IDictionary<string, string?>? environment, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("METRICS_DB");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is not null)
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start)!;
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = await standardOutput + await standardError;
        output.WriteLine($"$ {program} {string.Join(' ', arguments)}\n{text}");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} in {directory} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    /// <summary>Code with whitespace runs as one space, so the page's indentation may differ from the file's.</summary>
    private static string Flat(string code) => Regex.Replace(code, @"\s+", " ").Trim();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [GeneratedRegex(@"^```(?<info>[^\n]*)\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:00 device \d: \d+\.\d\d$", RegexOptions.Multiline)]
    private static partial Regex SixHourRow();
}
