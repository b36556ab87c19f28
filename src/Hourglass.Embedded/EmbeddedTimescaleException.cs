namespace Hourglass.Embedded;

/// <summary>Why the embedded TimescaleDB could not start.</summary>
public enum EmbeddedTimescaleFailure
{
    /// <summary>No <c>node</c> executable was found.</summary>
    NodeMissing,

    /// <summary>The <c>node</c> found is older than 18.</summary>
    NodeTooOld,

    /// <summary>The requested port is already taken.</summary>
    PortInUse,

    /// <summary>The data directory cannot be created, written or read as a database.</summary>
    DataDirectoryUnusable,

    /// <summary>Installing the engine's npm packages failed.</summary>
    InstallFailed,

    /// <summary>The server process failed or did not become ready in time.</summary>
    StartFailed,

    /// <summary>
    /// <see cref="EmbeddedEngine.Native"/>: no PostgreSQL with TimescaleDB was found, or a part of it (a server binary, the
    /// extension's control file or library) is missing.
    /// </summary>
    NativeMissing,
}

/// <summary>The embedded TimescaleDB could not start; the message names the fix.</summary>
public sealed class EmbeddedTimescaleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmbeddedTimescaleException(EmbeddedTimescaleFailure failure, string message, Exception? innerException = null)
        : base(message, innerException) => Failure = failure;

    /// <summary>Creates the exception with a generic start failure.</summary>
    public EmbeddedTimescaleException() : this(EmbeddedTimescaleFailure.StartFailed, "The embedded TimescaleDB failed to start.") { }

    /// <summary>Creates the exception with a generic start failure.</summary>
    public EmbeddedTimescaleException(string message) : this(EmbeddedTimescaleFailure.StartFailed, message) { }

    /// <summary>Creates the exception with a generic start failure.</summary>
    public EmbeddedTimescaleException(string message, Exception innerException)
        : this(EmbeddedTimescaleFailure.StartFailed, message, innerException) { }

    /// <summary>What went wrong.</summary>
    public EmbeddedTimescaleFailure Failure { get; }
}
