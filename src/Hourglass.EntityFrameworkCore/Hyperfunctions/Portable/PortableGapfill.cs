using System.Linq.Expressions;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;

/// <summary>
/// The functions the translators write for gap filling on a server without TimescaleDB's community edition. They
/// exist on no server: <see cref="PortableGapfillProcessor"/> replaces the whole grouping query that holds them, after
/// EF's own processing and before its SQL is written, so a query that escaped it fails loudly rather than silently.
/// </summary>
internal static class GapfillMarkers
{
    /// <summary><c>(width, time)</c>, <c>(width, time, timezone)</c>, <c>(width, time, start, finish)</c> or <c>(width, time, timezone, start, finish)</c>.</summary>
    public const string Bucket = "hourglass_time_bucket_gapfill";

    /// <summary><c>(value)</c> or <c>(value, treat_null_as_missing)</c>, a bool constant.</summary>
    public const string Locf = "hourglass_locf";

    /// <summary><c>(value)</c>.</summary>
    public const string Interpolate = "hourglass_interpolate";

    public static bool IsMarker(SqlExpression expression)
        => expression is SqlFunctionExpression { Name: Bucket or Locf or Interpolate };

    public static bool Contains(Expression? expression, params string[] names)
    {
        var finder = new Finder(names);
        finder.Visit(expression);
        return finder.Found;
    }

    private sealed class Finder(string[] names) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        public override Expression? Visit(Expression? node)
        {
            if (Found)
            {
                return node;
            }

            if (node is SqlFunctionExpression function && names.Contains(function.Name))
            {
                Found = true;
                return node;
            }

            return base.Visit(node);
        }
    }
}

/// <summary>
/// Wraps the parameter-based SQL processor factory registered before it (the provider's): its processor runs first,
/// then <see cref="PortableGapfill"/> replaces a gap-filling grouping query by its plain-PostgreSQL form.
/// </summary>
internal sealed class PortableGapfillProcessorFactory(IServiceProvider services, RelationalParameterBasedSqlProcessorDependencies dependencies)
    : IRelationalParameterBasedSqlProcessorFactory
{
    private IRelationalParameterBasedSqlProcessorFactory? _inner;

    public RelationalParameterBasedSqlProcessor Create(RelationalParameterBasedSqlProcessorParameters parameters)
    {
        _inner ??= ServiceDecoration.Inner<IRelationalParameterBasedSqlProcessorFactory, PortableGapfillProcessorFactory>(services);
        return new PortableGapfillProcessor(dependencies, parameters, _inner.Create(parameters));
    }
}

internal sealed class PortableGapfillProcessor(
    RelationalParameterBasedSqlProcessorDependencies dependencies,
    RelationalParameterBasedSqlProcessorParameters parameters,
    RelationalParameterBasedSqlProcessor inner)
    : RelationalParameterBasedSqlProcessor(dependencies, parameters)
{
    public override Expression Process(Expression queryExpression, ParametersCacheDecorator parametersDecorator)
    {
        var processed = inner.Process(queryExpression, parametersDecorator);
        return GapfillMarkers.Contains(processed, GapfillMarkers.Bucket, GapfillMarkers.Locf, GapfillMarkers.Interpolate)
            ? new PortableGapfill(Dependencies.SqlExpressionFactory, Dependencies.TypeMappingSource).Rewrite(processed)
            : processed;
    }
}

/// <summary>
/// <c>time_bucket_gapfill</c> with <c>locf</c> and <c>interpolate</c> in plain PostgreSQL, with TimescaleDB's rows:
/// the grouping query (its bucket written with <see cref="PortableTimeBucket"/>) becomes a CTE; the buckets of the
/// range (<c>generate_series</c> from the aligned start, before the finish, as TimescaleDB's gapfill node steps) are
/// added for every group the query returns (every bucket when it groups by the bucket alone), beside the groups' own
/// buckets outside the range; <c>locf</c> is the value of the last row that had data (or the last non-NULL value with
/// <c>treat_null_as_missing</c>), <c>interpolate</c> the line between the rows with data before and after, computed as
/// TimescaleDB computes it (<c>(y0 (x1 - x) + y1 (x - x0)) / (x1 - x0)</c> on microseconds, days or integers; numeric
/// for integer values). The range comes from the start/finish arguments or, as TimescaleDB takes it, from the
/// query's WHERE on the time column (<c>&gt;</c> and <c>&lt;=</c> moved by one unit; the tightest bounds win).
/// </summary>
internal sealed class PortableGapfill(ISqlExpressionFactory factory, IRelationalTypeMappingSource typeMappings)
{
    private const string Alias = "hg_gapfill";
    private readonly PortableSql _sql = new(factory, typeMappings);

    public Expression Rewrite(Expression query)
    {
        var root = query is ShapedQueryExpression shaped ? shaped.QueryExpression : query;
        if (root is not SelectExpression select || !select.GroupBy.Any(g => g is SqlFunctionExpression { Name: GapfillMarkers.Bucket }))
        {
            throw Unsupported("TimeBucketGapfill must be a key of the query's own GroupBy, and Locf and Interpolate must be called in that query's Select (not in a subquery, a join or a later Where)");
        }

        var rewritten = Rewrite(select);
        return query is ShapedQueryExpression s ? s.UpdateQueryExpression(rewritten) : rewritten;
    }

    private SelectExpression Rewrite(SelectExpression select)
    {
        var marker = (SqlFunctionExpression)select.GroupBy.First(g => g is SqlFunctionExpression { Name: GapfillMarkers.Bucket });
        var keys = select.GroupBy.Where(g => !ReferenceEquals(g, marker)).ToList();
        if (keys.Any(k => GapfillMarkers.Contains(k, GapfillMarkers.Bucket, GapfillMarkers.Locf, GapfillMarkers.Interpolate))
            || GapfillMarkers.Contains(select.Predicate, GapfillMarkers.Bucket, GapfillMarkers.Locf, GapfillMarkers.Interpolate)
            || GapfillMarkers.Contains(select.Having, GapfillMarkers.Bucket, GapfillMarkers.Locf, GapfillMarkers.Interpolate)
            || select.IsDistinct
            || select.Tables.Any(t => GapfillMarkers.Contains(t, GapfillMarkers.Bucket, GapfillMarkers.Locf, GapfillMarkers.Interpolate)))
        {
            throw Unsupported("TimeBucketGapfill, Locf and Interpolate may appear only as the GroupBy key and in the Select of one grouping query, without Distinct");
        }

        var args = marker.Arguments!;
        var width = args[0];
        var time = args[1];
        var zone = args.Count is 3 or 5 ? args[2] : null;
        var (start, finish) = args.Count >= 4 ? (args[^2], args[^1]) : ((SqlExpression?)null, (SqlExpression?)null);
        var timeMapping = time.TypeMapping ?? typeMappings.FindMapping(time.Type)!;
        var bucketMapping = marker.TypeMapping ?? timeMapping;
        var time_ = new TimeKind(timeMapping.StoreType, zone is not null);
        var portable = new PortableTimeBucket(_sql);
        SqlExpression Bucket(SqlExpression t) => portable.Translate(width, t, null, null, zone, marker.Type, bucketMapping, timeMapping);

        // The range: the arguments, or TimescaleDB's reading of the WHERE clause.
        start ??= Bound(select.Predicate, time, lower: true, time_, timeMapping);
        finish ??= Bound(select.Predicate, time, lower: false, time_, timeMapping);

        var columns = new List<Column>();
        for (var i = 0; i < select.Projection.Count; i++)
        {
            var expression = select.Projection[i].Expression;
            columns.Add(expression switch
            {
                _ when expression.Equals(marker) => new Column(ColumnKind.Bucket, null, false),
                _ when keys.FindIndex(k => k.Equals(expression)) is >= 0 and var key => new Column(ColumnKind.Key, null, false, key),
                SqlFunctionExpression { Name: GapfillMarkers.Locf, Arguments: [var value, ..] } f => new Column(ColumnKind.Locf, value, f.Arguments is [_, SqlConstantExpression { Value: true }]),
                SqlFunctionExpression { Name: GapfillMarkers.Interpolate, Arguments: [var value] } => new Column(ColumnKind.Interpolate, value, false),
                _ when GapfillMarkers.Contains(expression, GapfillMarkers.Bucket, GapfillMarkers.Locf, GapfillMarkers.Interpolate)
                    => throw Unsupported($"the Select's '{select.Projection[i].Alias}' uses TimeBucketGapfill, Locf or Interpolate inside another expression; project the bucket, a Locf(...) or an Interpolate(...) as a member of its own"),
                _ => new Column(ColumnKind.Value, expression, false),
            });
        }

        var table = new PortableGapfillTable(Alias, Sql(select, marker, Bucket, keys, columns, width, zone, start, finish, time_, timeMapping));
        var projections = select.Projection
            .Select((p, i) => p.Update(new ColumnExpression($"hg_c{i}", Alias, p.Expression.Type, p.Expression.TypeMapping, nullable: true)))
            .ToList();
        var orderings = select.Orderings.Select(o => o.Update(Output(o.Expression, select, marker, keys))).ToList();
        return select.Update([table], null, [], null, projections, orderings, select.Offset, select.Limit);
    }

    private static ColumnExpression Output(SqlExpression expression, SelectExpression select, SqlExpression marker, List<SqlExpression> keys)
    {
        if (expression.Equals(marker))
        {
            return new ColumnExpression("hg_b", Alias, marker.Type, marker.TypeMapping, nullable: true);
        }

        var key = keys.FindIndex(k => k.Equals(expression));
        if (key >= 0)
        {
            return new ColumnExpression($"hg_k{key}", Alias, expression.Type, expression.TypeMapping, nullable: true);
        }

        var projected = select.Projection.Select(p => p.Expression).ToList().FindIndex(p => p.Equals(expression));
        if (projected >= 0)
        {
            return new ColumnExpression($"hg_c{projected}", Alias, expression.Type, expression.TypeMapping, nullable: true);
        }

        throw Unsupported("the OrderBy sorts by an expression that is neither a grouping key nor a selected member; sort by the bucket, a key or a selected member");
    }

    private enum ColumnKind
    {
        Bucket,
        Key,
        Value,
        Locf,
        Interpolate,
    }

    private sealed record Column(ColumnKind Kind, SqlExpression? Value, bool TreatNullAsMissing, int Key = -1);

    /// <summary>What the time column is, for the series and for interpolation's x.</summary>
    private sealed class TimeKind(string storeType, bool zoned)
    {
        public bool Integer { get; } = storeType is "integer" or "bigint" or "smallint" or "int" or "int4" or "int8" or "int2";

        public bool Date { get; } = storeType.StartsWith("date", StringComparison.Ordinal);

        public bool WithTimeZone { get; } = storeType.StartsWith("timestamp with time zone", StringComparison.Ordinal) || storeType == "timestamptz";

        public bool Zoned { get; } = zoned;
    }

    /// <summary>
    /// The gapfill range's start or finish from the WHERE clause's conjunction, as TimescaleDB infers it: comparisons of
    /// the time column itself with an expression without columns; <c>&gt;</c> and <c>&lt;=</c> move by one unit (a
    /// microsecond, a day, 1), and several bounds give the tightest one.
    /// </summary>
    private SqlExpression Bound(SqlExpression? predicate, SqlExpression time, bool lower, TimeKind kind, RelationalTypeMapping timeMapping)
    {
        if (time is not ColumnExpression)
        {
            throw Unsupported($"TimeBucketGapfill without start and finish needs a plain time column to find the range in the Where clause (TimescaleDB: \"ts needs to refer to a single column if no start or finish is supplied\"); pass start and finish");
        }

        var bounds = new List<SqlExpression>();
        foreach (var condition in Conjuncts(predicate))
        {
            if (condition is not SqlBinaryExpression binary)
            {
                continue;
            }

            var (op, other) = binary.Left.Equals(time) && !HasColumn(binary.Right) ? (binary.OperatorType, binary.Right)
                : binary.Right.Equals(time) && !HasColumn(binary.Left) ? (Flip(binary.OperatorType), binary.Left)
                : (ExpressionType.Default, null);
            if (other is null)
            {
                continue;
            }

            other = factory.ApplyTypeMapping(other, timeMapping);
            switch (op)
            {
                case ExpressionType.GreaterThanOrEqual when lower:
                case ExpressionType.LessThan when !lower:
                    bounds.Add(other);
                    break;
                case ExpressionType.GreaterThan when lower:
                case ExpressionType.LessThanOrEqual when !lower:
                    bounds.Add(NextUnit(other, kind, timeMapping));
                    break;
            }
        }

        if (bounds.Count == 0)
        {
            throw Unsupported($"could not find the gapfill range's {(lower ? "start" : "finish")} in the Where clause (TimescaleDB: \"missing time_bucket_gapfill argument: could not infer {(lower ? "start" : "finish")} from WHERE clause\"); bound the time column on both sides, e.g. Where(m => m.Time >= from && m.Time < to), or pass start and finish to TimeBucketGapfill");
        }

        return bounds.Count == 1
            ? bounds[0]
            : factory.Function(lower ? "greatest" : "least", bounds, nullable: true, bounds.Select(_ => true), time.Type, timeMapping);
    }

    private SqlBinaryExpression NextUnit(SqlExpression value, TimeKind kind, RelationalTypeMapping timeMapping)
        => kind.Integer ? new SqlBinaryExpression(ExpressionType.Add, value, factory.Constant(1, timeMapping), value.Type, timeMapping)
            : kind.Date ? new SqlBinaryExpression(ExpressionType.Add, value, _sql.Literal(1, _sql.Int), value.Type, timeMapping)
            : new SqlBinaryExpression(ExpressionType.Add, value, _sql.Literal(TimeSpan.FromTicks(10), _sql.Interval), value.Type, timeMapping);

    private static IEnumerable<SqlExpression> Conjuncts(SqlExpression? predicate)
        => predicate switch
        {
            null => [],
            SqlBinaryExpression { OperatorType: ExpressionType.AndAlso } and => Conjuncts(and.Left).Concat(Conjuncts(and.Right)),
            _ => [predicate],
        };

    private static ExpressionType Flip(ExpressionType op) => op switch
    {
        ExpressionType.GreaterThan => ExpressionType.LessThan,
        ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
        ExpressionType.LessThan => ExpressionType.GreaterThan,
        ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
        _ => op,
    };

    private static bool HasColumn(SqlExpression expression)
    {
        var finder = new ColumnFinder();
        finder.Visit(expression);
        return finder.Found;
    }

    private sealed class ColumnFinder : ExpressionVisitor
    {
        public bool Found { get; private set; }

        public override Expression? Visit(Expression? node)
        {
            if (node is ColumnExpression or SelectExpression)
            {
                Found = true;
            }

            return Found ? node : base.Visit(node);
        }
    }

    /// <summary>The derived table's SQL, as fragments and expressions the provider's SQL generator writes in order.</summary>
    private List<object> Sql(
        SelectExpression select,
        SqlFunctionExpression marker,
        Func<SqlExpression, SqlExpression> bucket,
        List<SqlExpression> keys,
        List<Column> columns,
        SqlExpression width,
        SqlExpression? zone,
        SqlExpression start,
        SqlExpression finish,
        TimeKind kind,
        RelationalTypeMapping timeMapping)
    {
        var parts = new List<object>();
        void Add(params object[] items) => parts.AddRange(items);
        string KeyList(string prefix) => string.Concat(keys.Select((_, i) => $"{prefix}hg_k{i}, "));
        var partition = keys.Count == 0 ? "" : "PARTITION BY " + string.Join(", ", keys.Select((_, i) => $"r.hg_k{i}")) + " ";
        var values = columns.Select((c, i) => (c, i)).Where(x => x.c.Value is not null).ToList();

        // 1. The grouping query itself, with the bucket as TimescaleDB's time_bucket gives it.
        Add("(\nWITH hg_data AS (\n    SELECT ", bucket(marker.Arguments![1]), " AS hg_b");
        for (var i = 0; i < keys.Count; i++)
        {
            Add(", ", keys[i], $" AS hg_k{i}");
        }

        foreach (var (column, i) in values)
        {
            Add(", ", column.Value!, $" AS hg_v{i}");
        }

        Add("\n    FROM ");
        for (var i = 0; i < select.Tables.Count; i++)
        {
            Add(i == 0 ? "" : "\n    ", select.Tables[i]);
        }

        if (select.Predicate is not null)
        {
            Add("\n    WHERE ", select.Predicate);
        }

        Add("\n    GROUP BY ", bucket(marker.Arguments![1]));
        foreach (var key in keys)
        {
            Add(", ", key);
        }

        if (select.Having is not null)
        {
            Add("\n    HAVING ", select.Having);
        }

        // 2. The range, aligned as TimescaleDB aligns it: the start's bucket, the finish as given.
        Add("\n), hg_range AS (\n    SELECT ", bucket(start), " AS hg_start, ", finish, " AS hg_finish\n), hg_series AS (\n    SELECT q.hg_b FROM (SELECT DISTINCT ");
        Series(parts, width, zone, bucket, kind, timeMapping);
        Add(") AS q\n    WHERE q.hg_b >= q.hg_start AND q.hg_b < q.hg_finish\n");

        // 3. Every bucket of the range for every group, beside the groups' own buckets.
        Add("), hg_rows AS (\n    SELECT ", KeyList(""), "hg_b FROM hg_data\n    UNION\n    SELECT ", KeyList("g."), "s.hg_b FROM ");
        Add(keys.Count == 0 ? "(SELECT 1) AS g" : $"(SELECT DISTINCT {string.Join(", ", keys.Select((_, i) => $"hg_k{i}"))} FROM hg_data) AS g", " CROSS JOIN hg_series AS s\n");

        // 4. The rows with their data, numbered by the rows with data before and after them (and non-NULL values before).
        Add("), hg_numbered AS (\n    SELECT ", KeyList("r."), "r.hg_b, d.hg_b IS NOT NULL AS hg_present, ", X(new ColumnExpression("hg_b", "r", marker.Type, marker.TypeMapping, true), kind), " AS hg_x");
        foreach (var (column, i) in values)
        {
            Add($", d.hg_v{i}");
            if (column.Kind == ColumnKind.Locf && column.TreatNullAsMissing)
            {
                Add($", count(d.hg_v{i}) OVER ({partition}ORDER BY r.hg_b) AS hg_nn{i}");
            }
        }

        Add($", count(d.hg_b) OVER ({partition}ORDER BY r.hg_b) AS hg_before, count(d.hg_b) OVER ({partition}ORDER BY r.hg_b DESC) AS hg_after");
        Add("\n    FROM hg_rows AS r LEFT JOIN hg_data AS d ON d.hg_b = r.hg_b");
        for (var i = 0; i < keys.Count; i++)
        {
            Add($" AND d.hg_k{i} IS NOT DISTINCT FROM r.hg_k{i}");
        }

        // 5. The output: the query's members in its order, and the bucket and keys to sort by.
        var outer = partition.Replace("r.", "n.", StringComparison.Ordinal);
        Add("\n)\nSELECT ");
        for (var i = 0; i < columns.Count; i++)
        {
            var column = columns[i];
            Add(i == 0 ? "" : ", ");
            switch (column.Kind)
            {
                case ColumnKind.Bucket:
                    Add("n.hg_b");
                    break;
                case ColumnKind.Key:
                    Add($"n.hg_k{column.Key}");
                    break;
                case ColumnKind.Value:
                    Add($"n.hg_v{i}");
                    break;
                case ColumnKind.Locf:
                    Add($"first_value(n.hg_v{i}) OVER ({outer}{(outer.Length == 0 ? "PARTITION BY " : ", ")}{(column.TreatNullAsMissing ? $"n.hg_nn{i}" : "n.hg_before")} ORDER BY n.hg_b)");
                    break;
                default:
                    Interpolation(parts, column.Value!, i, outer);
                    break;
            }

            Add($" AS hg_c{i}");
        }

        Add(", n.hg_b");
        for (var i = 0; i < keys.Count; i++)
        {
            Add($", n.hg_k{i}");
        }

        Add("\nFROM hg_numbered AS n\n) AS ", Alias);
        return parts;
    }

    /// <summary>
    /// <c>generate_series</c> from the range's start to its finish, each value the bucket TimescaleDB's gapfill node
    /// steps to: start + k·width in UTC for timestamptz (timestamp arithmetic, as the node does), through timestamps for
    /// dates; in a time zone, wall-clock steps whose bucket is taken again for widths without days or months, and
    /// wall-clock start + k·width converted back for widths with them.
    /// </summary>
    private void Series(List<object> parts, SqlExpression width, SqlExpression? zone, Func<SqlExpression, SqlExpression> bucket, TimeKind kind, RelationalTypeMapping timeMapping)
    {
        var startColumn = new ColumnExpression("hg_start", "rg", timeMapping.ClrType, timeMapping, true);
        var finishColumn = new ColumnExpression("hg_finish", "rg", timeMapping.ClrType, timeMapping, true);
        SqlExpression low, high, value;
        var step = new ColumnExpression("hg_g", "s", kind.Integer ? timeMapping.ClrType : typeof(DateTime), kind.Integer ? timeMapping : _sql.Timestamp, true);
        var utc = _sql.Literal("UTC", _sql.Text);
        if (kind.Integer)
        {
            (low, high, value) = (startColumn, finishColumn, step);
        }
        else if (kind.Date)
        {
            (low, high, value) = (_sql.Cast(startColumn, typeof(DateTime), _sql.Timestamp), _sql.Cast(finishColumn, typeof(DateTime), _sql.Timestamp), _sql.Cast(step, timeMapping.ClrType, timeMapping));
        }
        else if (kind.Zoned)
        {
            var local = _sql.AtTimeZone(step, zone!, timeMapping.ClrType, timeMapping);
            low = _sql.AtTimeZone(startColumn, zone!, typeof(DateTime), _sql.Timestamp);
            high = _sql.Add(_sql.AtTimeZone(finishColumn, zone!, typeof(DateTime), _sql.Timestamp), width);
            var fixedWidth = WithoutDaysOrMonths(width);
            value = fixedWidth switch
            {
                true => bucket(local),
                false => local,
                null => factory.Case([new CaseWhenClause(FixedWidthTest(width), bucket(local))], local),
            };
        }
        else if (kind.WithTimeZone)
        {
            (low, high, value) = (_sql.AtTimeZone(startColumn, utc, typeof(DateTime), _sql.Timestamp), _sql.AtTimeZone(finishColumn, utc, typeof(DateTime), _sql.Timestamp), _sql.AtTimeZone(step, utc, timeMapping.ClrType, timeMapping));
        }
        else
        {
            (low, high, value) = (startColumn, finishColumn, step);
        }

        parts.AddRange(["(", value, ") AS hg_b, rg.hg_start, rg.hg_finish FROM hg_range AS rg, generate_series(", low, ", ", high, ", ", width, ") AS s(hg_g)"]);
    }

    /// <summary>Whether a width is known when the query is compiled to have no day, month or year part; null when it is not known.</summary>
    private static bool? WithoutDaysOrMonths(SqlExpression width)
        => width is SqlConstantExpression { Value: TimeSpan span } ? span.Days == 0
            : width is SqlConstantExpression { Value: { } value } && value.GetType().FullName == "NodaTime.Duration" ? ((dynamic)value).Days == 0
            : null;

    private SqlBinaryExpression FixedWidthTest(SqlExpression width)
    {
        var zero = _sql.Literal(0.0, _sql.Double);
        SqlExpression IsZero(string field) => new SqlBinaryExpression(ExpressionType.Equal, _sql.Part(field, width), zero, typeof(bool), _sql.Bool);
        return new SqlBinaryExpression(
            ExpressionType.AndAlso,
            IsZero("day"),
            new SqlBinaryExpression(ExpressionType.AndAlso, IsZero("month"), IsZero("year"), typeof(bool), _sql.Bool),
            typeof(bool),
            _sql.Bool);
    }

    /// <summary>The time as TimescaleDB's gapfill node counts it: microseconds for timestamps, days for dates, the integer itself.</summary>
    private SqlExpression X(SqlExpression time, TimeKind kind)
    {
        var bigint = typeMappings.FindMapping(typeof(long))!;
        if (kind.Integer)
        {
            return _sql.Cast(time, typeof(long), bigint);
        }

        if (kind.Date)
        {
            return _sql.Cast(_sql.Binary(ExpressionType.Subtract, time, _sql.Literal(new DateOnly(2000, 1, 1), _sql.Date), typeof(int), _sql.Int), typeof(long), bigint);
        }

        var micros = _sql.Binary(ExpressionType.Multiply, _sql.Part("epoch", time), _sql.Literal(1000000.0, _sql.Double), typeof(double), _sql.Double);
        return _sql.Cast(_sql.Function("round", [micros], typeof(double), _sql.Double), typeof(long), bigint);
    }

    /// <summary>
    /// A row with data keeps its value; a gap gets <c>(y0 (x1 - x) + y1 (x - x0)) / (x1 - x0)</c> from the rows with data
    /// before and after it (NULL when either is missing or NULL): in numeric for integers (rounded back), in the value's
    /// own floating type otherwise, and y0 itself when y0 = y1, as TimescaleDB computes it.
    /// </summary>
    private static void Interpolation(List<object> parts, SqlExpression value, int i, string partition)
    {
        var before = $"OVER ({partition}{(partition.Length == 0 ? "PARTITION BY " : ", ")}n.hg_before ORDER BY n.hg_b)";
        var after = $"OVER ({partition}{(partition.Length == 0 ? "PARTITION BY " : ", ")}n.hg_after ORDER BY n.hg_b DESC)";
        string y0 = $"first_value(n.hg_v{i}) {before}", y1 = $"first_value(n.hg_v{i}) {after}";
        string x0 = $"first_value(n.hg_x) {before}", x1 = $"first_value(n.hg_x) {after}";
        var type = Nullable.GetUnderlyingType(value.Type) ?? value.Type;
        var store = value.TypeMapping?.StoreType ?? "";
        string formula;
        if (type == typeof(double) || type == typeof(float))
        {
            var cast = type == typeof(float) ? "real" : "double precision";
            formula = $"CASE WHEN {y0} = {y1} THEN {y0} ELSE ({y0} * ({x1} - n.hg_x)::{cast} + {y1} * (n.hg_x - {x0})::{cast}) / ({x1} - {x0})::{cast} END";
        }
        else if (type == typeof(int) || type == typeof(long) || type == typeof(short))
        {
            formula = $"(({y0})::numeric * ({x1} - n.hg_x)::numeric + ({y1})::numeric * (n.hg_x - {x0})::numeric) / ({x1} - {x0})::numeric";
            formula = $"({formula})::{(store.Length > 0 ? store : "bigint")}";
        }
        else
        {
            throw Unsupported($"Interpolate of a {type.Name} value (TimescaleDB's interpolate takes smallint, integer, bigint, real and double precision)");
        }

        parts.Add($"CASE WHEN n.hg_present THEN n.hg_v{i} ELSE {formula} END");
    }

    private static InvalidOperationException Unsupported(string shape)
        => new(
            "EF.Functions.TimeBucketGapfill (with Locf/Interpolate) on a server without TimescaleDB's community edition (plain PostgreSQL, or the Apache "
            + $"edition) is translated to plain PostgreSQL for one shape of query, and this query has another: {shape}. Fix: write the query in that "
            + "shape (Where on the time column, GroupBy on TimeBucketGapfill and other keys, Select of the bucket, keys, aggregates, Locf(...) and "
            + "Interpolate(...), OrderBy), or use a TimescaleDB server with timescaledb.license = 'timescale'.");
}

/// <summary>
/// The plain-PostgreSQL gap filling as a derived table of the grouping query it replaces: written by the provider's own
/// SQL generator, fragment by fragment and expression by expression (parameters, literals and names as everywhere
/// else). It exists only after EF's processing, so no other visitor needs to know it.
/// </summary>
internal sealed class PortableGapfillTable(string alias, IReadOnlyList<object> parts) : TableExpressionBase(alias, (IReadOnlyDictionary<string, IAnnotation>?)null)
{
    public IReadOnlyList<object> Parts { get; } = parts;

    public override string Alias => base.Alias!;

    protected override Expression VisitChildren(ExpressionVisitor visitor)
    {
        if (visitor is QuerySqlGenerator)
        {
            foreach (var part in Parts)
            {
                visitor.Visit(part as Expression ?? new SqlFragmentExpression((string)part, typeof(string), null));
            }
        }

        return this;
    }

    public override TableExpressionBase Clone(string? alias, ExpressionVisitor cloningVisitor) => new PortableGapfillTable(alias ?? Alias, Parts);

    public override PortableGapfillTable WithAlias(string newAlias) => new(newAlias, Parts);

    protected override TableExpressionBase WithAnnotations(IReadOnlyDictionary<string, IAnnotation> annotations) => this;

    public override Expression Quote()
        => throw new NotSupportedException("A gap-filled query for plain PostgreSQL cannot be precompiled.");

    protected override void Print(ExpressionPrinter expressionPrinter)
    {
        ArgumentNullException.ThrowIfNull(expressionPrinter);
        expressionPrinter.Append("PortableGapfill(...) AS " + Alias);
    }

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}
