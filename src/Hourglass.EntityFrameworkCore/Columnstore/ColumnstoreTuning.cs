using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>The columnstore's tuning options beyond segmentby and orderby: sparse indexes and the merged chunk interval.</summary>
internal static class ColumnstoreTuning
{
    /// <summary><c>compress_chunk_time_interval</c>: a fixed positive length (TimescaleDB refuses months), time columns only.</summary>
    public static IntervalUse MergedChunkIntervalUse { get; } = new(
        "merged chunk interval",
        "give a positive time span such as TimeSpan.FromDays(7) or \"7 days\" (no months; TimescaleDB merges chunks of time columns only)")
    {
        AllowsInteger = false,
    };

    /// <summary>Checks sparse indexes and the merged chunk interval, naming the entity, the property and the fix.</summary>
    public static void Validate(IReadOnlyEntityType entityType, ColumnstoreDefinition definition)
    {
        var aggregate = entityType.FindAnnotation(ContinuousAggregates.ContinuousAggregateAnnotationNames.Sql) is not null
            || ContinuousAggregates.ContinuousAggregateQuery.Find(entityType) is not null;
        if (aggregate && (definition.SparseIndexes is not null || definition.MergedChunkInterval is not null))
        {
            throw HypertableFeatureChecks.Error(
                "Columnstore", entityType, "(view)",
                "sparse indexes and MergeChunksUpTo(...) are modelled for hypertables only, not yet for a continuous aggregate's columnstore",
                "remove them from the aggregate's WithColumnstore(...), or set them on the aggregate's materialization hypertable in SQL");
        }

        if (definition.MergedChunkInterval is { } merged
            && HypertableDefinition.Find(entityType) is { } hypertable
            && entityType.FindProperty(hypertable.TimeProperty) is { } time
            && HypertableColumnTypes.IsInteger(time))
        {
            throw HypertableFeatureChecks.Error(
                "Columnstore", entityType, hypertable.TimeProperty,
                $"MergeChunksUpTo(\"{merged}\") needs a date/time column, and the time column is an integer (TimescaleDB merges chunks by time only)",
                "remove MergeChunksUpTo(...) for this hypertable");
        }

        if (definition.SparseIndexes is not { } indexes)
        {
            return;
        }

        if (definition.OrderBy.Count == 0)
        {
            throw HypertableFeatureChecks.Error(
                "Columnstore", entityType, "(table)",
                $"sparse indexes ({(indexes.Count == 0 ? "none, the automatic ones off" : SparseIndex.Format(indexes))}) need an explicit orderby, and TimescaleDB refuses them without one",
                "add OrderBy(...), e.g. OrderBy(x => x.Time, descending: true)");
        }

        var seen = new HashSet<SparseIndex>();
        foreach (var index in indexes)
        {
            var method = index.Kind switch { SparseIndexKind.Bloom => "Bloom", SparseIndexKind.MinMax => "MinMax", _ => "FirstLast" };
            foreach (var property in index.Columns)
            {
                ColumnstoreValidationConvention.RequireProperty(entityType, property, method);
                if (definition.SegmentBy.Contains(property))
                {
                    throw HypertableFeatureChecks.Error(
                        "Columnstore", entityType, property,
                        $"{index} is on a segmentby column, and TimescaleDB refuses sparse indexes there (each batch has one value of it)",
                        $"remove {method}(...) for '{property}', or take it out of SegmentBy(...)");
                }
            }

            if (index.Kind != SparseIndexKind.Bloom && index.Columns.Count != 1)
            {
                throw HypertableFeatureChecks.Error("Columnstore", entityType, string.Join(", ", index.Columns), $"{index} names several properties, and only bloom indexes can be composite", $"declare one {method}(...) per property");
            }

            if (index.Columns.Count > SparseIndex.MaxBloomColumns || index.Columns.Distinct(StringComparer.Ordinal).Count() != index.Columns.Count)
            {
                throw HypertableFeatureChecks.Error("Columnstore", entityType, string.Join(", ", index.Columns), $"{index} repeats a property or has more than {SparseIndex.MaxBloomColumns}", $"name each property once, at most {SparseIndex.MaxBloomColumns}");
            }

            if (!seen.Add(index))
            {
                throw HypertableFeatureChecks.Error("Columnstore", entityType, string.Join(", ", index.Columns), $"{index} is declared twice", "declare each sparse index once");
            }
        }
    }
}
