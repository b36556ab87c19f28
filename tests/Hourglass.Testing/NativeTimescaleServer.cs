using System.Diagnostics;
using Npgsql;

namespace Hourglass.Testing;

/// <summary>
/// A native TimescaleDB started for this test process from the tree (or tarball) named by
/// HOURGLASS_TIMESCALEDB_HOME: a relocatable PostgreSQL with TimescaleDB preloaded, its own background workers
/// and a database per test class.
/// </summary>
public sealed class NativeTimescaleServer : NativeServer
{
    /// <summary>The environment variable naming the TimescaleDB tree, its tarball, or a folder holding either.</summary>
    public const string HomeVariable = "HOURGLASS_TIMESCALEDB_HOME";

    // Room for a scheduler per test database plus the jobs they run, and many parallel sessions. Telemetry keeps
    // TimescaleDB's default, as users run it: its job fails at every run on a machine without internet (or, in a tree
    // built without OpenSSL, at once), which doctor and the health check must take calmly.
    private const string Settings =
        "-c shared_preload_libraries=timescaledb " +
        "-c max_worker_processes=48 -c timescaledb.max_background_workers=32";

    private string _description = "native TimescaleDB";

    private NativeTimescaleServer(string binDirectory, string root, bool asRoot, int port, string? license)
        : base(binDirectory, root, asRoot, port, license is null ? Settings : $"{Settings} -c timescaledb.license={license}")
    {
        License = license;
    }

    /// <summary>
    /// The <c>timescaledb.license</c> the server was started with ("apache" for the Apache-licensed edition), or null
    /// for the tree's default (the community edition).
    /// </summary>
    public string? License { get; }

    /// <inheritdoc />
    public override string Description => _description;

    /// <inheritdoc />
    public override bool HasTimescale => true;

    /// <inheritdoc />
    public override TestServerKind Kind => TestServerKind.NativeTimescale;

    /// <summary>
    /// Starts an instance from <paramref name="home"/>; with <paramref name="license"/> the server starts with that
    /// <c>timescaledb.license</c> (a session cannot change it, and <c>ALTER DATABASE ... SET</c> is refused).
    /// </summary>
    internal static async Task<NativeTimescaleServer> StartAsync(string home, string? license = null)
    {
        var bin = await LocateBinDirectoryAsync(home);
        var (root, asRoot, port) = await InitAsync(bin, license is null ? "tsdb" : $"tsdb-{license}");
        var server = new NativeTimescaleServer(bin, root, asRoot, port, license);
        await server.StartAgainAsync();
        server.StopAndDeleteAtExit();

        // Tests that hand the admin connection to a sample (as with HOURGLASS_TEST_CONNECTION) expect TimescaleDB there.
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS timescaledb", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using (var version = new NpgsqlCommand("SELECT extversion || ' (PostgreSQL ' || current_setting('server_version') || ')', current_setting('timescaledb.license') FROM pg_extension WHERE extname = 'timescaledb'", admin))
        await using (var reader = await version.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            var running = reader.GetString(1);
            if (license is not null && running != license)
            {
                throw new InvalidOperationException($"The native TimescaleDB in {bin} was started with timescaledb.license={license} but runs as '{running}'.");
            }

            server._description = $"native TimescaleDB {reader.GetString(0)}{(license is null ? "" : $", {running} license")}";
        }

        return server;
    }

    /// <summary>
    /// The bin folder of the tree <paramref name="home"/> names: the tree itself, a folder holding it, or a
    /// tarball (or a folder holding one), which is unpacked once into the temp folder and reused afterwards.
    /// </summary>
    public static async Task<string> LocateBinDirectoryAsync(string home)
    {
        if (File.Exists(home))
        {
            return FindBin(await UnpackAsync(home)) ?? throw new InvalidOperationException($"{HomeVariable}: the tarball {home} holds no PostgreSQL bin folder with initdb.");
        }

        if (!Directory.Exists(home))
        {
            throw new InvalidOperationException($"{HomeVariable} names {home}, which does not exist. Point it at an unpacked PostgreSQL+TimescaleDB tree or its .tar.xz.");
        }

        if (FindBin(home) is { } bin)
        {
            return bin;
        }

        var tarball = Directory.GetFiles(home, "*.tar.xz").Concat(Directory.GetFiles(home, "*.tar.gz")).Order(StringComparer.Ordinal).FirstOrDefault();
        if (tarball is not null)
        {
            return FindBin(await UnpackAsync(tarball)) ?? throw new InvalidOperationException($"{HomeVariable}: the tarball {tarball} holds no PostgreSQL bin folder with initdb.");
        }

        throw new InvalidOperationException($"{HomeVariable} names {home}, which holds neither a PostgreSQL bin folder with initdb nor a .tar.xz of one.");
    }

    private static string? FindBin(string folder)
    {
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
    /// Unpacks into a temp-folder cache keyed by the tarball's name, size and time; concurrent test processes
    /// each unpack into a folder of their own and the first to finish renames it into place.
    /// </summary>
    private static async Task<string> UnpackAsync(string tarball)
    {
        var info = new FileInfo(tarball);
        var name = info.Name.Replace(".tar.xz", "", StringComparison.Ordinal).Replace(".tar.gz", "", StringComparison.Ordinal);
        var cache = Path.Combine(Path.GetTempPath(), "hourglass-timescaledb");
        var target = Path.Combine(cache, $"{name}-{info.Length}-{info.LastWriteTimeUtc:yyyyMMddHHmmss}");
        if (Directory.Exists(target))
        {
            return target;
        }

        // Readable by the postgres user the server runs as (CreateTempSubdirectory would make it private).
        Directory.CreateDirectory(cache);
        var partial = $"{target}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(partial);
        var start = new ProcessStartInfo("tar") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-xf", tarball, "-C", partial })
        {
            start.ArgumentList.Add(argument);
        }

        using var tar = Process.Start(start)!;
        var error = tar.StandardError.ReadToEndAsync();
        await tar.WaitForExitAsync();
        if (tar.ExitCode != 0)
        {
            Directory.Delete(partial, recursive: true);
            throw new InvalidOperationException($"tar -xf {tarball} failed ({tar.ExitCode}): {await error}");
        }

        try
        {
            Directory.Move(partial, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another test process won the race; use its copy.
            Directory.Delete(partial, recursive: true);
        }

        return target;
    }
}
