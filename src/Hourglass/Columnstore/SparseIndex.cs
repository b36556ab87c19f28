using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hourglass;

/// <summary>The kind of a columnstore sparse index (<c>timescaledb.sparse_index</c>).</summary>
public enum SparseIndexKind
{
    /// <summary><c>bloom(column, ...)</c>: a bloom filter per batch, for equality lookups; several columns make a composite bloom (TimescaleDB 2.26+).</summary>
    Bloom,

    /// <summary><c>minmax(column)</c>: the smallest and largest value per batch, for range filters.</summary>
    MinMax,

    /// <summary><c>firstlast(column)</c>: the first and last value per batch in orderby order (TimescaleDB 2.28+).</summary>
    FirstLast,
}

/// <summary>
/// One sparse index of a hypertable's columnstore, as <c>ALTER TABLE ... SET (timescaledb.sparse_index = 'bloom(tag), minmax(value)')</c>
/// declares it (TimescaleDB 2.22+). Two are equal when kind and columns are, in order.
/// </summary>
/// <param name="Kind">The kind.</param>
/// <param name="Columns">The columns (in an EF Core model, properties until they are resolved); more than one only for a composite bloom.</param>
public sealed partial record SparseIndex(SparseIndexKind Kind, IReadOnlyList<string> Columns)
{
    /// <summary>The TimescaleDB version that has <c>timescaledb.sparse_index</c>.</summary>
    public static Version SparseIndexVersion { get; } = new(2, 22);

    /// <summary>The TimescaleDB version that has composite (several-column) bloom indexes.</summary>
    public static Version CompositeBloomVersion { get; } = new(2, 26);

    /// <summary>The TimescaleDB version that has <c>firstlast</c> sparse indexes.</summary>
    public static Version FirstLastVersion { get; } = new(2, 28);

    /// <summary>The most columns TimescaleDB takes in one composite bloom.</summary>
    public const int MaxBloomColumns = 8;

    /// <summary>The TimescaleDB version this index needs.</summary>
    public Version MinimumVersion => Kind == SparseIndexKind.FirstLast ? FirstLastVersion : Columns.Count > 1 ? CompositeBloomVersion : SparseIndexVersion;

    /// <summary>The kind as TimescaleDB writes it: <c>bloom</c>, <c>minmax</c>, <c>firstlast</c>.</summary>
    public string KindName => KindNameOf(Kind);

    /// <summary>The kind as TimescaleDB writes it.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns><c>bloom</c>, <c>minmax</c> or <c>firstlast</c>.</returns>
    public static string KindNameOf(SparseIndexKind kind) => kind switch
    {
        SparseIndexKind.Bloom => "bloom",
        SparseIndexKind.MinMax => "minmax",
        _ => "firstlast",
    };

    /// <summary>"bloom(Tag, Seq)".</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{KindName}({string.Join(", ", Columns)})";

    /// <summary>The index as TimescaleDB reads it, columns quoted by <paramref name="quote"/>.</summary>
    /// <param name="quote">Quotes an identifier.</param>
    /// <returns>The SQL text.</returns>
    public string ToSql(Func<string, string> quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        return $"{KindName}({string.Join(", ", Columns.Select(quote))})";
    }

    /// <inheritdoc />
    public bool Equals(SparseIndex? other) => other is not null && Kind == other.Kind && Columns.SequenceEqual(other.Columns, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(Kind);
        foreach (var column in Columns)
        {
            hash.Add(column, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>The indexes as one text: "bloom(Tag), minmax(Value)"; empty for none.</summary>
    /// <param name="indexes">The indexes.</param>
    /// <returns>The text.</returns>
    public static string Format(IEnumerable<SparseIndex> indexes) => string.Join(", ", indexes);

    /// <summary>
    /// Reads "bloom(Tag), minmax(Value), bloom(A, B)"; empty text is no indexes. Null with an error text when an entry is
    /// not "kind(column, ...)" with kind bloom, minmax or firstlast.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="error">The problem, or null.</param>
    /// <returns>The indexes, or null.</returns>
    public static List<SparseIndex>? Parse(string? text, out string? error)
    {
        error = null;
        var result = new List<SparseIndex>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return result;
        }

        var rest = text.Trim();
        while (rest.Length > 0)
        {
            var match = Entry().Match(rest);
            if (!match.Success)
            {
                error = $"the sparse index text \"{rest}\" is not \"bloom(Column, ...)\", \"minmax(Column)\" or \"firstlast(Column)\"";
                return null;
            }

            var kind = match.Groups["kind"].Value.ToLowerInvariant() switch
            {
                "bloom" => SparseIndexKind.Bloom,
                "minmax" or "min_max" => SparseIndexKind.MinMax,
                _ => SparseIndexKind.FirstLast,
            };
            var columns = match.Groups["columns"].Value.Split(',', StringSplitOptions.TrimEntries)
                .Select(c => c.Length > 1 && c[0] == '"' && c[^1] == '"' ? c[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : c)
                .ToList();
            if (columns.Any(c => c.Length == 0))
            {
                error = $"the sparse index \"{match.Value.Trim().TrimEnd(',')}\" names an empty column";
                return null;
            }

            result.Add(new SparseIndex(kind, columns));
            rest = rest[match.Length..].TrimStart();
        }

        return result;
    }

    /// <summary>
    /// The indexes a user configured, from the <c>index</c> JSON of TimescaleDB's compression settings (entries with
    /// <c>"source": "config"</c>; those TimescaleDB adds itself for orderby columns or from btree indexes are left out).
    /// Null when nothing was configured (TimescaleDB chooses); empty when the configuration is the empty list, which
    /// turns the automatic sparse indexes off.
    /// </summary>
    /// <param name="json">The JSON array, or null.</param>
    /// <returns>The configured indexes, or null.</returns>
    public static IReadOnlyList<SparseIndex>? FromCatalog(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        List<SparseIndex>? result = null;
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("source", out var source) || source.GetString() != "config")
            {
                continue;
            }

            result ??= [];
            if (!entry.TryGetProperty("type", out var type) || !entry.TryGetProperty("column", out var column))
            {
                continue;
            }

            var kind = type.GetString() switch
            {
                "bloom" => SparseIndexKind.Bloom,
                "minmax" => SparseIndexKind.MinMax,
                "firstlast" => SparseIndexKind.FirstLast,
                _ => (SparseIndexKind?)null,
            };
            if (kind is null)
            {
                continue;
            }

            var columns = column.ValueKind == JsonValueKind.Array ? column.EnumerateArray().Select(c => c.GetString()!).ToList() : [column.GetString()!];
            result.Add(new SparseIndex(kind.Value, columns));
        }

        return result;
    }

    [GeneratedRegex("""^(?<kind>bloom|minmax|min_max|firstlast)\s*\(\s*(?<columns>(?:"(?:[^"]|"")+"|[^(),"]+)(?:\s*,\s*(?:"(?:[^"]|"")+"|[^(),"]+))*)\s*\)\s*(?:,|$)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Entry();
}
