using Hourglass.EntityFrameworkCore.Infrastructure;
using System.Text.RegularExpressions;
using Hourglass.EntityFrameworkCore.Hypertables;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Hourglass.EntityFrameworkCore.Scheduling;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>Annotation names: the model snapshot stores a continuous aggregate as these entity-type annotations (next to EF's own ToView).</summary>
internal static class ContinuousAggregateAnnotationNames
{
    public const string Prefix = "Hourglass:ContinuousAggregate:";
    public const string Sql = Prefix + "Sql";
    public const string MaterializedOnly = Prefix + "MaterializedOnly";
    public const string WithNoData = Prefix + "WithNoData";
    public const string RefreshPolicy = Prefix + "RefreshPolicy";

    /// <summary>The refresh policy's job schedule beyond its interval, as JSON; absent for TimescaleDB's defaults.</summary>
    public const string RefreshSchedule = Prefix + "RefreshSchedule";

    /// <summary>The refresh policy's batching and tiering options, as JSON; absent when none is set.</summary>
    public const string RefreshOptions = Prefix + "RefreshOptions";

    /// <summary>The chunk interval of the aggregate's own hypertable, as canonical interval text; absent for TimescaleDB's default.</summary>
    public const string ChunkInterval = Prefix + "ChunkInterval";

    /// <summary>The window recomputed after columns are added in place, as interval text; absent: none (the default).</summary>
    public const string AddedColumnsBackfill = Prefix + "AddedColumnsBackfill";

    /// <summary>False when TimescaleDB creates no group indexes; absent for its default (true).</summary>
    public const string CreateGroupIndexes = Prefix + "CreateGroupIndexes";
}

/// <summary>
/// A refresh policy; a null offset means "unbounded" (TimescaleDB's NULL).
/// Stored as "start=3 days; end=1 hour; schedule=1 hour"; the rest of its job schedule (<see cref="Schedule"/>, without
/// the interval) in the JSON of <see cref="ContinuousAggregateAnnotationNames.RefreshSchedule"/>.
/// </summary>
internal sealed record ContinuousAggregatePolicy(TimescaleInterval? StartOffset, TimescaleInterval? EndOffset, TimescaleInterval ScheduleInterval)
{
    public JobSchedule Schedule { get; init; } = JobSchedule.Empty;

    /// <summary>The whole job schedule, interval included.</summary>
    public JobSchedule FullSchedule => Schedule with { ScheduleInterval = ScheduleInterval };

    public override string ToString() => $"start={StartOffset?.ToString() ?? "null"}; end={EndOffset?.ToString() ?? "null"}; schedule={ScheduleInterval}";

    public static ContinuousAggregatePolicy? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1] == "null" ? (TimescaleInterval?)null : TimescaleInterval.Parse(p[1]));
        return new ContinuousAggregatePolicy(parts.GetValueOrDefault("start"), parts.GetValueOrDefault("end"), parts.GetValueOrDefault("schedule") ?? TimescaleInterval.FromTimeSpan(TimeSpan.FromHours(1)));
    }
}

/// <summary>A continuous aggregate as declared on an entity type.</summary>
internal sealed record ContinuousAggregateDefinition(string Sql, bool MaterializedOnly, bool WithNoData, ContinuousAggregatePolicy? Policy)
{
    /// <summary>The refresh policy's batching and tiering options (none set when there is no policy).</summary>
    public ContinuousAggregateRefreshOptions RefreshOptions { get; init; } = ContinuousAggregateRefreshOptions.Empty;

    /// <summary>TimescaleDB 2.13+'s default; written explicitly so every server version gets the same view.</summary>
    public const bool DefaultMaterializedOnly = true;

    public static ContinuousAggregateDefinition? Find(IReadOnlyAnnotatable entityType)
        => (entityType.FindAnnotation(ContinuousAggregateAnnotationNames.Sql)?.Value as string ?? LinqSql(entityType)) is not string sql
            ? null
            : new ContinuousAggregateDefinition(
                sql,
                entityType.FindAnnotation(ContinuousAggregateAnnotationNames.MaterializedOnly)?.Value as bool? ?? DefaultMaterializedOnly,
                entityType.FindAnnotation(ContinuousAggregateAnnotationNames.WithNoData)?.Value as bool? ?? false,
                ContinuousAggregatePolicy.Parse(entityType.FindAnnotation(ContinuousAggregateAnnotationNames.RefreshPolicy)?.Value as string) is { } policy
                    ? policy with
                    {
                        Schedule = entityType.FindAnnotation(ContinuousAggregateAnnotationNames.RefreshSchedule)?.Value is string json ? JobSchedule.Deserialize(json) : JobSchedule.Empty,
                    }
                    : null)
            {
                RefreshOptions = ContinuousAggregateRefreshOptions.Find(entityType) ?? ContinuousAggregateRefreshOptions.Empty,
            };

    // A LINQ-defined aggregate: its SQL once compiled for a migration, empty while the model is being built.
    private static string? LinqSql(IReadOnlyAnnotatable entityType)
        => ContinuousAggregateQuery.Find(entityType) is null ? null : ContinuousAggregateQuery.CompiledSql(entityType) ?? "";
}

/// <summary>A continuous aggregate by view name, as a relational model maps it.</summary>
internal sealed record ResolvedContinuousAggregate(string? Schema, string View, ContinuousAggregateDefinition Definition)
{
    /// <summary>How the aggregate stores its buckets: chunk interval, group indexes, columnstore and its policies.</summary>
    public ContinuousAggregateStorage Storage { get; init; } = new(null, true, null, null, null);

    /// <summary>The view's columns and their store types.</summary>
    public IReadOnlyDictionary<string, string> ColumnTypes { get; init; } = new Dictionary<string, string>();

    /// <summary>The window recomputed after columns are added in place (interval text); null for none.</summary>
    public string? AddedColumnsBackfill { get; init; }

    public static Dictionary<(string? Schema, string View), ResolvedContinuousAggregate> All(IRelationalModel? model)
    {
        var result = new Dictionary<(string?, string), ResolvedContinuousAggregate>();
        if (model is null)
        {
            return result;
        }

        foreach (var view in model.Views)
        {
            foreach (var mapping in view.EntityTypeMappings)
            {
                if (mapping.TypeBase is IEntityType entityType && ContinuousAggregateDefinition.Find(entityType) is { } definition)
                {
                    result[(view.Schema, view.Name)] = new ResolvedContinuousAggregate(view.Schema, view.Name, definition)
                    {
                        Storage = ContinuousAggregateStorage.Resolve(entityType, view.Name, view.Schema),
                        ColumnTypes = view.Columns.ToDictionary(c => c.Name, c => c.StoreType),
                        AddedColumnsBackfill = entityType.FindAnnotation(ContinuousAggregateAnnotationNames.AddedColumnsBackfill)?.Value as string,
                    };
                    break;
                }
            }
        }

        return result;
    }
}

/// <summary>Reading a continuous aggregate's SQL: normalised comparison and which tables and functions it uses.</summary>
internal static partial class ContinuousAggregateSql
{
    /// <summary>The SQL with runs of whitespace collapsed and a trailing semicolon removed, for comparing two definitions.</summary>
    public static string Normalize(string sql) => Whitespace().Replace(sql.Trim().TrimEnd(';').Trim(), " ");

    /// <summary>Whether <paramref name="sql"/> names <paramref name="table"/> as an identifier (bare or quoted).</summary>
    public static bool References(string sql, string table)
    {
        foreach (Match match in Identifier().Matches(sql))
        {
            var name = match.Groups["quoted"].Success ? match.Groups["quoted"].Value.Replace("\"\"", "\"", StringComparison.Ordinal) : match.Groups["bare"].Value;
            if (match.Groups["quoted"].Success ? name == table : string.Equals(name, table, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The SQL's identifiers (quoted ones unquoted, bare ones lower-cased as PostgreSQL folds them) and the text between
    /// them, so that two queries can be compared name by name.
    /// </summary>
    public static (int Count, List<string> Names, List<string> Separators) Identifiers(string sql)
    {
        var names = new List<string>();
        var separators = new List<string>();
        var at = 0;
        foreach (Match match in Identifier().Matches(sql))
        {
            separators.Add(sql[at..match.Index]);
            names.Add(match.Groups["quoted"].Success ? match.Groups["quoted"].Value.Replace("\"\"", "\"", StringComparison.Ordinal) : match.Groups["bare"].Value.ToLowerInvariant());
            at = match.Index + match.Length;
        }

        separators.Add(sql[at..]);
        return (names.Count, names, separators);
    }

    /// <summary>The first TimescaleDB function the SQL calls (time_bucket, first, last, ...), or null when it is plain PostgreSQL.</summary>
    public static string? TimescaleFunction(string sql)
    {
        var match = TimescaleFunctionCall().Match(sql);
        return match.Success ? match.Groups["name"].Value : null;
    }

    /// <summary>
    /// The bucket width of the query's time_bucket calls when it is a constant they all share: interval text as users
    /// write it ('1 hour', INTERVAL '1 day', '1 mon'::interval as PostgreSQL stores it) or a number for integer time
    /// columns; null when there is none or it cannot be read, and then nothing is checked against it.
    /// </summary>
    public static TimescaleInterval? BucketWidth(string sql)
    {
        var calls = TimeBucketCall().Matches(sql);
        if (calls.Count != TimeBucketName().Count(sql))
        {
            return null;
        }

        TimescaleInterval? width = null;
        foreach (Match call in calls)
        {
            var isInteger = call.Groups["integer"].Success;
            if (!TimescaleInterval.TryParse(isInteger ? call.Groups["integer"].Value : call.Groups["text"].Value, out var parsed, out _)
                || parsed.IsInteger != isInteger || (width is { } seen && seen != parsed))
            {
                return null;
            }

            width = parsed;
        }

        return width;
    }

    /// <summary>
    /// Splits <c>SELECT items FROM ...</c> into its items and the rest from the first top-level FROM (parentheses,
    /// quotes and string literals respected); null when the SQL has no such shape (a WITH query, dollar quoting, no FROM).
    /// </summary>
    public static (List<string> Items, string Tail)? SplitSelect(string sql)
    {
        var text = sql.Trim().TrimEnd(';').Trim();
        if (!text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.Contains('$', StringComparison.Ordinal))
        {
            return null;
        }

        var items = new List<string>();
        var depth = 0;
        var start = 6;
        for (var i = 6; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\'' or '"')
            {
                var close = text.IndexOf(c, i + 1);
                while (close >= 0 && close + 1 < text.Length && text[close + 1] == c)
                {
                    close = text.IndexOf(c, close + 2);
                }

                if (close < 0)
                {
                    return null;
                }

                i = close;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }
            else if (depth == 0 && c == ',')
            {
                items.Add(text[start..i].Trim());
                start = i + 1;
            }
            else if (depth == 0 && char.IsWhiteSpace(c) && i + 5 < text.Length && text.AsSpan(i + 1, 4).Equals("FROM", StringComparison.OrdinalIgnoreCase) && char.IsWhiteSpace(text[i + 5]))
            {
                items.Add(text[start..i].Trim());
                return items.Any(string.IsNullOrEmpty) ? null : (items, text[(i + 1)..]);
            }
        }

        return null;
    }

    /// <summary>The expression and output name of a select item written <c>expression AS name</c>; null otherwise.</summary>
    public static (string Expression, string Name)? Aliased(string item)
    {
        var match = AliasedItem().Match(item);
        return match.Success
            ? (match.Groups["expression"].Value.Trim(), match.Groups["quoted"].Success ? match.Groups["quoted"].Value.Replace("\"\"", "\"", StringComparison.Ordinal) : match.Groups["bare"].Value.ToLowerInvariant())
            : null;
    }

    /// <summary>
    /// The expression and output name of a select item: <c>expression AS name</c>, or a column reference without an alias
    /// (<c>device_id</c>, <c>m.device_id</c>), whose name is the column's; null for anything else.
    /// </summary>
    public static (string Expression, string Name)? OutputColumn(string item)
    {
        if (Aliased(item) is { } aliased)
        {
            return aliased;
        }

        var match = ColumnReference().Match(item.Trim());
        return match.Success ? (item.Trim(), match.Groups["column"].Value.ToLowerInvariant()) : null;
    }

    [GeneratedRegex(@"^(?:[A-Za-z_][A-Za-z0-9_$]*\.)?(?<column>[A-Za-z_][A-Za-z0-9_$]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex ColumnReference();

    [GeneratedRegex(@"^(?<expression>.+)\s+AS\s+(?:""(?<quoted>(?:[^""]|"""")+)""|(?<bare>[A-Za-z_][A-Za-z0-9_$]*))$", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex AliasedItem();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // time_bucket( '1 hour' | INTERVAL '1 hour' | '1 hour'::interval | 10 | 10::bigint , ...; any other first argument
    // (a parameter, an expression) does not match, so the width counts as unknown.
    [GeneratedRegex(
        @"(?<![A-Za-z0-9_$""])time_bucket\s*\(\s*(?:(?:interval\s*)?'(?<text>[^']*)'(?:\s*::\s*interval)?|(?<integer>[0-9]+)(?:\s*::\s*(?:smallint|integer|int|bigint|int2|int4|int8))?)\s*,",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeBucketCall();

    [GeneratedRegex(@"(?<![A-Za-z0-9_$""])time_bucket\s*\(", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeBucketName();

    [GeneratedRegex("\"(?<quoted>(?:[^\"]|\"\")+)\"|(?<bare>[A-Za-z_][A-Za-z0-9_$]*)")]
    private static partial Regex Identifier();

    // Functions only TimescaleDB (or its toolkit) defines; plain PostgreSQL has none of them.
    [GeneratedRegex(
        @"(?<![A-Za-z0-9_$.""])(?:(?:public|_timescaledb_functions|toolkit_experimental)\.)?(?<name>time_bucket(?:_gapfill|_ng)?|first|last|histogram|locf|interpolate|approximate_row_count|stats_agg|percentile_agg|uddsketch|tdigest|hyperloglog|counter_agg|gauge_agg|time_weight|candlestick_agg|state_agg|heartbeat_agg|max_n|min_n|asap_smooth|lttb)\s*\(",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimescaleFunctionCall();
}
