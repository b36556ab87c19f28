namespace Hourglass;

/// <summary>
/// A TimescaleDB call that cannot be made as asked: the extension is missing, the server is too old for the call, the
/// table is not a hypertable, a job selector matches no job or several. The message names the object and the fix.
/// </summary>
public sealed class TimescaleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TimescaleException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed and how to fix it.</param>
    public TimescaleException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public TimescaleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Set when the object the call named (a job, so far) does not exist, so callers can word their own fix.</summary>
    public bool IsNotFound { get; init; }
}
