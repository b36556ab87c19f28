using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Hourglass.Cli.Connection;

namespace Hourglass.Cli.Backup;

/// <summary>A PostgreSQL client program (pg_dump, pg_restore) and its major version.</summary>
internal sealed partial record PgTool(string Path, int Major, string Version)
{
    /// <summary>The environment variable naming the folder of the PostgreSQL client tools, when --pg-bin is not given.</summary>
    public const string PgBinVariable = "HOURGLASS_PG_BIN";

    /// <summary>
    /// Finds <paramref name="name"/> in --pg-bin, else in the folder HOURGLASS_PG_BIN names, else on PATH and in the usual
    /// install folders (/usr/lib/postgresql/N/bin, /usr/pgsql-N/bin, Homebrew libpq, Program Files), preferring the first
    /// whose major version is exactly <paramref name="minimumMajor"/>, else the first newer one: pg_dump refuses
    /// servers newer than itself, and a newer pg_dump writes archives only an equally new pg_restore reads.
    /// </summary>
    public static async Task<PgTool> LocateAsync(string name, DirectoryInfo? pgBin, int minimumMajor, string why, CancellationToken cancellationToken)
    {
        var executable = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? name + ".exe" : name;
        var fromVariable = Environment.GetEnvironmentVariable(PgBinVariable) is { Length: > 0 } variable ? variable : null;
        var (folders, where) = pgBin is not null ? (new[] { pgBin.FullName }, $"--pg-bin {pgBin.FullName}")
            : fromVariable is not null ? (new[] { System.IO.Path.GetFullPath(fromVariable) }, $"{PgBinVariable}={fromVariable}")
            : (CandidateFolders().ToArray(), "PATH and the usual PostgreSQL folders");
        var found = new List<PgTool>();
        foreach (var folder in folders.Distinct())
        {
            var path = System.IO.Path.Combine(folder, executable);
            if (!File.Exists(path))
            {
                continue;
            }

            var tool = await ProbeAsync(path, cancellationToken);
            if (tool is null)
            {
                continue;
            }

            if (tool.Major == minimumMajor)
            {
                return tool;
            }

            found.Add(tool);
        }

        // No tool of exactly the server's major version: the first newer one found (newer pg_dump handles older
        // servers, but its archives need an equally new pg_restore, hence the preference above).
        if (found.FirstOrDefault(t => t.Major >= minimumMajor) is { } newer)
        {
            return newer;
        }

        var ways = $"Point Hourglass at the PostgreSQL {minimumMajor} client tools (package postgresql-client-{minimumMajor}, or the bin folder of a PostgreSQL {minimumMajor} installation) in one of three ways: "
            + $"--pg-bin <folder>, the environment variable {PgBinVariable}=<folder>, or that folder on PATH.";
        if (found.Count == 0)
        {
            throw new CliException($"{executable} was not found in {where}; {why} needs {name} of PostgreSQL {minimumMajor} or later. {ways}");
        }

        var newest = found.MaxBy(t => t.Major)!;
        throw new CliException(
            $"{name} {newest.Version} ({newest.Path}) is older than {why} (PostgreSQL {minimumMajor}): {name} only handles servers and archives of its own major version or older, so {name} of PostgreSQL {minimumMajor} or later is needed. {ways}");
    }

    private static IEnumerable<string> CandidateFolders()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            yield return folder;
        }

        foreach (var pattern in new[] { ("/usr/lib/postgresql", "bin"), ("/usr/pgsql-*", "bin"), (@"C:\Program Files\PostgreSQL", "bin") })
        {
            foreach (var folder in VersionedFolders(pattern.Item1, pattern.Item2))
            {
                yield return folder;
            }
        }

        yield return "/opt/homebrew/opt/libpq/bin";
        yield return "/usr/local/opt/libpq/bin";
    }

    /// <summary>Version-numbered install folders, newest first.</summary>
    private static IEnumerable<string> VersionedFolders(string root, string bin)
    {
        var parent = root.EndsWith('*') ? System.IO.Path.GetDirectoryName(root)! : root;
        var prefix = root.EndsWith('*') ? System.IO.Path.GetFileName(root)[..^1] : "";
        if (!Directory.Exists(parent))
        {
            return [];
        }

        return Directory.GetDirectories(parent, prefix + "*")
            .Select(d => (Folder: System.IO.Path.Combine(d, bin), Number: double.TryParse(System.IO.Path.GetFileName(d)[prefix.Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
            .OrderByDescending(d => d.Number)
            .Select(d => d.Folder);
    }

    private static async Task<PgTool?> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("--version");
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var match = VersionPattern().Match(output);
            return match.Success ? new PgTool(path, int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture), match.Groups["version"].Value) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Runs the tool with the password in PGPASSWORD (never on the command line, where ps shows it); stderr lines go to <paramref name="onLine"/>.</summary>
    public async Task<(int ExitCode, IReadOnlyList<string> Tail)> RunAsync(IEnumerable<string> arguments, ResolvedConnection connection, Action<string> onLine, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var b = connection.Builder;
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--no-password");
        if (!string.IsNullOrEmpty(b.Host))
        {
            start.ArgumentList.Add("--host=" + b.Host);
        }

        start.ArgumentList.Add("--port=" + b.Port.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(b.Username))
        {
            start.ArgumentList.Add("--username=" + b.Username);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSWORD"] = b.Password ?? "";
        start.Environment["PGSSLMODE"] = b.SslMode switch
        {
            Npgsql.SslMode.Disable => "disable",
            Npgsql.SslMode.Allow => "allow",
            Npgsql.SslMode.Require => "require",
            Npgsql.SslMode.VerifyCA => "verify-ca",
            Npgsql.SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };
        start.Environment["PGCONNECT_TIMEOUT"] = b.Timeout.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGAPPNAME"] = "hourglass";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var tail = new Queue<string>();
        using var process = Process.Start(start)!;
        using var registration = cancellationToken.Register(() =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
        });
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
        {
            var safe = Secrets.Redact(line);
            tail.Enqueue(safe);
            if (tail.Count > 20)
            {
                tail.Dequeue();
            }

            onLine(safe);
        }

        await process.WaitForExitAsync(CancellationToken.None);
        foreach (var line in (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            onLine(Secrets.Redact(line));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return (process.ExitCode, tail.ToList());
    }

    [GeneratedRegex(@"\)\s+(?<version>(?<major>\d+)(?:\.\d+)*)")]
    private static partial Regex VersionPattern();
}
