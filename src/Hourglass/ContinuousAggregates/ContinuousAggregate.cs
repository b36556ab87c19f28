namespace Hourglass;

/// <summary>A continuous aggregate: its query, what it reads, how fresh it is, and its refresh policies.</summary>
/// <param name="Schema">The view's schema.</param>
/// <param name="Name">The view's name.</param>
/// <param name="SourceSchema">The schema of what it reads: a hypertable, or for an aggregate on an aggregate, the parent aggregate.</param>
/// <param name="SourceName">The name of what it reads.</param>
/// <param name="IsOnAggregate">Whether it reads another continuous aggregate (hierarchical).</param>
/// <param name="MaterializedOnly">Whether queries see only materialized data (no real-time part).</param>
/// <param name="ColumnstoreEnabled">Whether its materialization has the columnstore enabled.</param>
/// <param name="Definition">The view's SELECT.</param>
/// <param name="TimeColumnType">The type of its bucket column.</param>
/// <param name="Watermark">For time buckets: materialized up to here; null before the first refresh.</param>
/// <param name="WatermarkInteger">For integer buckets: materialized up to here; null before the first refresh.</param>
/// <param name="Policies">Its refresh (and other) policies.</param>
public sealed record ContinuousAggregate(
    string Schema,
    string Name,
    string SourceSchema,
    string SourceName,
    bool IsOnAggregate,
    bool MaterializedOnly,
    bool ColumnstoreEnabled,
    string Definition,
    string? TimeColumnType,
    DateTimeOffset? Watermark,
    long? WatermarkInteger,
    IReadOnlyList<Job> Policies)
{
    /// <summary>"schema.name".</summary>
    public string QualifiedName => $"{Schema}.{Name}";

    /// <summary>Whether it was ever refreshed (the watermark moved off the time type's minimum).</summary>
    public bool IsRefreshed => Watermark is not null || WatermarkInteger is not null;
}
