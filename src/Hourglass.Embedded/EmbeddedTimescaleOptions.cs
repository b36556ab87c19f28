using Microsoft.Extensions.Logging;

namespace Hourglass.Embedded;

/// <summary>Settings for <see cref="EmbeddedTimescale.StartAsync"/>.</summary>
public sealed class EmbeddedTimescaleOptions
{
    /// <summary>
    /// Folder that keeps the database between runs. Created (and initialised) when missing or empty.
    /// <see langword="null"/> (the default) runs on a temporary copy that is deleted when the server stops.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1. 0 (the default) picks a free port; read it back from <see cref="EmbeddedTimescale.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>Path of the <c>node</c> executable (18 or newer). Default: <c>HOURGLASS_NODE</c>, else <c>node</c> on PATH.</summary>
    public string? NodePath { get; init; }

    /// <summary>
    /// Folder where the engine's npm packages are installed on first use (offline afterwards).
    /// Default: <c>HOURGLASS_CACHE</c>, else <c>~/.cache/hourglass</c>.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// How long a client waits for the single engine session while another client's transaction holds it,
    /// before it gets a PostgreSQL error (SQLSTATE 55P03). Default 30 seconds.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for the server to accept connections, first-use install excluded. Default 60 seconds.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Receives the server's own log lines and install progress. Optional.</summary>
    public ILogger? Logger { get; init; }
}
