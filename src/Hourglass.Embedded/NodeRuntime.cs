using System.Diagnostics;
using System.Globalization;

namespace Hourglass.Embedded;

/// <summary>Finds <c>node</c> and <c>npm</c> and checks the Node.js version.</summary>
internal sealed record NodeRuntime(string NodePath, Version Version)
{
    internal const int MinimumMajorVersion = 18;

    public static async Task<NodeRuntime> LocateAsync(string? configuredPath, CancellationToken cancellationToken)
    {
        var candidate = configuredPath ?? Environment.GetEnvironmentVariable("HOURGLASS_NODE") ?? FindOnPath("node");
        if (candidate is null || !File.Exists(candidate))
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.NodeMissing,
                $"Node.js was not found{(candidate is null ? " on PATH" : $" at '{candidate}'")}. The embedded TimescaleDB runs on Node.js {MinimumMajorVersion} or newer: " +
                "install it (Debian: apt-get install nodejs npm) or point EmbeddedTimescaleOptions.NodePath / HOURGLASS_NODE at the node executable.");
        }

        var (exitCode, output) = await ProcessRunner.RunAsync(candidate, ["--version"], workingDirectory: null, cancellationToken).ConfigureAwait(false);
        var text = output.Trim().TrimStart('v');
        if (exitCode != 0 || !Version.TryParse(text, out var version))
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.NodeMissing,
                $"'{candidate} --version' did not report a Node.js version (exit code {exitCode}: {output.Trim()}). Install Node.js {MinimumMajorVersion} or newer, or set EmbeddedTimescaleOptions.NodePath.");
        }

        if (version.Major < MinimumMajorVersion)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.NodeTooOld,
                string.Create(CultureInfo.InvariantCulture,
                    $"Node.js {version} at '{candidate}' is too old: the embedded TimescaleDB needs Node.js {MinimumMajorVersion} or newer. Upgrade Node.js or point EmbeddedTimescaleOptions.NodePath at a newer one."));
        }

        return new NodeRuntime(candidate, version);
    }

    /// <summary>npm beside node first (same installation), else on PATH.</summary>
    public string? NpmPath
    {
        get
        {
            var beside = Path.Combine(Path.GetDirectoryName(NodePath) ?? ".", OperatingSystem.IsWindows() ? "npm.cmd" : "npm");
            return File.Exists(beside) ? beside : FindOnPath("npm");
        }
    }

    internal static string? FindOnPath(string program)
    {
        var names = OperatingSystem.IsWindows() ? new[] { program + ".exe", program + ".cmd" } : new[] { program };
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var full = Path.Combine(folder, name);
                if (File.Exists(full))
                {
                    return full;
                }
            }
        }

        return null;
    }
}

internal static class ProcessRunner
{
    /// <summary>Runs a program to completion and returns its exit code with stdout and stderr combined.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false)));
    }
}
