using Hourglass.EntityFrameworkCore.DataRewrites;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>
/// Compares the hypertables of two models (by table and column names, after EF's renames) and emits typed operations:
/// create, add dimension, change interval or partitions; a rebuild (convert to a plain table, then create again with
/// migrate_data) when the time column or an existing dimension changes, which TimescaleDB cannot alter in place.
/// </summary>
internal sealed class HypertableModelDiffer : ITimescaleModelDiffer
{
    public void AddDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        List<MigrationOperation> before,
        List<MigrationOperation> after)
    {
        var sourceTables = ResolvedHypertable.All(source);
        var targetTables = ResolvedHypertable.All(target);
        if (sourceTables.Count == 0 && targetTables.Count == 0)
        {
            return;
        }

        var renamedTables = TableRenames.Of(efOperations);
        var renamedColumns = efOperations.OfType<RenameColumnOperation>()
            .ToDictionary(o => (o.Schema, o.Table, o.Name), o => o.NewName);
        var matchedSources = new HashSet<(string?, string)>();

        foreach (var (key, wanted) in targetTables)
        {
            var sourceKey = renamedTables.FirstOrDefault(r => r.Value == key).Key;
            if (sourceKey == default)
            {
                sourceKey = key;
            }

            if (!sourceTables.TryGetValue(sourceKey, out var existing))
            {
                var tableExisted = source?.FindTable(sourceKey.Item2, sourceKey.Item1) is not null;
                AddCreation(wanted, migrateData: wanted.MigrateData || tableExisted, after);
                if (tableExisted)
                {
                    after.OfType<CreateHypertableOperation>().Last().DataRewrite = new DataRewrite(
                        DataRewrite.EntityOf(target, key.Item2, key.Item1),
                        $"turns the existing table {DataRewrite.Display(key.Item1, key.Item2)} into a hypertable",
                        "moves every row already in the table into chunks (migrate_data)",
                        "declare it with MigrateData() on IsHypertable(...), which asks for exactly that",
                        Declared: wanted.MigrateData);
                }

                continue;
            }

            matchedSources.Add(sourceKey);
            string Renamed(string column) =>
                renamedColumns.TryGetValue((sourceKey.Item1, sourceKey.Item2, column), out var name)
                || renamedColumns.TryGetValue((key.Item1, key.Item2, column), out name)
                    ? name
                    : column;

            var oldDimensions = existing.Dimensions.ToDictionary(d => Renamed(d.Column));
            var newDimensions = wanted.Dimensions.ToDictionary(d => d.Column);
            var rebuild = Renamed(existing.TimeColumn) != wanted.TimeColumn
                || existing.IsIntegerTime != wanted.IsIntegerTime
                || existing.IsUuidTime != wanted.IsUuidTime
                || oldDimensions.Any(d => !newDimensions.TryGetValue(d.Key, out var kept) || kept.IsHash != d.Value.IsHash);
            if (rebuild)
            {
                var entity = DataRewrite.EntityOf(target, key.Item2, key.Item1);
                var conversion = Conversion(existing);
                conversion.DataRewrite = new DataRewrite(
                    entity,
                    $"changes the time column or a dimension of hypertable {DataRewrite.Display(key.Item1, key.Item2)} (TimescaleDB cannot alter them in place)",
                    "rebuilds the table: every row is copied into a new plain table, then moved into chunks again",
                    "keep the time column and the existing dimensions as they are");
                before.Add(conversion);
                AddCreation(wanted, migrateData: true, after);
                after.OfType<CreateHypertableOperation>().Last().DataRewrite = new DataRewrite(
                    entity,
                    $"creates hypertable {DataRewrite.Display(key.Item1, key.Item2)} again after its rebuild",
                    "moves every row into chunks (migrate_data)",
                    "keep the time column and the existing dimensions as they are",
                    Declared: true);
                continue;
            }

            if (existing.EffectiveInterval != wanted.EffectiveInterval && wanted.EffectiveInterval is not null)
            {
                after.Add(new SetHypertableChunkIntervalOperation { Schema = wanted.Schema, Table = wanted.Table, Interval = wanted.EffectiveInterval.Value.ToString() });
            }

            if (wanted.IntegerNowFunction is not null && wanted.IntegerNowFunction != existing.IntegerNowFunction)
            {
                after.Add(new SetHypertableIntegerNowFunctionOperation { Schema = wanted.Schema, Table = wanted.Table, Function = wanted.IntegerNowFunction });
            }

            foreach (var dimension in wanted.Dimensions)
            {
                if (!oldDimensions.TryGetValue(dimension.Column, out var old))
                {
                    after.Add(Dimension(wanted, dimension));
                }
                else if (dimension.IsHash && old.Partitions != dimension.Partitions)
                {
                    after.Add(new SetHypertablePartitionsOperation { Schema = wanted.Schema, Table = wanted.Table, Column = dimension.Column, NumberOfPartitions = dimension.Partitions!.Value });
                }
                else if (!dimension.IsHash && old.EffectiveInterval != dimension.EffectiveInterval && dimension.EffectiveInterval is not null)
                {
                    after.Add(new SetHypertableChunkIntervalOperation { Schema = wanted.Schema, Table = wanted.Table, Column = dimension.Column, Interval = dimension.EffectiveInterval.Value.ToString() });
                }
            }
        }

        foreach (var (key, existing) in sourceTables)
        {
            if (matchedSources.Contains(key))
            {
                continue;
            }

            var targetKey = renamedTables.TryGetValue(key, out var renamed) ? renamed : key;
            if (target?.FindTable(targetKey.Item2, targetKey.Item1) is not null)
            {
                var conversion = Conversion(existing);
                conversion.DataRewrite = new DataRewrite(
                    DataRewrite.EntityOf(target, targetKey.Item2, targetKey.Item1),
                    $"turns hypertable {DataRewrite.Display(key.Item1, key.Item2)} back into a plain table",
                    "copies every row into a new plain table (TimescaleDB has no in-place conversion)",
                    "keep IsHypertable(...) on the entity");
                before.Add(conversion);
            }
        }
    }

    private static ConvertHypertableToTableOperation Conversion(ResolvedHypertable hypertable)
        => new() { Schema = hypertable.Schema, Table = hypertable.Table, TimeColumn = hypertable.TimeColumn };

    private static void AddCreation(ResolvedHypertable hypertable, bool migrateData, List<MigrationOperation> after)
    {
        after.Add(new CreateHypertableOperation
        {
            Schema = hypertable.Schema,
            Table = hypertable.Table,
            TimeColumn = hypertable.TimeColumn,
            ChunkInterval = hypertable.ChunkInterval?.ToString(),
            CreateDefaultIndexes = hypertable.CreateDefaultIndexes,
            MigrateData = migrateData,
            IntegerNowFunction = hypertable.IntegerNowFunction,
            UuidV7 = hypertable.IsUuidTime,
        });
        after.AddRange(hypertable.Dimensions.Select(d => Dimension(hypertable, d)));
    }

    private static AddHypertableDimensionOperation Dimension(ResolvedHypertable hypertable, ResolvedDimension dimension)
        => new()
        {
            Schema = hypertable.Schema,
            Table = hypertable.Table,
            Column = dimension.Column,
            NumberOfPartitions = dimension.Partitions,
            Interval = dimension.Interval?.ToString(),
            UuidV7 = dimension.IsUuid,
        };
}

/// <summary>A dimension by column name.</summary>
internal sealed record ResolvedDimension(string Column, int? Partitions, TimescaleInterval? Interval, bool IsInteger, bool IsUuid = false)
{
    public bool IsHash => Partitions is not null;

    /// <summary>The interval TimescaleDB uses: the declared one, else its default for time columns.</summary>
    public TimescaleInterval? EffectiveInterval => Interval ?? (IsHash || IsInteger ? null : TimescaleInterval.DefaultChunkInterval);
}

/// <summary>A hypertable by table and column names, as a relational model maps it.</summary>
internal sealed record ResolvedHypertable(
    string? Schema,
    string Table,
    string TimeColumn,
    bool IsIntegerTime,
    TimescaleInterval? ChunkInterval,
    IReadOnlyList<ResolvedDimension> Dimensions,
    bool CreateDefaultIndexes,
    bool MigrateData,
    string? IntegerNowFunction,
    bool IsUuidTime = false)
{
    public TimescaleInterval? EffectiveInterval => ChunkInterval ?? (IsIntegerTime ? null : TimescaleInterval.DefaultChunkInterval);

    public static Dictionary<(string? Schema, string Table), ResolvedHypertable> All(IRelationalModel? model)
    {
        var result = new Dictionary<(string?, string), ResolvedHypertable>();
        if (model is null)
        {
            return result;
        }

        foreach (var table in model.Tables)
        {
            foreach (var mapping in table.EntityTypeMappings)
            {
                if (mapping.TypeBase is not IEntityType entityType || HypertableDefinition.Find(entityType) is not { } definition)
                {
                    continue;
                }

                var storeObject = StoreObjectIdentifier.Table(table.Name, table.Schema);
                var timeProperty = entityType.FindProperty(definition.TimeProperty);
                if (timeProperty?.GetColumnName(storeObject) is not { } timeColumn)
                {
                    continue;
                }

                var dimensions = new List<ResolvedDimension>();
                foreach (var dimension in definition.Dimensions)
                {
                    var property = entityType.FindProperty(dimension.Property);
                    if (property?.GetColumnName(storeObject) is { } column)
                    {
                        dimensions.Add(new ResolvedDimension(column, dimension.Partitions, dimension.Interval, HypertableColumnTypes.IsInteger(property), !dimension.IsHash && HypertableColumnTypes.IsUuid(property)));
                    }
                }

                result[(table.Schema, table.Name)] = new ResolvedHypertable(
                    table.Schema,
                    table.Name,
                    timeColumn,
                    HypertableColumnTypes.IsInteger(timeProperty),
                    definition.ChunkInterval,
                    dimensions,
                    definition.CreateDefaultIndexes,
                    definition.MigrateData,
                    definition.IntegerNowFunction,
                    HypertableColumnTypes.IsUuid(timeProperty));
                break;
            }
        }

        return result;
    }
}
