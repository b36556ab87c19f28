using System.Linq.Expressions;
using System.Reflection;
using System.Text.RegularExpressions;
using Hourglass.EntityFrameworkCore.Hyperfunctions;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Design;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// A continuous aggregate's LINQ query, kept in the model as an annotation that is never persisted: the SQL made from it
/// when a migration is generated is what the snapshot and the migration store (<see cref="ContinuousAggregateAnnotationNames.Sql"/>).
/// </summary>
internal sealed class ContinuousAggregateQuery(Type sourceType, LambdaExpression lambda)
{
    public const string AnnotationName = ContinuousAggregateAnnotationNames.Prefix + "Query";

    /// <summary>Runtime annotation: the SQL EF Core made from the query for this model.</summary>
    public const string CompiledSqlAnnotation = ContinuousAggregateAnnotationNames.Prefix + "CompiledSql";

    public Type SourceType { get; } = sourceType;

    public LambdaExpression Lambda { get; } = lambda;

    public static ContinuousAggregateQuery? Find(IReadOnlyAnnotatable entityType) => entityType.FindAnnotation(AnnotationName)?.Value as ContinuousAggregateQuery;

    /// <summary>The compiled SQL once a migration was generated for this model; null before.</summary>
    public static string? CompiledSql(IReadOnlyAnnotatable entityType) => (entityType as IAnnotatable)?.FindRuntimeAnnotationValue(CompiledSqlAnnotation) as string;

    // Equal queries give equal SQL; the snapshot compares SQL, so the model's own comparisons only need identity.
    public override string ToString() => Lambda.ToString();
}

/// <summary>
/// Checks a LINQ-defined continuous aggregate when the model is built: the final Select sets every column, the grouping
/// buckets the source's time column, and nothing TimescaleDB refuses in a continuous aggregate is used.
/// </summary>
internal static class ContinuousAggregateQueryChecks
{
    private static readonly HashSet<string> s_refusedOperators = new(StringComparer.Ordinal)
    {
        nameof(Queryable.OrderBy), nameof(Queryable.OrderByDescending), nameof(Queryable.ThenBy), nameof(Queryable.ThenByDescending),
        nameof(Queryable.Take), nameof(Queryable.Skip), nameof(Queryable.Distinct), nameof(Queryable.GroupJoin), nameof(Queryable.SelectMany),
        nameof(Queryable.Union), nameof(Queryable.Concat), nameof(Queryable.Except), nameof(Queryable.Intersect),
    };

    public static void Validate(IReadOnlyModel model)
    {
        foreach (var entityType in model.GetEntityTypes())
        {
            if (ContinuousAggregateQuery.Find(entityType) is { } query)
            {
                Validate(model, entityType, query);
            }
        }
    }

    private static void Validate(IReadOnlyModel model, IReadOnlyEntityType entityType, ContinuousAggregateQuery query)
    {
        var source = model.FindEntityType(query.SourceType)
            ?? throw ContinuousAggregateModelErrors.Error(entityType, "query", $"its source type '{query.SourceType.Name}' is not an entity type of the model", $"map the source rows as an entity, e.g. modelBuilder.Entity<{query.SourceType.Name}>().IsHypertable(...)");
        var operators = new OperatorFinder();
        operators.Visit(query.Lambda.Body);
        if (operators.Refused is { } refused)
        {
            throw ContinuousAggregateModelErrors.Error(
                entityType,
                "query",
                $"the query calls {refused}, which TimescaleDB refuses in a continuous aggregate (no ORDER BY, LIMIT, OFFSET, DISTINCT, set operations, outer or lateral joins)",
                "remove it from the aggregate's query and apply it when you read the aggregate, e.g. context.Set<Aggregate>().OrderBy(...)");
        }

        if (operators.Volatile is { } volatileMember)
        {
            throw ContinuousAggregateModelErrors.Error(
                entityType,
                "query",
                $"the query uses {volatileMember}, whose SQL is not immutable, and TimescaleDB refuses functions that are not immutable in a continuous aggregate (the buckets would depend on when they are refreshed)",
                "filter by time when you read the aggregate instead, or let the refresh policy's window choose the buckets");
        }

        if (query.Lambda.Body is not MethodCallExpression { Method.Name: nameof(Queryable.Select) } select
            || select.Method.DeclaringType != typeof(Queryable)
            || Unquote(select.Arguments[1]) is not { Body: MemberInitExpression init } selector
            || init.Type != entityType.ClrType)
        {
            throw ContinuousAggregateModelErrors.Error(
                entityType,
                "query",
                $"the query does not end with Select(g => new {entityType.ClrType.Name} {{ ... }}), so its columns cannot be matched to the entity's properties",
                $"end it with .Select(g => new {entityType.ClrType.Name} {{ Bucket = g.Key.Bucket, AvgValue = g.Average(x => x.Value), ... }})");
        }

        var assigned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var binding in init.Bindings)
        {
            if (binding is not MemberAssignment assignment)
            {
                throw ContinuousAggregateModelErrors.Error(entityType, binding.Member.Name, "the Select initializes a member's members or list instead of assigning it", "assign each column directly, e.g. AvgValue = g.Average(x => x.Value)");
            }

            if (entityType.FindProperty(binding.Member.Name) is not { } mapped || mapped.IsShadowProperty())
            {
                throw ContinuousAggregateModelErrors.Error(entityType, binding.Member.Name, "the Select sets a member that is not a mapped property of the entity, so the view would have a column nothing reads", $"map it as a property, or remove '{binding.Member.Name} = ...' from the Select");
            }

            assigned.Add(assignment.Member.Name);
        }

        foreach (var property in entityType.GetProperties())
        {
            if (!property.IsShadowProperty() && !assigned.Contains(property.Name))
            {
                throw ContinuousAggregateModelErrors.Error(
                    entityType,
                    property.Name,
                    "the property has no column in the aggregate: the query's final Select does not set it",
                    $"set it in the Select ({property.Name} = g.Key.... or an aggregate such as g.Max(x => x.Value)), or leave it out of the model with Ignore(e => e.{property.Name})");
            }
        }

        var groupBy = FindGroupBy(select.Arguments[0]);
        var timeProperty = HypertableDefinition.Find(source)?.TimeProperty;
        var example = $"group by EF.Functions.TimeBucket(TimeSpan.FromHours(1), x.{timeProperty ?? "Time"}), e.g. .GroupBy(x => new {{ Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), x.{timeProperty ?? "Time"}), x.DeviceId }})";
        if (groupBy is null || Unquote(groupBy.Arguments[1]) is not { } keySelector)
        {
            throw ContinuousAggregateModelErrors.Error(entityType, "query", "the query has no GroupBy over the source, and a continuous aggregate groups rows into time buckets", example);
        }

        var buckets = new TimeBucketFinder(keySelector.Parameters[0]);
        buckets.Visit(keySelector.Body);
        if (buckets.Columns.Count == 0 || (timeProperty is not null && !buckets.Columns.Contains(timeProperty)))
        {
            throw ContinuousAggregateModelErrors.Error(
                entityType,
                "query",
                timeProperty is null
                    ? "the grouping has no EF.Functions.TimeBucket(...) over a column of the source, and TimescaleDB requires time_bucket on the source's time column"
                    : $"the grouping has no EF.Functions.TimeBucket(...) over the source's time column '{timeProperty}'{(buckets.Columns.Count > 0 ? $" (it buckets {string.Join(", ", buckets.Columns)})" : "")}, and TimescaleDB requires time_bucket on the hypertable's time column",
                example);
        }
    }

    private static MethodCallExpression? FindGroupBy(Expression expression)
    {
        for (var current = expression; current is MethodCallExpression call && call.Method.DeclaringType == typeof(Queryable); current = call.Arguments[0])
        {
            if (call.Method.Name == nameof(Queryable.GroupBy))
            {
                return call;
            }
        }

        return null;
    }

    internal static LambdaExpression? Unquote(Expression expression) => expression is UnaryExpression { NodeType: ExpressionType.Quote, Operand: LambdaExpression lambda } ? lambda : expression as LambdaExpression;

    private sealed class OperatorFinder : ExpressionVisitor
    {
        public string? Refused { get; private set; }

        public string? Volatile { get; private set; }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if ((node.Method.DeclaringType == typeof(Queryable) || node.Method.DeclaringType == typeof(Enumerable)) && s_refusedOperators.Contains(node.Method.Name))
            {
                Refused ??= node.Method.Name;
            }
            else if (node.Method.DeclaringType == typeof(Guid) && node.Method.Name == nameof(Guid.NewGuid))
            {
                Volatile ??= "Guid.NewGuid()";
            }

            return base.VisitMethodCall(node);
        }

        protected override Expression VisitMember(MemberExpression node)
        {
            if (node.Expression is null && (node.Member.DeclaringType == typeof(DateTime) || node.Member.DeclaringType == typeof(DateTimeOffset))
                && node.Member.Name is nameof(DateTime.Now) or nameof(DateTime.UtcNow) or nameof(DateTime.Today))
            {
                Volatile ??= $"{node.Member.DeclaringType.Name}.{node.Member.Name}";
            }

            return base.VisitMember(node);
        }
    }

    /// <summary>The source members bucketed by EF.Functions.TimeBucket in a grouping key.</summary>
    private sealed class TimeBucketFinder(ParameterExpression row) : ExpressionVisitor
    {
        public List<string> Columns { get; } = [];

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method.Name == nameof(TimescaleDbFunctionsExtensions.TimeBucket)
                && (node.Method.DeclaringType == typeof(TimescaleDbFunctionsExtensions) || node.Method.DeclaringType?.IsDefined(typeof(HyperfunctionsAttribute), false) == true))
            {
                var parameters = node.Method.GetParameters();
                var index = Array.FindIndex(parameters, p => p.Name == "timestamp");
                if (index >= 0 && StripConvert(node.Arguments[index]) is MemberExpression { Expression: var owner, Member: var member } && owner == row)
                {
                    Columns.Add(member.Name);
                }
            }

            return base.VisitMethodCall(node);
        }

        private static Expression StripConvert(Expression expression)
            => expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert ? StripConvert(convert.Operand) : expression;
    }
}

/// <summary>Runs <see cref="ContinuousAggregateQueryChecks"/> once the model is complete.</summary>
internal sealed class ContinuousAggregateQueryConvention : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
        => ContinuousAggregateQueryChecks.Validate(modelBuilder.Metadata);
}

internal sealed class ContinuousAggregateQueryConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.Add(new ContinuousAggregateQueryConvention());
        return conventionSet;
    }
}

/// <summary>
/// Turns LINQ-defined continuous aggregates into SQL with the context's own query pipeline (its provider, naming
/// conventions and plugins), when the model differ needs them: at migration generation, EnsureCreated and EF's pending
/// model change check. The SQL is kept on the model as a runtime annotation, for the differ and the snapshot.
/// </summary>
internal sealed partial class ContinuousAggregateQueryCompiler(ICurrentDbContext currentContext)
{
    private static readonly MethodInfo s_set = typeof(DbContext).GetMethod(nameof(DbContext.Set), 1, Type.EmptyTypes)!;

    private static readonly MethodInfo s_tagWith = typeof(EntityFrameworkQueryableExtensions).GetMethod(nameof(EntityFrameworkQueryableExtensions.TagWith))!;

    /// <summary>Compiles the LINQ-defined aggregates of <paramref name="model"/> that have no SQL yet.</summary>
    public void Prepare(IRelationalModel? model)
    {
        if (model is null)
        {
            return;
        }

        foreach (var entityType in model.Model.GetEntityTypes())
        {
            if (ContinuousAggregateQuery.Find(entityType) is { } query && ContinuousAggregateQuery.CompiledSql(entityType) is null)
            {
                entityType.SetRuntimeAnnotation(ContinuousAggregateQuery.CompiledSqlAnnotation, Compile(entityType, query));
            }
        }
    }

    private string Compile(IEntityType aggregate, ContinuousAggregateQuery query)
    {
        var context = currentContext.Context;
        if (context.Model.FindEntityType(query.SourceType) is null || context.Model.FindEntityType(aggregate.ClrType) is null)
        {
            throw ContinuousAggregateModelErrors.Error(
                aggregate,
                "query",
                $"the query can only be translated by a context whose model has '{query.SourceType.Name}' and '{aggregate.ClrType.Name}', and {context.GetType().Name} has not",
                "generate the migration with the context that declares the aggregate");
        }

        var view = StoreObjectIdentifier.View(aggregate.GetViewName()!, aggregate.GetViewSchema());
        var columns = aggregate.GetProperties().ToDictionary(p => p.Name, p => p.GetColumnName(view) ?? p.GetColumnName());
        var root = (IQueryable)s_set.MakeGenericMethod(query.SourceType).Invoke(context, null)!;
        var body = new ParameterReplacer(query.Lambda.Parameters[0], root.Expression).Visit(query.Lambda.Body)!;
        body = ClientValueInliner.Inline(body);
        body = Expression.Call(s_tagWith.MakeGenericMethod(aggregate.ClrType), body, Expression.Constant(ContinuousAggregateColumns.Tag(columns)));

        string sql;
        try
        {
            sql = root.Provider.CreateQuery(body).ToQueryString();
        }
        catch (ContinuousAggregateColumnsException e)
        {
            throw ContinuousAggregateModelErrors.Error(aggregate, e.Property, e.Problem, e.Fix);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw ContinuousAggregateModelErrors.Error(
                aggregate,
                "query",
                $"EF Core cannot translate the aggregate's query to SQL: {e.Message.TrimEnd('.')}",
                "use only what EF Core translates on the server (GroupBy with EF.Functions.TimeBucket, Average, Sum, Min, Max, Count, EF.Functions.PercentileCont, Median, First, Last, conditions in Where or ?:); no client-side method calls or AsEnumerable(). What LINQ cannot say, write as SQL with IsContinuousAggregate(\"view\", \"SELECT ...\")");
        }

        sql = string.Join('\n', sql.Split('\n').SkipWhile(line => line.StartsWith("--", StringComparison.Ordinal) || line.Trim().Length == 0)).Trim();
        if (Parameter().Match(sql) is { Success: true } parameter)
        {
            throw ContinuousAggregateModelErrors.Error(
                aggregate,
                "query",
                $"EF Core sends a value of the query as the parameter {parameter.Value}, and a view's query cannot have parameters",
                "write the value inside the query as a constant or a local computed from constants (it is inlined), not read from a database value or a method EF Core sends as a parameter");
        }

        if (aggregate.FindAnnotation(ContinuousAggregateAnnotationNames.RefreshPolicy) is not null && ContinuousAggregateDefinition.Find(aggregate) is { Policy: { } policy })
        {
            ContinuousAggregateModelErrors.CheckWindow(aggregate, sql, policy);
        }

        return sql;
    }

    // @name outside quotes: Npgsql's parameter placeholders.
    [GeneratedRegex(@"(?<![A-Za-z0-9_""'@])@[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Parameter();

    private sealed class ParameterReplacer(ParameterExpression parameter, Expression replacement) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? replacement : node;
    }
}

/// <summary>
/// Replaces the values the query computes in C# (<c>TimeSpan.FromHours(1)</c>, captured locals) by constants, so EF Core
/// writes them into the SQL instead of sending them as parameters, which a view cannot have.
/// </summary>
internal sealed class ClientValueInliner : ExpressionVisitor
{
    public static Expression Inline(Expression expression) => new ClientValueInliner().Visit(expression)!;

    public override Expression? Visit(Expression? node)
    {
        if (node is null or ConstantExpression or ParameterExpression or LambdaExpression || node.NodeType is ExpressionType.Quote or ExpressionType.Extension)
        {
            return base.Visit(node);
        }

        if (Evaluable.Check(node))
        {
            return Expression.Constant(Expression.Lambda(node).Compile().DynamicInvoke(), node.Type);
        }

        return base.Visit(node);
    }

    // The object a Select creates stays a creation: only the values assigned to its members become constants.
    protected override Expression VisitMemberInit(MemberInitExpression node) => node.Update(node.NewExpression, node.Bindings.Select(VisitMemberBinding));

    protected override Expression VisitListInit(ListInitExpression node) => node.Update(node.NewExpression, node.Initializers.Select(VisitElementInit));

    private sealed class Evaluable : ExpressionVisitor
    {
        private bool _refused;

        public static bool Check(Expression node)
        {
            var check = new Evaluable();
            check.Visit(node);
            return !check._refused;
        }

        public override Expression? Visit(Expression? node)
        {
            if (_refused || node is null)
            {
                return node;
            }

            if (node is ParameterExpression or LambdaExpression || node.NodeType is ExpressionType.Extension or ExpressionType.Quote
                || typeof(IQueryable).IsAssignableFrom(node.Type) || node.Type == typeof(DbFunctions))
            {
                _refused = true;
                return node;
            }

            if (node is MethodCallExpression call
                && (call.Method.DeclaringType == typeof(EF) || call.Method.GetParameters() is [{ ParameterType: var first }, ..] && first == typeof(DbFunctions)))
            {
                _refused = true;
                return node;
            }

            return base.Visit(node);
        }
    }
}

/// <summary>
/// Names a LINQ-defined aggregate's SQL columns after its entity's columns: the compiler tags the query with the
/// property-to-column map, and this postprocessor (wrapping the one registered before it) renames the projection,
/// which EF names after the C# members, and merges EF's grouping subquery into the grouping query (TimescaleDB
/// refuses subqueries in a continuous aggregate).
/// </summary>
internal sealed class ContinuousAggregateQueryTranslationPostprocessorFactory(IServiceProvider services, QueryTranslationPostprocessorDependencies dependencies)
    : IQueryTranslationPostprocessorFactory
{
    private IQueryTranslationPostprocessorFactory? _inner;

    public QueryTranslationPostprocessor Create(QueryCompilationContext queryCompilationContext)
    {
        _inner ??= ServiceDecoration.Inner<IQueryTranslationPostprocessorFactory, ContinuousAggregateQueryTranslationPostprocessorFactory>(services);
        return new ContinuousAggregateQueryTranslationPostprocessor(dependencies, queryCompilationContext, _inner.Create(queryCompilationContext));
    }
}

internal sealed class ContinuousAggregateQueryTranslationPostprocessor(
    QueryTranslationPostprocessorDependencies dependencies,
    QueryCompilationContext queryCompilationContext,
    QueryTranslationPostprocessor inner)
    : QueryTranslationPostprocessor(dependencies, queryCompilationContext)
{
    public override Expression Process(Expression query)
    {
        var processed = inner.Process(query);
        if (processed is not ShapedQueryExpression { QueryExpression: SelectExpression select }
            || QueryCompilationContext.Tags.Select(ContinuousAggregateColumns.Read).FirstOrDefault(c => c is not null) is not { } columns)
        {
            return processed;
        }

        var shaped = (ShapedQueryExpression)new GapfillSubqueryInliner(everyProjectingSubquery: true).Visit(processed)!;
        select = (SelectExpression)shaped.QueryExpression;
        var projected = new Dictionary<string, string>(StringComparer.Ordinal);
        var projections = new List<ProjectionExpression>();
        foreach (var projection in select.Projection)
        {
            if (!columns.TryGetValue(projection.Alias, out var column))
            {
                throw new ContinuousAggregateColumnsException(
                    projection.Alias,
                    "two properties of the Select have the same SQL expression, and EF Core gives the view one column for both",
                    "compute each column once; read a duplicate from the one property instead of storing it twice");
            }

            projected[projection.Alias] = column;
            projections.Add(new ProjectionExpression(projection.Expression, column));
        }

        if (columns.Keys.FirstOrDefault(p => !projected.ContainsKey(p)) is { } missing)
        {
            throw new ContinuousAggregateColumnsException(
                missing,
                "EF Core gives this property no column of its own: its expression is the same as another property's",
                "compute each column once; read a duplicate from the one property instead of storing it twice");
        }

        return shaped.UpdateQueryExpression(select.Update(select.Tables, select.Predicate, select.GroupBy, select.Having, projections, select.Orderings, select.Offset, select.Limit));
    }
}

internal sealed class ContinuousAggregateColumnsException(string property, string problem, string fix) : InvalidOperationException(problem)
{
    public string Property { get; } = property;

    public string Problem { get; } = problem;

    public string Fix { get; } = fix;
}

/// <summary>The query tag that carries the property-to-column map from the compiler to the postprocessor.</summary>
internal static class ContinuousAggregateColumns
{
    private const string Prefix = "Hourglass continuous aggregate columns: ";

    public static string Tag(IReadOnlyDictionary<string, string> columns) => Prefix + AnnotationJson.Serialize(columns);

    public static Dictionary<string, string>? Read(string tag)
        => tag.StartsWith(Prefix, StringComparison.Ordinal) ? AnnotationJson.Deserialize<Dictionary<string, string>>(tag[Prefix.Length..]) : null;
}

/// <summary>
/// Writes a LINQ-defined aggregate into the model snapshot (and a migration's target model) as the SQL it was compiled
/// to, the way the SQL form is stored: snapshots hold readable SQL, never the query.
/// </summary>
internal sealed class ContinuousAggregateQuerySnapshotGenerator : ITimescaleScaffoldingCodeGenerator
{
    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (annotations.Remove(ContinuousAggregateQuery.AnnotationName))
        {
            var sql = ContinuousAggregateQuery.CompiledSql(entityType)
                ?? throw ContinuousAggregateModelErrors.Error(entityType, "query", "the LINQ query has not been translated to SQL for this model", "generate migrations through EF Core's migrations scaffolder (dotnet ef migrations add), which translates it first");
            annotations[ContinuousAggregateAnnotationNames.Sql] = new Annotation(ContinuousAggregateAnnotationNames.Sql, sql);
        }

        return [];
    }

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IModel model, IDictionary<string, IAnnotation> annotations) => [];
}
