using Hourglass.Embedded;

namespace Hourglass.Testing;

/// <summary>
/// A native TimescaleDB started for this test process from the tree (or tarball) named by
/// HOURGLASS_TIMESCALEDB_HOME, by the product's native engine: a relocatable PostgreSQL with TimescaleDB preloaded, its
/// own background workers and a database per test class.
/// </summary>
public sealed class NativeTimescaleServer : NativeServer
{
    /// <summary>The environment variable naming the TimescaleDB tree, its tarball, or a folder holding either.</summary>
    public const string HomeVariable = "HOURGLASS_TIMESCALEDB_HOME";

    // Room for a scheduler per test database plus the jobs they run.
    private static readonly Dictionary<string, string> Settings = new(StringComparer.Ordinal)
    {
        ["timescaledb.telemetry_level"] = "off",
        ["max_worker_processes"] = "48",
        ["timescaledb.max_background_workers"] = "32",
    };

    private NativeTimescaleServer(EmbeddedTimescale server, string? license)
        : base(server)
    {
        License = license;
        Description = $"native TimescaleDB {server.TimescaleDbVersion} (PostgreSQL {server.ServerVersion}){(license is null ? "" : $", {license} license")}";
    }

    /// <summary>
    /// The <c>timescaledb.license</c> the server was started with ("apache" for the Apache-licensed edition), or null
    /// for the tree's default (the community edition).
    /// </summary>
    public string? License { get; }

    /// <inheritdoc />
    public override string Description { get; }

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
        var settings = new Dictionary<string, string>(Settings, StringComparer.Ordinal);
        if (license is not null)
        {
            settings["timescaledb.license"] = license;
        }

        var server = new NativeTimescaleServer(await StartNativeAsync(home, withTimescale: true, settings), license);
        if (license is not null)
        {
            await using var admin = new Npgsql.NpgsqlConnection(server.AdminConnectionString);
            await admin.OpenAsync();
            await using var read = new Npgsql.NpgsqlCommand("SELECT current_setting('timescaledb.license')", admin);
            if ((string?)await read.ExecuteScalarAsync() is var running && running != license)
            {
                throw new InvalidOperationException($"The native TimescaleDB in {server.BinDirectory} was started with timescaledb.license={license} but runs as '{running}'.");
            }
        }

        return server;
    }

    /// <summary>
    /// The bin folder of the tree <paramref name="home"/> names: the tree itself, a folder holding it, or a
    /// tarball (or a folder holding one), which is unpacked once into the temp folder and reused afterwards.
    /// </summary>
    public static Task<string> LocateBinDirectoryAsync(string home) => Hourglass.Embedded.Native.NativeInstallation.LocateBinDirectoryAsync(home, HomeVariable, CancellationToken.None);
}
