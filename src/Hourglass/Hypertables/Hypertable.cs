namespace Hourglass;

/// <summary>A hypertable with its dimensions, size, row estimate and columnstore state.</summary>
/// <param name="Schema">The hypertable's schema.</param>
/// <param name="Name">The hypertable's name.</param>
/// <param name="Owner">The owning role.</param>
/// <param name="Dimensions">Its dimensions in order; the first is the primary (time) dimension.</param>
/// <param name="ChunkCount">Number of chunks.</param>
/// <param name="Size">Bytes of all chunks and the root (hypertable_detailed_size).</param>
/// <param name="ApproximateRowCount">
/// approximate_row_count(); null when the hypertable has chunks none of which was ever analyzed, where the estimate would
/// wrongly read 0 (run ANALYZE, or let autovacuum do it).
/// </param>
/// <param name="ColumnstoreEnabled">Whether the columnstore (compression) is enabled.</param>
/// <param name="ColumnstoreSettings">segmentby and orderby; null when the columnstore is off.</param>
/// <param name="ColumnstoreStats">Converted chunks and bytes before and after; null when the columnstore is off.</param>
public sealed record Hypertable(
    string Schema,
    string Name,
    string? Owner,
    IReadOnlyList<Dimension> Dimensions,
    int ChunkCount,
    RelationSize Size,
    long? ApproximateRowCount,
    bool ColumnstoreEnabled,
    ColumnstoreSettings? ColumnstoreSettings,
    ColumnstoreStats? ColumnstoreStats)
{
    /// <summary>"schema.name".</summary>
    public string QualifiedName => $"{Schema}.{Name}";

    /// <summary>
    /// Rows inserted, updated or deleted in the hypertable's chunks since they were last analyzed (the sum of
    /// <c>pg_stat_user_tables.n_mod_since_analyze</c> over the chunks). <see cref="ApproximateRowCount"/> comes from the
    /// statistics of the last ANALYZE, so when this is large against it the estimate is stale: run ANALYZE (autovacuum
    /// does so once a chunk has changed by its analyze threshold). PostgreSQL's cumulative statistics reach this view
    /// within a second or so of a commit.
    /// </summary>
    public long RowsModifiedSinceAnalyze { get; init; }

    /// <summary>The primary (first range) dimension.</summary>
    public Dimension? PrimaryDimension => Dimensions.FirstOrDefault(d => d.Kind == DimensionKind.Range);
}

/// <summary>One partitioning dimension of a hypertable.</summary>
/// <param name="Number">1 for the primary dimension, then 2, 3...</param>
/// <param name="Column">The partitioning column.</param>
/// <param name="ColumnType">The column's type, e.g. "timestamp with time zone" or "bigint".</param>
/// <param name="Kind">Range (time or integer intervals) or hash partitions.</param>
/// <param name="Interval">A time column's chunk interval.</param>
/// <param name="IntegerInterval">An integer column's chunk interval.</param>
/// <param name="Partitions">A hash dimension's number of partitions.</param>
/// <param name="IntegerNowFunction">An integer time column's "now" function, which interval-based policies need.</param>
public sealed record Dimension(
    int Number,
    string Column,
    string ColumnType,
    DimensionKind Kind,
    TimeSpan? Interval,
    long? IntegerInterval,
    int? Partitions,
    string? IntegerNowFunction);

/// <summary>How a dimension partitions.</summary>
public enum DimensionKind
{
    /// <summary>Ranges of time or integer values, one chunk per interval.</summary>
    Range,

    /// <summary>A fixed number of hash partitions.</summary>
    Hash,
}

/// <summary>Bytes on disk.</summary>
/// <param name="TableBytes">Heap.</param>
/// <param name="IndexBytes">Indexes.</param>
/// <param name="ToastBytes">TOAST.</param>
/// <param name="TotalBytes">All of them.</param>
public sealed record RelationSize(long TableBytes, long IndexBytes, long ToastBytes, long TotalBytes)
{
    /// <summary>Nothing.</summary>
    public static RelationSize Zero { get; } = new(0, 0, 0, 0);
}

/// <summary>How much the columnstore holds and saves (hypertable_columnstore_stats or, before 2.18, hypertable_compression_stats).</summary>
/// <param name="TotalChunks">All chunks.</param>
/// <param name="ConvertedChunks">Chunks in the columnstore.</param>
/// <param name="BeforeBytes">Bytes the converted chunks took in the rowstore; null when nothing is converted.</param>
/// <param name="AfterBytes">Bytes they take in the columnstore; null when nothing is converted.</param>
public sealed record ColumnstoreStats(int TotalChunks, int ConvertedChunks, long? BeforeBytes, long? AfterBytes)
{
    /// <summary>Before / after, e.g. 12.5 for 12.5 : 1; null when nothing is converted.</summary>
    public double? Ratio => BeforeBytes is > 0 && AfterBytes is > 0 ? (double)BeforeBytes.Value / AfterBytes.Value : null;

    /// <summary>The share of bytes saved, 0..1 (0.92 = 92 % smaller); null when nothing is converted.</summary>
    public double? Savings => BeforeBytes is > 0 && AfterBytes is not null ? 1 - ((double)AfterBytes.Value / BeforeBytes.Value) : null;
}
