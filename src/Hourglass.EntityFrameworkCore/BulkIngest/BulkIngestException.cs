namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>
/// A bulk insert or upsert was refused, either before sending (the model or a row does not fit) or by the server
/// (a constraint failed). Nothing of the failed transaction is kept.
/// </summary>
public sealed class BulkIngestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BulkIngestException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public BulkIngestException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the server's error.</summary>
    public BulkIngestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal BulkIngestException(string message, string? entityType, string? property, long? rowIndex, Exception? innerException = null)
        : base(message, innerException)
    {
        EntityType = entityType;
        Property = property;
        RowIndex = rowIndex;
    }

    /// <summary>The entity type concerned, when known.</summary>
    public string? EntityType { get; }

    /// <summary>The property concerned, when known.</summary>
    public string? Property { get; }

    /// <summary>Zero-based position in the source of the row that was refused, when known.</summary>
    public long? RowIndex { get; }
}
