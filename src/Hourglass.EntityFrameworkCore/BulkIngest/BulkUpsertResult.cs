namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>What a bulk upsert did with the rows it was given.</summary>
/// <param name="Inserted">Rows that were new and were inserted.</param>
/// <param name="Updated">Rows that matched an existing row and updated it (DO UPDATE only).</param>
/// <param name="Skipped">Rows that changed nothing: conflicts under DO NOTHING; under DO UPDATE, conflicts whose updated columns already held the incoming values (unless <c>RewriteUnchangedRows()</c>); and the repeats of a key within one batch that were not kept (DO UPDATE keeps the last, DO NOTHING the first).</param>
public sealed record BulkUpsertResult(long Inserted, long Updated, long Skipped)
{
    /// <summary>All rows read from the source.</summary>
    public long Total => Inserted + Updated + Skipped;
}
