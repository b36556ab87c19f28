using System.Text.RegularExpressions;
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
    public const string PolicySchedule = Prefix + "PolicySchedule";
}

/// <summary>One <c>orderby</c> entry: a property (or column, once resolved) with its direction and NULLS placement.</summary>
internal sealed partial record ColumnstoreOrder(string Name, bool Descending, bool? NullsFirst)
{
    public override string ToString()
        => Name + (Descending ? " DESC" : "") + (NullsFirst switch { true => " NULLS FIRST", false => " NULLS LAST", null => "" });

    /// <summary>The entry as TimescaleDB reads it, with the column quoted.</summary>
    public string ToSql(Func<string, string> quote)
        => quote(Name) + (Descending ? " DESC" : "") + (NullsFirst switch { true => " NULLS FIRST", false => " NULLS LAST", null => "" });

    public static string Format(IEnumerable<ColumnstoreOrder> entries) => string.Join(", ", entries);

    /// <summary>Reads "Time DESC, DeviceId ASC NULLS FIRST"; null with an error text when an entry is not "name [ASC|DESC] [NULLS FIRST|LAST]".</summary>
    public static List<ColumnstoreOrder>? Parse(string? text, out string? error)
    {
        error = null;
        var result = new List<ColumnstoreOrder>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }

        foreach (var entry in SplitOutsideQuotes(text))
        {
            var match = Entry().Match(entry);
            if (!match.Success)
            {
                error = $"the orderby entry \"{entry}\" is not \"Property [ASC|DESC] [NULLS FIRST|NULLS LAST]\"";
                return null;
            }

            var name = match.Groups["quoted"].Success ? match.Groups["quoted"].Value.Replace("\"\"", "\"", StringComparison.Ordinal) : match.Groups["name"].Value;
            var descending = match.Groups["dir"].Success && match.Groups["dir"].Value.Equals("desc", StringComparison.OrdinalIgnoreCase);
            bool? nullsFirst = match.Groups["nulls"].Success ? match.Groups["nulls"].Value.Equals("first", StringComparison.OrdinalIgnoreCase) : null;
            // PostgreSQL's defaults (NULLS LAST ascending, NULLS FIRST descending) are left out so equal orders compare equal.
            if (nullsFirst == descending)
            {
                nullsFirst = null;
            }

            result.Add(new ColumnstoreOrder(name, descending, nullsFirst));
        }

        return result;
    }

    private static IEnumerable<string> SplitOutsideQuotes(string text)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == ',' && !quoted)
            {
                yield return text[start..i].Trim();
                start = i + 1;
            }
        }

        yield return text[start..].Trim();
    }

    [GeneratedRegex("""^(?:"(?<quoted>(?:[^"]|"")+)"|(?<name>[A-Za-z_][A-Za-z0-9_$]*))(?:\s+(?<dir>asc|desc))?(?:\s+nulls\s+(?<nulls>first|last))?$""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Entry();
}

/// <summary>A hypertable's columnstore as declared on an entity type (by property names); its policy is in <see cref="ColumnstorePolicy"/>.</summary>
internal sealed record ColumnstoreDefinition(IReadOnlyList<string> SegmentBy, IReadOnlyList<ColumnstoreOrder> OrderBy)
{
    public static ColumnstoreDefinition? Find(IReadOnlyAnnotatable entityType)
    {
        if (entityType.FindAnnotation(ColumnstoreAnnotationNames.Enabled)?.Value is not true)
        {
            return null;
        }

        return new ColumnstoreDefinition(
            SplitList(entityType.FindAnnotation(ColumnstoreAnnotationNames.SegmentBy)?.Value as string),
            ColumnstoreOrder.Parse(entityType.FindAnnotation(ColumnstoreAnnotationNames.OrderBy)?.Value as string, out _) ?? []);
    }

    public static List<string> SplitList(string? text)
        => string.IsNullOrWhiteSpace(text) ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}

/// <summary>Property names resolved to the table's column names.</summary>
internal sealed record ResolvedColumnstore(IReadOnlyList<string> SegmentBy, IReadOnlyList<ColumnstoreOrder> OrderBy)
{
    public static ResolvedColumnstore? Resolve(IEntityType? entityType, Func<string, string?> column)
    {
        if (entityType is null)
        {
            return null;
        }

        if (ColumnstoreDefinition.Find(entityType) is not { } definition)
        {
            return null;
        }

        return new ResolvedColumnstore(
            definition.SegmentBy.Select(p => column(p) ?? p).ToList(),
            definition.OrderBy.Select(o => o with { Name = column(o.Name) ?? o.Name }).ToList());
    }

    public bool SameSettings(ResolvedColumnstore other)
        => SegmentBy.SequenceEqual(other.SegmentBy) && OrderBy.SequenceEqual(other.OrderBy);
}
