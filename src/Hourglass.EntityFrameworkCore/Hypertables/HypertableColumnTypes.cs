using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>
/// Which columns can partition a hypertable by range: those stored as a timestamp, a date, an integer or a <c>uuid</c> (a
/// UUIDv7, partitioned by its timestamp, TimescaleDB 2.22+). The store type decides
/// (so NodaTime, value converters and any other type plugin work without being named here); the CLR type is the fallback
/// while the model has no type mappings yet.
/// </summary>
internal static class HypertableColumnTypes
{
    public const string SupportedList =
        "DateTime, DateTimeOffset, DateOnly, NodaTime Instant/LocalDateTime/LocalDate, short, int, long, or Guid (UUIDv7, TimescaleDB 2.22+)";

    private enum Kind { Unsupported, Time, Integer, Uuid }

    /// <summary>
    /// The type the column stores: the provider type of a value converter (or of <c>HasConversion&lt;T&gt;()</c>), else the
    /// property type, without Nullable.
    /// </summary>
    public static Type StoredType(IReadOnlyProperty property)
    {
        var type = property.GetValueConverter()?.ProviderClrType ?? property.GetProviderClrType() ?? property.ClrType;
        return Nullable.GetUnderlyingType(type) ?? type;
    }

    /// <summary>
    /// Whether the column stores an integer. <paramref name="typeMappings"/> finds the store type while the model is still being
    /// built; a finalized model's properties carry theirs.
    /// </summary>
    public static bool IsInteger(IReadOnlyProperty property, IRelationalTypeMappingSource? typeMappings = null)
        => Classify(property, typeMappings) == Kind.Integer;

    /// <summary>
    /// Whether the column stores a <c>uuid</c>: TimescaleDB 2.22+ partitions it by the timestamp of UUIDv7 values, with time
    /// intervals, as it does a time column.
    /// </summary>
    public static bool IsUuid(IReadOnlyProperty property, IRelationalTypeMappingSource? typeMappings = null)
        => Classify(property, typeMappings) == Kind.Uuid;

    /// <summary>Whether the hypertable of <paramref name="table"/> in <paramref name="model"/> (a migration's target model) is partitioned by a UUIDv7 column.</summary>
    public static bool PartitionsByUuid(IModel? model, string? schema, string table)
    {
        var entityType = model?.GetRelationalModel().FindTable(table, schema)?.EntityTypeMappings
            .Select(m => m.TypeBase).OfType<IEntityType>().FirstOrDefault(e => HypertableDefinition.Find(e) is not null);
        return entityType is not null
            && entityType.FindProperty(HypertableDefinition.Find(entityType)!.TimeProperty) is { } time
            && IsUuid(time);
    }

    /// <summary>Whether the column can partition a hypertable by range.</summary>
    public static bool IsSupported(IReadOnlyProperty property, IRelationalTypeMappingSource? typeMappings = null)
        => Classify(property, typeMappings) != Kind.Unsupported;

    /// <summary>The column's store type as the model will create it (e.g. "double precision"), or null while no mapping is known.</summary>
    public static string? StoreType(IReadOnlyProperty property, IRelationalTypeMappingSource? typeMappings = null)
        => property[RelationalAnnotationNames.ColumnType] as string
            ?? property.FindRelationalTypeMapping()?.StoreType
            ?? typeMappings?.FindMapping(StoredType(property))?.StoreType;

    private static Kind Classify(IReadOnlyProperty property, IRelationalTypeMappingSource? typeMappings)
    {
        var storeType = StoreType(property, typeMappings);
        return storeType is null ? ClassifyClrType(StoredType(property)) : ClassifyStoreType(storeType);
    }

    private static Kind ClassifyStoreType(string storeType)
    {
        var precision = storeType.IndexOf('(', StringComparison.Ordinal);
        var name = (precision < 0 ? storeType : storeType.Remove(precision, storeType.IndexOf(')', precision) - precision + 1))
            .Trim().ToLowerInvariant();
        return name switch
        {
            "timestamp with time zone" or "timestamptz" or "timestamp without time zone" or "timestamp" or "date" => Kind.Time,
            "smallint" or "integer" or "int" or "bigint" or "int2" or "int4" or "int8" => Kind.Integer,
            "uuid" => Kind.Uuid,
            _ => Kind.Unsupported,
        };
    }

    private static Kind ClassifyClrType(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) ? Kind.Integer
        : type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) ? Kind.Time
        : type == typeof(Guid) ? Kind.Uuid
        : Kind.Unsupported;
}
