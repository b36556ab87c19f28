using System.Diagnostics;

namespace Hourglass.Embedded.Native;

/// <summary>
/// A PostgreSQL installation on this machine with TimescaleDB installable: its bin folder (initdb, pg_ctl, postgres,
/// psql, pg_config), the share folder holding the extension's control file and the folder holding its library.
/// </summary>
internal sealed record NativeInstallation(string BinDirectory, string ShareDirectory, string LibraryDirectory, string PostgresVersion, string FoundBy)
{
    public const string HomeVariable = "HOURGLASS_TIMESCALEDB_HOME";

    private static readonly string[] ServerPrograms = ["initdb", "pg_ctl", "postgres", "psql", "pg_config"];
    private static readonly string[] LibraryNames = ["timescaledb.so", "timescaledb.dylib"];

    /// <summary>Finds the installation: the option, else HOURGLASS_TIMESCALEDB_HOME, else pg_config on PATH; checks it.</summary>
    public static async Task<NativeInstallation> LocateAsync(string? home, bool requireTimescale, CancellationToken cancellationToken)
    {
        string bin;
        string foundBy;
        if (!string.IsNullOrWhiteSpace(home))
        {
            bin = await LocateBinDirectoryAsync(home, "EmbeddedTimescaleOptions.NativeHome", cancellationToken).ConfigureAwait(false);
            foundBy = $"EmbeddedTimescaleOptions.NativeHome ({home})";
        }
        else if (Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } variable)
        {
            bin = await LocateBinDirectoryAsync(variable, HomeVariable, cancellationToken).ConfigureAwait(false);
            foundBy = $"{HomeVariable} ({variable})";
        }
        else if (NodeRuntime.FindOnPath("pg_config") is { } pgConfig)
        {
            var (exitCode, output) = await ProcessRunner.RunAsync(pgConfig, ["--bindir"], null, cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                throw Missing($"'{pgConfig} --bindir' failed (exit code {exitCode}): {output.Trim()}.");
            }

            bin = output.Trim();
            foundBy = $"pg_config on PATH ({pgConfig})";
        }
        else
        {
            throw Missing("No PostgreSQL was found: EmbeddedTimescaleOptions.NativeHome and HOURGLASS_TIMESCALEDB_HOME are not set, and there is no pg_config on PATH.");
        }

        var missingPrograms = ServerPrograms.Where(p => !File.Exists(Path.Combine(bin, p))).ToList();
        if (missingPrograms.Count > 0)
        {
            throw Missing($"The PostgreSQL bin folder '{bin}' (found by {foundBy}) lacks {string.Join(", ", missingPrograms)}: it needs the server binaries, not only the client tools (Debian/Ubuntu: the postgresql-N package).");
        }

        var (configExit, configOutput) = await ProcessRunner.RunAsync(Path.Combine(bin, "pg_config"), ["--sharedir", "--pkglibdir", "--version"], null, cancellationToken).ConfigureAwait(false);
        var lines = configOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (configExit != 0 || lines.Length < 3)
        {
            throw Missing($"'{Path.Combine(bin, "pg_config")} --sharedir --pkglibdir --version' failed (exit code {configExit}): {configOutput.Trim()}.");
        }

        var installation = new NativeInstallation(bin, lines[0], lines[1], lines[2].Replace("PostgreSQL ", "", StringComparison.Ordinal), foundBy);
        if (requireTimescale)
        {
            installation.CheckTimescale();
        }

        return installation;
    }

    private void CheckTimescale()
    {
        var control = Path.Combine(ShareDirectory, "extension", "timescaledb.control");
        var library = LibraryNames.Select(n => Path.Combine(LibraryDirectory, n)).FirstOrDefault(File.Exists);
        var missing = new List<string>();
        if (!File.Exists(control))
        {
            missing.Add($"the extension's control file {control}");
        }

        if (library is null)
        {
            missing.Add($"its library {Path.Combine(LibraryDirectory, "timescaledb.so")}");
        }

        if (missing.Count > 0)
        {
            var major = PostgresVersion.Split('.', ' ')[0];
            throw Missing(
                $"TimescaleDB is not installed for the PostgreSQL {PostgresVersion} in '{BinDirectory}' (found by {FoundBy}): {string.Join(" and ", missing)} are missing. " +
                $"Install TimescaleDB for PostgreSQL {major} (Debian/Ubuntu: the timescaledb-2-postgresql-{major} package from TimescaleDB's repository; Homebrew: brew install timescaledb), " +
                $"or point EmbeddedTimescaleOptions.NativeHome or {HomeVariable} at a PostgreSQL tree that has it.");
        }
    }

    private static EmbeddedTimescaleException Missing(string message) => new(EmbeddedTimescaleFailure.NativeMissing,
        message + (message.Contains(HomeVariable, StringComparison.Ordinal) ? "" : $" Set EmbeddedTimescaleOptions.NativeHome or {HomeVariable} to PostgreSQL's bin folder, its tree or its .tar.xz, or put its pg_config on PATH."));

    /// <summary>
    /// The bin folder <paramref name="home"/> names: a bin folder, a tree (<c>bin/</c> or Debian's
    /// <c>lib/postgresql/N/bin/</c>) or a folder holding one, or a tarball (or a folder holding one), unpacked once
    /// into the temp folder and reused afterwards.
    /// </summary>
    public static async Task<string> LocateBinDirectoryAsync(string home, string source, CancellationToken cancellationToken)
    {
        if (File.Exists(home))
        {
            return FindBin(await UnpackAsync(home, cancellationToken).ConfigureAwait(false))
                ?? throw Missing($"{source}: the tarball {home} holds no PostgreSQL bin folder with initdb.");
        }

        if (!Directory.Exists(home))
        {
            throw Missing($"{source} names '{home}', which does not exist. Point it at PostgreSQL's bin folder, its tree, or its .tar.xz.");
        }

        if (FindBin(home) is { } bin)
        {
            return bin;
        }

        var tarball = Directory.GetFiles(home, "*.tar.xz").Concat(Directory.GetFiles(home, "*.tar.gz")).Order(StringComparer.Ordinal).FirstOrDefault();
        if (tarball is not null)
        {
            return FindBin(await UnpackAsync(tarball, cancellationToken).ConfigureAwait(false))
                ?? throw Missing($"{source}: the tarball {tarball} holds no PostgreSQL bin folder with initdb.");
        }

        throw Missing($"{source} names '{home}', which holds neither a PostgreSQL bin folder with initdb nor a .tar.xz of one.");
    }

    private static string? FindBin(string folder)
    {
        if (File.Exists(Path.Combine(folder, "initdb")))
        {
            return folder;
        }

        foreach (var candidate in new[] { folder }.Concat(Directory.GetDirectories(folder)))
        {
            if (File.Exists(Path.Combine(candidate, "bin", "initdb")))
            {
                return Path.Combine(candidate, "bin");
            }

            var versioned = Path.Combine(candidate, "lib", "postgresql");
            if (Directory.Exists(versioned))
            {
                var bin = Directory.GetDirectories(versioned)
                    .Select(d => Path.Combine(d, "bin"))
                    .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")));
                if (bin is not null)
                {
                    return bin;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Unpacks into a temp-folder cache keyed by the tarball's name, size and time (the temp folder, so that the
    /// unprivileged user the server runs as under root can read it); concurrent processes each unpack into a
    /// folder of their own and the first to finish renames it into place.
    /// </summary>
    private static async Task<string> UnpackAsync(string tarball, CancellationToken cancellationToken)
    {
        var info = new FileInfo(tarball);
        var name = info.Name.Replace(".tar.xz", "", StringComparison.Ordinal).Replace(".tar.gz", "", StringComparison.Ordinal);
        var cache = Path.Combine(Path.GetTempPath(), "hourglass-timescaledb");
        var target = Path.Combine(cache, $"{name}-{info.Length}-{info.LastWriteTimeUtc:yyyyMMddHHmmss}");
        if (Directory.Exists(target))
        {
            return target;
        }

        Directory.CreateDirectory(cache);
        var partial = $"{target}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(partial);
        var (exitCode, output) = await ProcessRunner.RunAsync("tar", ["-xf", tarball, "-C", partial], null, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            Directory.Delete(partial, recursive: true);
            throw Missing($"Unpacking {tarball} failed (tar exit code {exitCode}): {output.Trim()}.");
        }

        try
        {
            Directory.Move(partial, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another process won the race; use its copy.
            Directory.Delete(partial, recursive: true);
        }

        return target;
    }
}
