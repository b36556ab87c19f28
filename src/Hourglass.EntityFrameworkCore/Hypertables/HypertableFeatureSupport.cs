using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>A hypertable's entity type in the source and the target model of a migration, matched by table after EF's renames.</summary>
/// <param name="Schema">The target table's schema (the source's when the table only exists there).</param>
/// <param name="Table">The target table (the source's when the table only exists there).</param>
/// <param name="Source">The entity in the source model whose hypertable features already exist; null when none exist.</param>
/// <param name="Target">The entity in the target model; null when the table stays but is no longer a hypertable.</param>
/// <param name="SourceColumn">The source column name of a source property, as the target names it (after column renames).</param>
internal sealed record HypertableFeaturePair(
    string? Schema,
    string Table,
    IEntityType? Source,
    IEntityType? Target,
    Func<string, string?> SourceColumn)
{
    /// <summary>The source table's schema: removals run before EF's operations, so before a table rename.</summary>
    public string? SourceSchema { get; init; } = Schema;

    /// <summary>The source table's name.</summary>
    public string SourceTable { get; init; } = Table;

    /// <summary>The target column of a target property.</summary>
    public string? TargetColumn(string property)
        => Target?.FindProperty(property)?.GetColumnName(StoreObjectIdentifier.Table(Table, Schema));

    /// <summary>
    /// Pairs the hypertables of two models. A hypertable created by this migration (new, or rebuilt by the hypertable
    /// differ) has no source: its features are all added after <c>create_hypertable</c>. A table dropped by EF has no pair:
    /// dropping a hypertable drops its settings and jobs. The hypertable differ runs first (it is registered first), so
    /// <paramref name="after"/> already holds its <see cref="CreateHypertableOperation"/>s.
    /// </summary>
    public static List<HypertableFeaturePair> All(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        IReadOnlyList<MigrationOperation> after)
    {
        var sources = Hypertables(source);
        var targets = Hypertables(target);
        var result = new List<HypertableFeaturePair>();
        if (sources.Count == 0 && targets.Count == 0)
        {
            return result;
        }

        var renamedTables = TableRenames.Of(efOperations);
        var renamedColumns = efOperations.OfType<RenameColumnOperation>()
            .ToDictionary(o => (o.Schema, o.Table, o.Name), o => o.NewName);
        var created = after.OfType<CreateHypertableOperation>().Select(o => (o.Schema, o.Table)).ToHashSet();
        var matched = new HashSet<(string?, string)>();
        foreach (var (key, entity) in targets)
        {
            var sourceKey = renamedTables.FirstOrDefault(r => r.Value == key).Key;
            if (sourceKey == default)
            {
                sourceKey = key;
            }

            sources.TryGetValue(sourceKey, out var existing);
            matched.Add(sourceKey);
            if (created.Contains(key))
            {
                existing = null;
            }

            result.Add(new HypertableFeaturePair(key.Item1, key.Item2, existing, entity, ColumnOf(existing, sourceKey, key))
            {
                SourceSchema = sourceKey.Item1,
                SourceTable = sourceKey.Item2,
            });
        }

        foreach (var (key, entity) in sources)
        {
            var targetKey = renamedTables.TryGetValue(key, out var renamed) ? renamed : key;
            if (!matched.Contains(key) && target?.FindTable(targetKey.Item2, targetKey.Item1) is not null)
            {
                result.Add(new HypertableFeaturePair(key.Item1, key.Item2, entity, null, ColumnOf(entity, key, key)));
            }
        }

        return result;

        Func<string, string?> ColumnOf(IEntityType? entity, (string? Schema, string Table) sourceKey, (string? Schema, string Table) targetKey)
            => property =>
            {
                var column = entity?.FindProperty(property)?.GetColumnName(StoreObjectIdentifier.Table(sourceKey.Table, sourceKey.Schema));
                return column is not null && renamedColumns.TryGetValue((sourceKey.Schema, sourceKey.Table, column), out var newName)
                    || column is not null && renamedColumns.TryGetValue((targetKey.Schema, targetKey.Table, column), out newName)
                    ? newName
                    : column;
            };
    }

    private static Dictionary<(string? Schema, string Table), IEntityType> Hypertables(IRelationalModel? model)
    {
        var result = new Dictionary<(string?, string), IEntityType>();
        foreach (var table in model?.Tables ?? [])
        {
            var entity = table.EntityTypeMappings.Select(m => m.TypeBase).OfType<IEntityType>().FirstOrDefault(e => HypertableDefinition.Find(e) is not null);
            if (entity is not null)
            {
                result[(table.Schema, table.Name)] = entity;
            }
        }

        return result;
    }
}

/// <summary>Shared checks of the features declared on a hypertable (columnstore, retention, reorder).</summary>
internal static class HypertableFeatureChecks
{
    /// <summary>"Feature on entity 'E', property 'P': problem. Fix: fix." as the hypertable errors read.</summary>
    public static InvalidOperationException Error(string feature, IReadOnlyEntityType entityType, string property, string problem, string fix)
        => TimescaleModelError.Create(feature, entityType, property, problem, fix);

    /// <summary>Throws unless the entity is a hypertable whose time column fits <paramref name="interval"/>.</summary>
    public static void RequireHypertableAndInterval(string feature, IReadOnlyEntityType entityType, string? interval, string method)
    {
        // A continuous aggregate is a hypertable of its own (its materialization hypertable); its builder declares these.
        if (entityType.FindAnnotation(ContinuousAggregates.ContinuousAggregateAnnotationNames.Sql) is not null || ContinuousAggregates.ContinuousAggregateQuery.Find(entityType) is not null)
        {
            return;
        }

        if (HypertableDefinition.Find(entityType) is not { } hypertable)
        {
            throw Error(feature, entityType, "(table)", "the entity is not a hypertable, and TimescaleDB only has this on hypertables", $"declare the hypertable first: IsHypertable(x => x.Time).{method}, or [Hypertable(nameof(Time))]");
        }

        if (interval is null || entityType.FindProperty(hypertable.TimeProperty) is not { } time)
        {
            return;
        }

        var integerTime = HypertableColumnTypes.IsInteger(time);
        if (integerTime != TimescaleInterval.Parse(interval).IsInteger)
        {
            throw Error(
                feature,
                entityType,
                hypertable.TimeProperty,
                integerTime ? $"the time column is an integer, so the interval must be a number of its units, not \"{interval}\"" : $"the interval {interval} is a number but the time column is a date/time",
                integerTime ? "pass a number in the time column's units, e.g. 86_400_000 for a day of milliseconds" : "pass a time interval such as TimeSpan.FromDays(7) or \"7 days\"");
        }

        if (integerTime && hypertable.IntegerNowFunction is null)
        {
            throw Error(feature, entityType, hypertable.TimeProperty, "policies on an integer time column need TimescaleDB's integer-now function to know what \"now\" is", "call WithIntegerNowFunction(\"your_now_function\") on the hypertable");
        }
    }
}

/// <summary>Scaffolded tables the features annotate.</summary>
internal static class ScaffoldedHypertables
{
    /// <summary>
    /// The scaffolded hypertable a catalog row names. Only tables the hypertable reader marked: the calls chain onto
    /// <c>IsHypertable</c>, and jobs can also belong to continuous aggregates.
    /// </summary>
    public static DatabaseTable? Find(DatabaseModel model, string? schema, string? name)
        => model.Tables.FirstOrDefault(t => t.Schema == schema && t.Name == name && t[HypertableScaffoldingReader.ScaffoldAnnotation] is not null);
}
