using System.Text.RegularExpressions;

namespace Hourglass;

/// <summary>
/// One <c>orderby</c> entry of a hypertable's columnstore: a column (in an EF Core model, a property until it is resolved
/// to its column) with its direction and NULLS placement. PostgreSQL's default placement (NULLS LAST ascending, NULLS
/// FIRST descending) is <c>null</c>, so equal orders compare equal however they were written.
/// </summary>
/// <param name="Name">The column (or property).</param>
/// <param name="Descending">Whether it sorts descending.</param>
/// <param name="NullsFirst">True for NULLS FIRST, false for NULLS LAST, null for PostgreSQL's default for the direction.</param>
public sealed partial record ColumnstoreOrder(string Name, bool Descending = false, bool? NullsFirst = null)
{
    /// <summary>An entry with its NULLS placement as the catalog reports it, the default placement left out.</summary>
    /// <param name="name">The column.</param>
    /// <param name="descending">Whether it sorts descending.</param>
    /// <param name="nullsFirst">Whether NULLs sort first.</param>
    /// <returns>The entry.</returns>
    public static ColumnstoreOrder FromCatalog(string name, bool descending, bool nullsFirst) => new(name, descending, nullsFirst == descending ? null : nullsFirst);

    /// <summary>"Name [DESC] [NULLS FIRST|NULLS LAST]".</summary>
    /// <returns>The text.</returns>
    public override string ToString()
        => Name + (Descending ? " DESC" : "") + (NullsFirst switch { true => " NULLS FIRST", false => " NULLS LAST", null => "" });

    /// <summary>The entry as TimescaleDB reads it, with the column quoted.</summary>
    /// <param name="quote">Quotes an identifier.</param>
    /// <returns>The SQL text.</returns>
    public string ToSql(Func<string, string> quote)
        => quote(Name) + (Descending ? " DESC" : "") + (NullsFirst switch { true => " NULLS FIRST", false => " NULLS LAST", null => "" });

    /// <summary>The entries as one orderby text: "Time DESC, Sequence".</summary>
    /// <param name="entries">The entries.</param>
    /// <returns>The text.</returns>
    public static string Format(IEnumerable<ColumnstoreOrder> entries) => string.Join(", ", entries);

    /// <summary>Reads "Time DESC, DeviceId ASC NULLS FIRST"; null with an error text when an entry is not "name [ASC|DESC] [NULLS FIRST|LAST]".</summary>
    /// <param name="text">The orderby text; empty for none.</param>
    /// <param name="error">The problem, or null.</param>
    /// <returns>The entries, or null.</returns>
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

/// <summary>
/// A hypertable's columnstore settings: how rows are grouped (<c>segmentby</c>) and ordered (<c>orderby</c>) in its
/// converted chunks, its sparse indexes and the interval up to which chunks are merged when converted. Two settings are
/// equal when their columns, indexes and interval are, in order.
/// </summary>
/// <param name="SegmentBy">The segmentby columns in order; empty when none are set.</param>
/// <param name="OrderBy">The orderby entries in order; empty when none are set.</param>
/// <param name="SparseIndexes">
/// The configured sparse indexes (<c>timescaledb.sparse_index</c>, TimescaleDB 2.22+); null when not set (TimescaleDB
/// adds its own), empty to turn TimescaleDB's automatic sparse indexes off.
/// </param>
/// <param name="MergedChunkInterval">
/// <c>timescaledb.compress_chunk_time_interval</c>: converting a chunk merges it into its neighbour until the merged chunk
/// spans this interval; null when not set.
/// </param>
public sealed record ColumnstoreSettings(
    IReadOnlyList<string> SegmentBy,
    IReadOnlyList<ColumnstoreOrder> OrderBy,
    IReadOnlyList<SparseIndex>? SparseIndexes = null,
    TimescaleInterval? MergedChunkInterval = null)
{
    /// <summary>No segmentby and no orderby columns.</summary>
    public static ColumnstoreSettings None { get; } = new([], []);

    /// <summary>The segmentby columns as one text, quoted where needed: <c>device_id, "Other"</c>.</summary>
    public string SegmentByText => string.Join(", ", SegmentBy.Select(QuoteIfNeeded));

    /// <summary>The orderby entries as one text, quoted where needed: <c>"Time" DESC, value NULLS FIRST</c>.</summary>
    public string OrderByText => string.Join(", ", OrderBy.Select(o => o.ToSql(QuoteIfNeeded)));

    /// <summary>The sparse indexes as one text, quoted where needed: <c>bloom(tag), minmax("Value")</c>; null when not set.</summary>
    public string? SparseIndexText => SparseIndexes is null ? null : string.Join(", ", SparseIndexes.Select(i => i.ToSql(QuoteIfNeeded)));

    /// <inheritdoc />
    public bool Equals(ColumnstoreSettings? other)
        => other is not null
            && SegmentBy.SequenceEqual(other.SegmentBy, StringComparer.Ordinal)
            && OrderBy.SequenceEqual(other.OrderBy)
            && (SparseIndexes is null ? other.SparseIndexes is null : other.SparseIndexes is not null && SparseIndexes.SequenceEqual(other.SparseIndexes))
            && MergedChunkInterval == other.MergedChunkInterval;

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var column in SegmentBy)
        {
            hash.Add(column, StringComparer.Ordinal);
        }

        foreach (var entry in OrderBy)
        {
            hash.Add(entry);
        }

        hash.Add(SparseIndexes?.Count ?? -1);
        hash.Add(MergedChunkInterval);
        return hash.ToHashCode();
    }

    /// <summary>A column as PostgreSQL prints it: bare when it is a plain lower-case identifier, else double-quoted.</summary>
    /// <param name="column">The column.</param>
    /// <returns>The text.</returns>
    public static string QuoteIfNeeded(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.Length > 0 && (char.IsAsciiLetterLower(column[0]) || column[0] == '_') && column.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '$')
            ? column
            : "\"" + column.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
