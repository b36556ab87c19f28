namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>How <see cref="Microsoft.EntityFrameworkCore.BulkIngestDbContextExtensions.BulkInsertAsync{T}(Microsoft.EntityFrameworkCore.DbContext, IEnumerable{T}, BulkInsertOptions?, CancellationToken)"/>
/// and <c>BulkUpsertAsync</c> send rows.</summary>
public sealed class BulkInsertOptions
{
    /// <summary>
    /// Commit after every this many rows. <see langword="null"/> (the default) sends everything in one transaction:
    /// all or nothing. With a value, a failure or cancellation keeps the batches already committed and loses only the
    /// current one. Not allowed while the context has a transaction open.
    /// </summary>
    public long? CommitEvery { get; set; }

    /// <summary>Receives the number of rows sent so far, every <see cref="ProgressInterval"/> rows and at the end.</summary>
    public IProgress<long>? Progress { get; set; }

    /// <summary>How many rows between two <see cref="Progress"/> reports; 10,000 unless set.</summary>
    public int ProgressInterval { get; set; } = 10_000;

    /// <summary>Time allowed for each server round trip of the COPY and of the upsert statement; the context's command timeout unless set.</summary>
    public TimeSpan? Timeout { get; set; }
}
