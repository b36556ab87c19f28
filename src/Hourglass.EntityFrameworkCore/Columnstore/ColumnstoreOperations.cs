using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>
/// Enables or changes the columnstore: <c>ALTER TABLE ... SET (timescaledb.enable_columnstore = true,
/// timescaledb.segmentby = ..., timescaledb.orderby = ...)</c> (<c>timescaledb.compress*</c> before TimescaleDB 2.18).
/// </summary>
public sealed class SetColumnstoreOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <summary>Comma-separated segmentby columns; null leaves the choice to TimescaleDB.</summary>
    public string? SegmentBy { get; set; }

    /// <summary>The orderby text with column names, e.g. <c>Time DESC</c>; null leaves the choice to TimescaleDB.</summary>
    public string? OrderBy { get; set; }

    /// <summary>
    /// The sparse indexes with column names, e.g. <c>bloom(tag), minmax(value)</c> (<c>timescaledb.sparse_index</c>,
    /// TimescaleDB 2.22+); <c>""</c> turns the automatic sparse indexes off; null leaves the choice to TimescaleDB.
    /// </summary>
    public string? SparseIndexes { get; set; }

    /// <summary>Canonical interval text of <c>timescaledb.compress_chunk_time_interval</c>; null for none.</summary>
    public string? MergedChunkInterval { get; set; }

    /// <summary>When true (a change of existing settings), a null setting goes back to TimescaleDB's default.</summary>
    public bool ResetUnset { get; set; }

    /// <inheritdoc />
    public override string Describe() => $"columnstore settings of hypertable {DisplayTable}";
}

/// <summary>
/// Disables the columnstore (<c>timescaledb.enable_columnstore = false</c>); chunks already in the columnstore are
/// converted back to rowstore first, since TimescaleDB refuses to disable it while any exist.
/// </summary>
public sealed class DisableColumnstoreOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"disabling the columnstore of hypertable {DisplayTable}";
}

/// <summary>Adds a columnstore policy: <c>add_columnstore_policy(table, after =&gt; interval)</c> (<c>add_compression_policy</c> before 2.18).</summary>
public sealed class AddColumnstorePolicyOperation : AddHypertablePolicyOperation
{
    /// <summary>The age of chunks to convert: canonical interval text, or digits for integer time columns.</summary>
    public string After { get; set; } = "";

    internal override HypertablePolicyKind Kind => ColumnstorePolicy.Kind;

    /// <summary>Instead of <see cref="After"/>: converts chunks created longer ago than this interval (<c>created_before</c>).</summary>
    public string? CreatedBefore { get; set; }

    internal override string Argument { get => After; set => After = value; }

    internal override string? CreatedBeforeArgument { get => CreatedBefore; set => CreatedBefore = value; }
}

/// <summary>Removes the columnstore policy: <c>remove_columnstore_policy(table, if_exists =&gt; true)</c>.</summary>
public sealed class RemoveColumnstorePolicyOperation : RemoveHypertablePolicyOperation
{
    internal override HypertablePolicyKind Kind => ColumnstorePolicy.Kind;
}
