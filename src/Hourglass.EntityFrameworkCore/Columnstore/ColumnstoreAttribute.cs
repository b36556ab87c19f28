namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>
/// Enables the columnstore (compression) of the entity's hypertable, like <c>WithColumnstore</c>; the entity also needs
/// <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class ColumnstoreAttribute : Attribute
{
    /// <summary>Comma-separated property names whose rows are compressed together, e.g. <c>"DeviceId"</c>.</summary>
    public string? SegmentBy { get; set; }

    /// <summary>The order inside compressed batches, e.g. <c>"Time DESC"</c>.</summary>
    public string? OrderBy { get; set; }

    /// <summary>
    /// Sparse indexes with property names, e.g. <c>"bloom(Tag), minmax(Value), bloom(Tag, DeviceId)"</c>
    /// (<c>timescaledb.sparse_index</c>); <c>""</c> turns TimescaleDB's automatic sparse indexes off. Needs <see cref="OrderBy"/>.
    /// </summary>
    public string? SparseIndexes { get; set; }

    /// <summary>Merges chunks when they are converted, up to this span, e.g. <c>"7 days"</c> (<c>timescaledb.compress_chunk_time_interval</c>).</summary>
    public string? MergeChunksUpTo { get; set; }

    /// <summary>When set, a columnstore policy converts chunks older than this interval, e.g. <c>"7 days"</c> (digits for integer time columns).</summary>
    public string? PolicyAfter { get; set; }
}
