using Microsoft.EntityFrameworkCore.Storage;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>
/// Checks hypertable declarations and explains every problem as "entity, property, what is wrong, how to fix it", when the
/// model is built: before anything reaches the database.
/// </summary>
internal static class HypertableModelErrors
{
    public static InvalidOperationException Error(IReadOnlyEntityType entityType, string property, string problem, string fix)
        => TimescaleModelError.Create("Hypertable", entityType, property, problem, fix);

    /// <summary>A chunk or range interval (text, time span or integer), or the error naming entity, property and fix.</summary>
    public static TimescaleInterval Interval(IReadOnlyEntityType entityType, string property, object interval)
        => IntervalUse.ChunkInterval.Require(interval, "Hypertable", entityType, property);

    public static HypertableDimension HashDimension(IReadOnlyEntityType entityType, string property, int partitions)
        => partitions >= 1
            ? new HypertableDimension(property, partitions, null)
            : throw Error(entityType, property, $"a hash dimension needs at least 1 partition, not {partitions}", "pass a partition count of 1 or more, e.g. PartitionByHash(x => x." + property + ", 4)");

    /// <summary>Throws for the first problem in the model's hypertable declarations.</summary>
    public static void Validate(IReadOnlyModel model, IRelationalTypeMappingSource typeMappings)
    {
        var byTable = new Dictionary<(string? Schema, string Table), IReadOnlyEntityType>();
        foreach (var entityType in model.GetEntityTypes())
        {
            if (HypertableDefinition.Find(entityType) is not { } definition)
            {
                continue;
            }

            var table = entityType.GetTableName();
            if (table is null)
            {
                throw Error(entityType, definition.TimeProperty, "the entity is not mapped to a table", "map it with ToTable(...) or remove IsHypertable");
            }

            var key = (entityType.GetSchema(), table);
            if (byTable.TryGetValue(key, out var other))
            {
                throw Error(
                    entityType,
                    definition.TimeProperty,
                    $"table '{table}' is already declared a hypertable by entity '{other.DisplayName()}'",
                    "declare IsHypertable on one of the entity types sharing the table only");
            }

            byTable[key] = entityType;
            ValidateTimeColumn(entityType, definition, typeMappings);
            ValidateDimensions(entityType, definition, typeMappings);
            ValidateUniqueness(entityType, definition);
        }
    }

    private static void ValidateTimeColumn(IReadOnlyEntityType entityType, HypertableDefinition definition, IRelationalTypeMappingSource typeMappings)
    {
        var name = definition.TimeProperty;
        var property = entityType.FindProperty(name)
            ?? throw Error(entityType, name, "the time property does not exist", $"point IsHypertable at an existing property of '{entityType.DisplayName()}'");
        var type = HypertableColumnTypes.StoredType(property);
        if (!HypertableColumnTypes.IsSupported(property, typeMappings))
        {
            throw Error(entityType, name, $"the time column type {type.Name} cannot partition a hypertable", $"use {HypertableColumnTypes.SupportedList}");
        }

        if (property.IsNullable)
        {
            throw Error(entityType, name, "the time column is nullable and TimescaleDB requires NOT NULL", $"make '{name}' non-nullable (e.g. DateTime instead of DateTime?) or call Property(x => x.{name}).IsRequired()");
        }

        if (HypertableColumnTypes.IsInteger(property, typeMappings))
        {
            if (definition.ChunkInterval is not { IsInteger: true })
            {
                throw Error(entityType, name, $"the integer time column needs an integer chunk interval, not {definition.ChunkInterval?.ToString() ?? "none"}", "call WithChunkInterval(n) with the number of time units per chunk, e.g. WithChunkInterval(86_400_000) for milliseconds");
            }
        }
        else if (definition.ChunkInterval is { IsInteger: true } && HypertableColumnTypes.IsUuid(property, typeMappings))
        {
            throw Error(entityType, name, $"the chunk interval {definition.ChunkInterval} is a number, but a UUIDv7 column is partitioned by the timestamp in its first 48 bits, so its chunks need a time interval", $"give a time interval, e.g. IsHypertable(x => x.{name}).WithChunkInterval(TimeSpan.FromDays(1)) or \"1 day\"");
        }
        else if (definition.ChunkInterval is { IsInteger: true })
        {
            throw Error(entityType, name, $"the chunk interval {definition.ChunkInterval} is a number but the time column is {type.Name}", "give a time interval such as TimeSpan.FromDays(1) or \"1 day\"");
        }

        if (definition.IntegerNowFunction is not null && !HypertableColumnTypes.IsInteger(property, typeMappings))
        {
            throw Error(entityType, name, "an integer-now function only applies to integer time columns", "remove WithIntegerNowFunction or use an integer time column");
        }
    }

    private static void ValidateDimensions(IReadOnlyEntityType entityType, HypertableDefinition definition, IRelationalTypeMappingSource typeMappings)
    {
        foreach (var dimension in definition.Dimensions)
        {
            var property = entityType.FindProperty(dimension.Property)
                ?? throw Error(entityType, dimension.Property, "the dimension's property does not exist", $"name an existing property of '{entityType.DisplayName()}' in PartitionByHash/PartitionByRange");
            if (dimension.Property == definition.TimeProperty)
            {
                throw Error(entityType, dimension.Property, "the time column is already the hypertable's first dimension", "partition by another column");
            }

            if (dimension.Partitions is < 1)
            {
                throw HashDimensionError(entityType, dimension);
            }

            if (dimension.IsHash)
            {
                continue;
            }

            var type = HypertableColumnTypes.StoredType(property);
            if (!HypertableColumnTypes.IsSupported(property, typeMappings))
            {
                throw Error(entityType, dimension.Property, $"a range dimension cannot use the type {type.Name}", $"use {HypertableColumnTypes.SupportedList}, or PartitionByHash");
            }

            if (dimension.Interval is { IsInteger: true } && HypertableColumnTypes.IsUuid(property, typeMappings))
            {
                throw Error(entityType, dimension.Property, $"the range interval {dimension.Interval} is a number, but a UUIDv7 column is partitioned by the timestamp in its first 48 bits", $"give a time interval, e.g. PartitionByRange(x => x.{dimension.Property}, TimeSpan.FromDays(1))");
            }

            if (dimension.Interval is { } range && HypertableColumnTypes.IsInteger(property, typeMappings) != range.IsInteger)
            {
                throw Error(entityType, dimension.Property, $"the range interval {dimension.Interval} does not fit a {type.Name} column", "use digits for integer columns and interval text for time columns");
            }

            if (dimension.Interval is null && HypertableColumnTypes.IsInteger(property, typeMappings))
            {
                throw Error(entityType, dimension.Property, "an integer range dimension needs an interval", $"call PartitionByRange(x => x.{dimension.Property}, \"1000\") with the units per chunk");
            }
        }
    }

    private static InvalidOperationException HashDimensionError(IReadOnlyEntityType entityType, HypertableDimension dimension)
    {
        try
        {
            HashDimension(entityType, dimension.Property, dimension.Partitions ?? 0);
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }

        return Error(entityType, dimension.Property, "invalid hash dimension", "pass at least 1 partition");
    }

    private static void ValidateUniqueness(IReadOnlyEntityType entityType, HypertableDefinition definition)
    {
        // TimescaleDB enforces uniqueness per chunk, so every unique index must contain every partitioning column.
        var partitioning = new[] { definition.TimeProperty }.Concat(definition.Dimensions.Select(d => d.Property)).ToList();
        foreach (var key in entityType.GetKeys())
        {
            var columns = key.Properties.Select(p => p.Name).ToList();
            var missing = partitioning.FirstOrDefault(p => !columns.Contains(p));
            if (missing is not null)
            {
                var kind = key.IsPrimaryKey() ? "primary key" : "alternate key";
                throw Error(
                    entityType,
                    missing,
                    $"the {kind} ({string.Join(", ", columns)}) does not include partitioning column '{missing}', and TimescaleDB rejects unique constraints without it",
                    $"add '{missing}' to the key, e.g. HasKey(x => new {{ {string.Join(", ", columns.Append(missing).Select(c => "x." + c))} }}), or make the entity keyless");
            }
        }

        foreach (var index in entityType.GetIndexes().Where(i => i.IsUnique))
        {
            var columns = index.Properties.Select(p => p.Name).ToList();
            var missing = partitioning.FirstOrDefault(p => !columns.Contains(p));
            if (missing is not null)
            {
                throw Error(
                    entityType,
                    missing,
                    $"the unique index ({string.Join(", ", columns)}) does not include partitioning column '{missing}', and TimescaleDB rejects unique indexes without it",
                    $"add '{missing}' to the index or make it non-unique");
            }
        }
    }
}
