using Hourglass.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>
/// Enables the columnstore (compression) of the entity's hypertable, like <c>WithColumnstore</c>; the entity also needs
/// <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class ColumnstoreAttribute : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Columnstore";

    string? ITimescaleModelAttribute.Property => null;

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

    /// <summary>
    /// Rows written by COPY and INSERT go straight into columnstore chunks (<c>timescaledb.direct_compress</c>, TimescaleDB
    /// 2.29+), like <c>DirectCompress()</c>; TimescaleDB then runs its own columnstore policy, so no <see cref="PolicyAfter"/>.
    /// </summary>
    public bool DirectCompress { get; set; }

    /// <summary>When set, a columnstore policy converts chunks older than this interval, e.g. <c>"7 days"</c> (digits for integer time columns).</summary>
    public string? PolicyAfter { get; set; }

    /// <summary>
    /// Instead of <see cref="PolicyAfter"/>: a columnstore policy converts chunks created longer ago than this interval
    /// (<c>created_before</c>, TimescaleDB 2.13+), e.g. <c>"7 days"</c>.
    /// </summary>
    public string? PolicyCreatedBefore { get; set; }
}
