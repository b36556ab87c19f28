using Hourglass;
using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Retention;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// A continuous aggregate as a hypertable of its own: its chunk interval, group indexes, columnstore settings and the
/// columnstore and retention policies on its buckets. The columnstore and the policies use the hypertables' annotations
/// and policy kinds (Columnstore/, Retention/, Policies/); this folder applies them to the view.
/// </summary>
/// <param name="ChunkInterval">The materialization hypertable's chunk interval; null for TimescaleDB's default.</param>
/// <param name="CreateGroupIndexes">Whether TimescaleDB creates the group indexes (its default, true).</param>
/// <param name="Columnstore">The columnstore settings by view column; null when the columnstore is off.</param>
/// <param name="ColumnstorePolicy">The columnstore policy; null when there is none.</param>
/// <param name="RetentionPolicy">The retention policy; null when there is none.</param>
internal sealed record ContinuousAggregateStorage(
    TimescaleInterval? ChunkInterval,
    bool CreateGroupIndexes,
    ColumnstoreSettings? Columnstore,
    PolicySettings? ColumnstorePolicy,
    PolicySettings? RetentionPolicy)
{
    /// <summary>The policy kinds an aggregate can have besides its refresh policy, in the order they are added.</summary>
    public static readonly HypertablePolicyKind[] PolicyKinds = [Hourglass.EntityFrameworkCore.Columnstore.ColumnstorePolicy.Kind, Hourglass.EntityFrameworkCore.Retention.RetentionPolicy.Kind];

    public static ContinuousAggregateStorage Resolve(IEntityType entityType, string view, string? schema)
    {
        var store = StoreObjectIdentifier.View(view, schema);
        return new ContinuousAggregateStorage(
            entityType.FindAnnotation(ContinuousAggregateAnnotationNames.ChunkInterval)?.Value is string interval ? TimescaleInterval.Parse(interval) : null,
            entityType.FindAnnotation(ContinuousAggregateAnnotationNames.CreateGroupIndexes)?.Value as bool? ?? true,
            ResolvedColumnstore.Resolve(entityType, p => entityType.FindProperty(p)?.GetColumnName(store)),
            Hourglass.EntityFrameworkCore.Columnstore.ColumnstorePolicy.Kind.Find(entityType),
            Hourglass.EntityFrameworkCore.Retention.RetentionPolicy.Kind.Find(entityType));
    }

    public PolicySettings? Policy(HypertablePolicyKind kind) => ReferenceEquals(kind, Hourglass.EntityFrameworkCore.Columnstore.ColumnstorePolicy.Kind) ? ColumnstorePolicy : RetentionPolicy;
}

/// <summary>
/// The refresh policy's batching and tiering options (TimescaleDB 2.18+/2.19+/2.20+); a null option is not set, and
/// TimescaleDB's default applies. Stored as JSON in <see cref="ContinuousAggregateAnnotationNames.RefreshOptions"/>.
/// </summary>
internal sealed record ContinuousAggregateRefreshOptions(int? BucketsPerBatch, int? MaxBatchesPerExecution, bool? RefreshNewestFirst, bool? IncludeTieredData)
{
    public static readonly ContinuousAggregateRefreshOptions Empty = new(null, null, null, null);

    /// <summary>The versions that added each option to <c>add_continuous_aggregate_policy</c>.</summary>
    public static readonly Version IncludeTieredDataVersion = new(2, 18);

    public static readonly Version BatchesVersion = new(2, 19);

    public static readonly Version NewestFirstVersion = new(2, 20);

    public bool IsEmpty => this == Empty;

    /// <summary>The options as (config key, SQL value, version needed), the ones set only.</summary>
    public IEnumerable<(string Key, string Value, Version Since)> Settings()
    {
        if (IncludeTieredData is { } tiered)
        {
            yield return ("include_tiered_data", tiered ? "true" : "false", IncludeTieredDataVersion);
        }

        if (BucketsPerBatch is { } buckets)
        {
            yield return ("buckets_per_batch", buckets.ToString(System.Globalization.CultureInfo.InvariantCulture), BatchesVersion);
        }

        if (MaxBatchesPerExecution is { } batches)
        {
            yield return ("max_batches_per_execution", batches.ToString(System.Globalization.CultureInfo.InvariantCulture), BatchesVersion);
        }

        if (RefreshNewestFirst is { } newest)
        {
            yield return ("refresh_newest_first", newest ? "true" : "false", NewestFirstVersion);
        }
    }

    /// <summary>Every option's config key, set or not (a change resets the ones no longer set).</summary>
    public static readonly string[] Keys = ["include_tiered_data", "buckets_per_batch", "max_batches_per_execution", "refresh_newest_first"];

    public static ContinuousAggregateRefreshOptions? Find(IReadOnlyAnnotatable entityType)
        => entityType.FindAnnotation(ContinuousAggregateAnnotationNames.RefreshOptions)?.Value is string json ? AnnotationJson.Deserialize<ContinuousAggregateRefreshOptions>(json) : null;

    public static void Store(IMutableEntityType entityType, ContinuousAggregateRefreshOptions options)
    {
        if (options.IsEmpty)
        {
            entityType.RemoveAnnotation(ContinuousAggregateAnnotationNames.RefreshOptions);
        }
        else
        {
            entityType.SetAnnotation(ContinuousAggregateAnnotationNames.RefreshOptions, AnnotationJson.Serialize(options));
        }
    }
}

/// <summary>Tunes a continuous aggregate's refresh policy; see <see cref="ContinuousAggregateBuilder.WithRefreshOptions"/>.</summary>
public sealed class ContinuousAggregateRefreshOptionsBuilder
{
    private readonly IReadOnlyEntityType _entityType;

    internal ContinuousAggregateRefreshOptionsBuilder(IReadOnlyEntityType entityType, ContinuousAggregateRefreshOptions options)
    {
        _entityType = entityType;
        Options = options;
    }

    internal ContinuousAggregateRefreshOptions Options { get; private set; }

    /// <summary>How many buckets each batch of a refresh materializes (<c>buckets_per_batch</c>, TimescaleDB 2.19+; its default is 10 since 2.25, 1 before).</summary>
    /// <param name="buckets">A positive number of buckets.</param>
    public ContinuousAggregateRefreshOptionsBuilder BucketsPerBatch(int buckets)
    {
        if (buckets < 1)
        {
            throw ContinuousAggregateModelErrors.Error(_entityType, "BucketsPerBatch", $"buckets_per_batch is {buckets}, and TimescaleDB needs at least one bucket per batch", "pass a positive number, e.g. BucketsPerBatch(10)");
        }

        Options = Options with { BucketsPerBatch = buckets };
        return this;
    }

    /// <summary>How many batches one run of the policy materializes at most (<c>max_batches_per_execution</c>, TimescaleDB 2.19+; 0, its default, for no limit).</summary>
    /// <param name="batches">Zero or a positive number of batches.</param>
    public ContinuousAggregateRefreshOptionsBuilder MaxBatchesPerExecution(int batches)
    {
        if (batches < 0)
        {
            throw ContinuousAggregateModelErrors.Error(_entityType, "MaxBatchesPerExecution", $"max_batches_per_execution is {batches}", "pass 0 for no limit, or a positive number of batches");
        }

        Options = Options with { MaxBatchesPerExecution = batches };
        return this;
    }

    /// <summary>Whether batches go from the newest buckets to the oldest (<c>refresh_newest_first</c>, TimescaleDB 2.20+; true by default).</summary>
    /// <param name="newestFirst">False to refresh the oldest buckets first.</param>
    public ContinuousAggregateRefreshOptionsBuilder NewestFirst(bool newestFirst = true)
    {
        Options = Options with { RefreshNewestFirst = newestFirst };
        return this;
    }

    /// <summary>Whether the refresh reads data tiered to object storage (<c>include_tiered_data</c>, TimescaleDB 2.18+; by default the server setting decides).</summary>
    /// <param name="include">True to read tiered data, false not to.</param>
    public ContinuousAggregateRefreshOptionsBuilder IncludeTieredData(bool include = true)
    {
        Options = Options with { IncludeTieredData = include };
        return this;
    }
}

/// <summary>
/// Sets the chunk interval of a continuous aggregate's own hypertable: <c>ALTER MATERIALIZED VIEW ... SET
/// (timescaledb.chunk_interval = ...)</c> on TimescaleDB 2.20+, <c>set_chunk_time_interval</c> on its materialization
/// hypertable before. New chunks get it; existing ones keep theirs.
/// </summary>
public sealed class SetContinuousAggregateChunkIntervalOperation : TimescaleMigrationOperation
{
    /// <summary>The chunk interval as canonical interval text (digits for integer time); null for TimescaleDB's default (ten times the source's).</summary>
    public string? ChunkInterval { get; set; }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"chunk interval {ChunkInterval ?? "(default)"} of continuous aggregate {DisplayTable}";
}

/// <summary>
/// Enables or changes the columnstore of a continuous aggregate: <c>ALTER MATERIALIZED VIEW ... SET
/// (timescaledb.enable_columnstore = true, timescaledb.segmentby = ..., timescaledb.orderby = ...)</c>
/// (<c>timescaledb.compress*</c> before TimescaleDB 2.18).
/// </summary>
public sealed class SetContinuousAggregateColumnstoreOperation : TimescaleMigrationOperation
{
    /// <summary>Comma-separated segmentby columns; null leaves the choice to TimescaleDB.</summary>
    public string? SegmentBy { get; set; }

    /// <summary>The orderby text with column names, e.g. <c>bucket DESC</c>; null for TimescaleDB's (the bucket and the GROUP BY columns).</summary>
    public string? OrderBy { get; set; }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"columnstore settings of continuous aggregate {DisplayTable}";
}

/// <summary>
/// Disables the columnstore of a continuous aggregate; its chunks in the columnstore are converted back to rowstore
/// first, since TimescaleDB refuses to disable it while any exist.
/// </summary>
public sealed class DisableContinuousAggregateColumnstoreOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"disabling the columnstore of continuous aggregate {DisplayTable}";
}

/// <summary>
/// Changes the refresh policy's batching and tiering options in place: <c>alter_job(job_id, config =&gt; ...)</c>; the
/// job keeps its id and history.
/// </summary>
public sealed class AlterContinuousAggregatePolicyOptionsOperation : TimescaleMigrationOperation
{
    /// <summary><c>buckets_per_batch</c>; null to reset it to TimescaleDB's default.</summary>
    public int? BucketsPerBatch { get; set; }

    /// <summary><c>max_batches_per_execution</c>; null to reset it.</summary>
    public int? MaxBatchesPerExecution { get; set; }

    /// <summary><c>refresh_newest_first</c>; null to reset it.</summary>
    public bool? RefreshNewestFirst { get; set; }

    /// <summary><c>include_tiered_data</c>; null to reset it.</summary>
    public bool? IncludeTieredData { get; set; }

    internal ContinuousAggregateRefreshOptions Options => new(BucketsPerBatch, MaxBatchesPerExecution, RefreshNewestFirst, IncludeTieredData);

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"refresh options of continuous aggregate {DisplayTable}";
}
