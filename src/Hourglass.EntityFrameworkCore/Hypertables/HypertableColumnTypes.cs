using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Which CLR types can partition a hypertable by range.</summary>
internal static class HypertableColumnTypes
{
    private static readonly HashSet<string> s_nodaTimeTypes = ["NodaTime.Instant", "NodaTime.LocalDateTime", "NodaTime.LocalDate"];

    public const string SupportedList =
        "DateTime, DateTimeOffset, DateOnly, NodaTime Instant/LocalDateTime/LocalDate, short, int or long";

    /// <summary>The type the column stores: the provider type of a value converter, else the property type, without Nullable.</summary>
    public static Type StoredType(IReadOnlyProperty property)
    {
        var type = property.GetValueConverter()?.ProviderClrType ?? property.ClrType;
        return Nullable.GetUnderlyingType(type) ?? type;
    }

    public static bool IsInteger(Type type) => type == typeof(int) || type == typeof(long) || type == typeof(short);

    public static bool IsTime(Type type) =>
        type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly)
        || (type.FullName is { } name && s_nodaTimeTypes.Contains(name));

    public static bool IsSupported(Type type) => IsInteger(type) || IsTime(type);
}
