using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>Annotation names: the model snapshot stores a hypertable's columnstore as these entity-type annotations.</summary>
internal static class ColumnstoreAnnotationNames
{
    public const string Prefix = "Hourglass:Columnstore:";
    public const string Enabled = Prefix + "Enabled";
    public const string SegmentBy = Prefix + "SegmentBy";
    public const string OrderBy = Prefix + "OrderBy";
    public const string PolicyAfter = Prefix + "PolicyAfter";

    /// <summary>"bloom(Tag), minmax(Value)" with property names; "" turns TimescaleDB's automatic sparse indexes off.</summary>
    public const string SparseIndexes = Prefix + "SparseIndexes";

    /// <summary>Canonical interval text of <c>compress_chunk_time_interval</c>.</summary>
    public const string MergedChunkInterval = Prefix + "MergedChunkInterval";
    public const string PolicySchedule = Prefix + "PolicySchedule";
}

/// <summary>The orderby annotation's value: JSON such as <c>[{"Name":"Time","Descending":true}]</c>.</summary>
internal static class ColumnstoreOrderAnnotation
{
    public static string ToAnnotation(IEnumerable<ColumnstoreOrder> entries) => AnnotationJson.Serialize(entries.ToList());

    /// <summary>Reads the annotation value, also as snapshots before the JSON codec wrote it ("Time DESC, Sequence").</summary>
    public static List<ColumnstoreOrder> FromAnnotation(string? value)
        => AnnotationJson.IsJson(value) ? AnnotationJson.Deserialize<List<ColumnstoreOrder>>(value!) : ColumnstoreOrder.Parse(value, out _) ?? [];
}

/// <summary>A hypertable's columnstore as declared on an entity type (by property names); its policy is in <see cref="ColumnstorePolicy"/>.</summary>
internal sealed record ColumnstoreDefinition(
    IReadOnlyList<string> SegmentBy,
    IReadOnlyList<ColumnstoreOrder> OrderBy,
    IReadOnlyList<SparseIndex>? SparseIndexes = null,
    string? MergedChunkInterval = null)
{
    public static ColumnstoreDefinition? Find(IReadOnlyAnnotatable entityType)
    {
        if (entityType.FindAnnotation(ColumnstoreAnnotationNames.Enabled)?.Value is not true)
        {
            return null;
        }

        return new ColumnstoreDefinition(
            SegmentByFromAnnotation(entityType.FindAnnotation(ColumnstoreAnnotationNames.SegmentBy)?.Value as string),
            ColumnstoreOrderAnnotation.FromAnnotation(entityType.FindAnnotation(ColumnstoreAnnotationNames.OrderBy)?.Value as string),
            entityType.FindAnnotation(ColumnstoreAnnotationNames.SparseIndexes)?.Value is string sparse ? SparseIndex.Parse(sparse, out _) ?? [] : null,
            entityType.FindAnnotation(ColumnstoreAnnotationNames.MergedChunkInterval)?.Value as string);
    }

    /// <summary>The annotation value: a JSON array of property names.</summary>
    public static string SegmentByToAnnotation(IEnumerable<string> properties) => AnnotationJson.Serialize(properties.ToList());

    /// <summary>Reads the annotation value, also as snapshots before the JSON codec wrote it ("DeviceId, Other").</summary>
    public static List<string> SegmentByFromAnnotation(string? value)
        => AnnotationJson.IsJson(value) ? AnnotationJson.Deserialize<List<string>>(value!) : SplitList(value);

    public static List<string> SplitList(string? text)
        => string.IsNullOrWhiteSpace(text) ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}

/// <summary>An entity type's columnstore with its property names resolved to the table's column names.</summary>
internal static class ResolvedColumnstore
{
    public static ColumnstoreSettings? Resolve(IEntityType? entityType, Func<string, string?> column)
    {
        if (entityType is null)
        {
            return null;
        }

        if (ColumnstoreDefinition.Find(entityType) is not { } definition)
        {
            return null;
        }

        return new ColumnstoreSettings(
            definition.SegmentBy.Select(p => column(p) ?? p).ToList(),
            definition.OrderBy.Select(o => o with { Name = column(o.Name) ?? o.Name }).ToList(),
            definition.SparseIndexes?.Select(i => i with { Columns = i.Columns.Select(p => column(p) ?? p).ToList() }).ToList(),
            definition.MergedChunkInterval is { } merged && TimescaleInterval.TryParse(merged, out var interval, out _) ? interval : null);
    }
}
