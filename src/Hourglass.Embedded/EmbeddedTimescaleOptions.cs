using Microsoft.Extensions.Logging;

namespace Hourglass.Embedded;

/// <summary>Settings for <see cref="EmbeddedTimescale.StartAsync"/>.</summary>
public sealed class EmbeddedTimescaleOptions
{
    /// <summary>The engine to run: <see cref="EmbeddedEngine.Wasm"/> (the default, nothing to install) or <see cref="EmbeddedEngine.Native"/>.</summary>
    public EmbeddedEngine Engine { get; init; }

    /// <summary>
    /// For <see cref="EmbeddedEngine.Native"/>: where PostgreSQL with TimescaleDB is installed: its <c>bin</c> folder, the
    /// folder above it, a relocatable tree or a folder holding one, or its <c>.tar.xz</c>/<c>.tar.gz</c> (unpacked once
    /// into the temp folder). Default: <c>HOURGLASS_TIMESCALEDB_HOME</c>, else the <c>bin</c> folder that
    /// <c>pg_config --bindir</c> on PATH names (Debian and Ubuntu packages, Homebrew).
    /// </summary>
    public string? NativeHome { get; init; }

    /// <summary>
    /// For <see cref="EmbeddedEngine.Native"/>: server settings passed at every start (<c>-c name=value</c>), over the
    /// defaults (<c>shared_preload_libraries = 'timescaledb'</c>, 8 TimescaleDB background workers, loopback only).
    /// </summary>
    public IReadOnlyDictionary<string, string>? NativeSettings { get; init; }

    /// <summary>For the test harness: a native PostgreSQL without TimescaleDB (nothing preloaded, no extension created).</summary>
    internal bool WithoutTimescale { get; init; }
    /// <summary>
    /// Folder that keeps the database between runs. Created (and initialised) when missing or empty.
    /// <see langword="null"/> (the default) runs on a temporary copy that is deleted when the server stops.
    /// A WASM data directory and a native one are not interchangeable.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1. 0 (the default) picks a free port; read it back from <see cref="EmbeddedTimescale.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>Path of the <c>node</c> executable (18 or newer) for the WASM engine. Default: <c>HOURGLASS_NODE</c>, else <c>node</c> on PATH.</summary>
    public string? NodePath { get; init; }

    /// <summary>
    /// Folder where the engine's npm packages are installed on first use (offline afterwards).
    /// Default: <c>HOURGLASS_CACHE</c>, else <c>~/.cache/hourglass</c>.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// WASM engine: how long a client waits for the single engine session while another client's transaction holds
    /// it, before it gets a PostgreSQL error (SQLSTATE 55P03). Default 30 seconds. (A native server has a backend per
    /// connection.)
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for the server to accept connections, first-use install excluded. Default 60 seconds.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Receives the server's own log lines and install progress. Optional.</summary>
    public ILogger? Logger { get; init; }
}
