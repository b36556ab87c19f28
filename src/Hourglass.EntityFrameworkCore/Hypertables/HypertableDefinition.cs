using System.Globalization;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Annotation names: the model snapshot stores a hypertable as these entity-type annotations.</summary>
internal static class HypertableAnnotationNames
{
    public const string Prefix = "Hourglass:Hypertable:";
    public const string TimeProperty = Prefix + "TimeProperty";
    public const string ChunkInterval = Prefix + "ChunkInterval";
    public const string Dimensions = Prefix + "Dimensions";
    public const string CreateDefaultIndexes = Prefix + "CreateDefaultIndexes";
    public const string MigrateData = Prefix + "MigrateData";
    public const string IntegerNowFunction = Prefix + "IntegerNowFunction";
}

/// <summary>An extra partitioning dimension, by property: hash (with partitions) or range (with an optional interval).</summary>
internal sealed record HypertableDimension(string Property, int? Partitions, TimescaleInterval? Interval)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsHash => Partitions is not null;

    /// <summary>The annotation value: JSON such as <c>[{"Property":"DeviceId","Partitions":4}]</c>.</summary>
    public static string Format(IEnumerable<HypertableDimension> dimensions) => AnnotationJson.Serialize(dimensions.ToList());

    /// <summary>Reads the annotation value, also as snapshots before the JSON codec wrote it ("hash(DeviceId, 4); range(x, 1 day)").</summary>
    public static List<HypertableDimension> Parse(string? text)
    {
        if (AnnotationJson.IsJson(text))
        {
            return AnnotationJson.Deserialize<List<HypertableDimension>>(text!);
        }

        var result = new List<HypertableDimension>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }

        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var open = entry.IndexOf('(', StringComparison.Ordinal);
            var kind = entry[..open];
            var arguments = entry[(open + 1)..^1].Split(',', 2, StringSplitOptions.TrimEntries);
            result.Add(kind == "hash"
                ? new HypertableDimension(arguments[0], int.Parse(arguments[1], CultureInfo.InvariantCulture), null)
                : new HypertableDimension(arguments[0], null, arguments.Length > 1 ? TimescaleInterval.Parse(arguments[1]) : null));
        }

        return result;
    }
}

/// <summary>A hypertable as declared on an entity type (by property names).</summary>
internal sealed record HypertableDefinition(
    string TimeProperty,
    TimescaleInterval? ChunkInterval,
    IReadOnlyList<HypertableDimension> Dimensions,
    bool CreateDefaultIndexes,
    bool MigrateData,
    string? IntegerNowFunction)
{
    public static HypertableDefinition? Find(IReadOnlyAnnotatable entityType)
    {
        if (entityType.FindAnnotation(HypertableAnnotationNames.TimeProperty)?.Value is not string timeProperty)
        {
            return null;
        }

        return new HypertableDefinition(
            timeProperty,
            entityType.FindAnnotation(HypertableAnnotationNames.ChunkInterval)?.Value is string interval ? TimescaleInterval.Parse(interval) : null,
            HypertableDimension.Parse(entityType.FindAnnotation(HypertableAnnotationNames.Dimensions)?.Value as string),
            entityType.FindAnnotation(HypertableAnnotationNames.CreateDefaultIndexes)?.Value as bool? ?? true,
            entityType.FindAnnotation(HypertableAnnotationNames.MigrateData)?.Value as bool? ?? false,
            entityType.FindAnnotation(HypertableAnnotationNames.IntegerNowFunction)?.Value as string);
    }

    public static HypertableDefinition? Find(IReadOnlyEntityType entityType) => Find((IReadOnlyAnnotatable)entityType);
}
