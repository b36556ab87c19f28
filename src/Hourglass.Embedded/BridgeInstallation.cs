using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Hourglass.Embedded;

/// <summary>
/// The bridge script and its pinned npm dependencies, installed once per content version into the cache
/// folder, together with a ready-made data directory template (initdb plus CREATE EXTENSION) that makes
/// later starts about three times faster than initialising from scratch.
/// </summary>
internal sealed class BridgeInstallation
{
    private static readonly string[] BridgeFiles = ["bridge.mjs", "package.json", "package-lock.json"];
    private const string CompleteMarker = ".hourglass-installed";

    private BridgeInstallation(string directory) => Directory = directory;

    public string Directory { get; }

    public string ScriptPath => Path.Combine(Directory, "bridge.mjs");

    public string TemplateDirectory => Path.Combine(Directory, "template");

    public static async Task<BridgeInstallation> EnsureAsync(NodeRuntime node, string? cacheDirectory, ILogger? logger, CancellationToken cancellationToken)
    {
        var source = LocateShippedFiles();
        var version = ContentHash(source);
        var root = cacheDirectory
            ?? Environment.GetEnvironmentVariable("HOURGLASS_CACHE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "hourglass");
        var installation = new BridgeInstallation(Path.Combine(root, "embedded", version));
        if (installation.IsComplete)
        {
            return installation;
        }

        try
        {
            System.IO.Directory.CreateDirectory(installation.Directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.InstallFailed,
                $"Cannot create the install folder '{installation.Directory}': {ex.Message}. Set EmbeddedTimescaleOptions.CacheDirectory or HOURGLASS_CACHE to a writable folder.", ex);
        }

        using var installLock = await InstallLock.AcquireAsync(Path.Combine(installation.Directory, ".install.lock"), cancellationToken).ConfigureAwait(false);
        if (installation.IsComplete)
        {
            return installation;
        }

        logger?.LogInformation("Installing the embedded TimescaleDB engine into {Directory} (first use only)", installation.Directory);
        foreach (var file in BridgeFiles)
        {
            File.Copy(Path.Combine(source, file), Path.Combine(installation.Directory, file), overwrite: true);
        }

        var npm = node.NpmPath ?? throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.InstallFailed,
            $"npm was not found beside '{node.NodePath}' or on PATH; it installs the embedded TimescaleDB engine on first use. Install npm (Debian: apt-get install npm).");
        var (exitCode, output) = await ProcessRunner.RunAsync(npm,
            ["ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], installation.Directory, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.InstallFailed,
                $"'npm ci' failed in '{installation.Directory}' (exit code {exitCode}). The first start downloads the engine from the npm registry: check network access and npm's proxy settings, then retry. npm said: {Tail(output)}");
        }

        var (templateExit, templateOutput) = await ProcessRunner.RunAsync(node.NodePath,
            [installation.ScriptPath, "--make-template", installation.TemplateDirectory], installation.Directory, cancellationToken).ConfigureAwait(false);
        if (templateExit != 0)
        {
            throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.InstallFailed,
                $"Initialising the embedded TimescaleDB data template failed (exit code {templateExit}): {Tail(templateOutput)}. Delete '{installation.Directory}' and retry.");
        }

        await File.WriteAllTextAsync(Path.Combine(installation.Directory, CompleteMarker), version, cancellationToken).ConfigureAwait(false);
        return installation;
    }

    private bool IsComplete => File.Exists(Path.Combine(Directory, CompleteMarker));

    private static string LocateShippedFiles()
    {
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "hourglass-embedded"),
            Path.Combine(Path.GetDirectoryName(typeof(BridgeInstallation).Assembly.Location) ?? ".", "hourglass-embedded"),
        };
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "bridge.mjs")))
            ?? throw new EmbeddedTimescaleException(EmbeddedTimescaleFailure.InstallFailed,
                $"The embedded TimescaleDB bridge files are missing (looked in {string.Join(", ", candidates)}). Reference the Hourglass.Embedded package from the project that runs, so its content files are copied to the output folder.");
    }

    private static string ContentHash(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in BridgeFiles)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file));
            hash.AppendData(File.ReadAllBytes(Path.Combine(folder, file)));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static string Tail(string text) => text.Length <= 2000 ? text.Trim() : "..." + text[^2000..].Trim();
}

/// <summary>A cross-process lock on a file, so parallel test processes install only once.</summary>
internal sealed class InstallLock : IDisposable
{
    private readonly FileStream _stream;

    private InstallLock(FileStream stream) => _stream = stream;

    public static async Task<InstallLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try
            {
                return new InstallLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
