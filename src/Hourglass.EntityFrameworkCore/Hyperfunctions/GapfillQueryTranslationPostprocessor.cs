using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Hourglass.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>
/// Wraps the query postprocessor factory registered before it (Npgsql's, or another extension's): its postprocessor
/// runs first, then <see cref="GapfillSubqueryInliner"/>.
/// </summary>
internal sealed class GapfillQueryTranslationPostprocessorFactory(IServiceProvider services, QueryTranslationPostprocessorDependencies dependencies)
    : IQueryTranslationPostprocessorFactory
{
    private IQueryTranslationPostprocessorFactory? _inner;

    public QueryTranslationPostprocessor Create(QueryCompilationContext queryCompilationContext)
    {
        _inner ??= ServiceDecoration.Inner<IQueryTranslationPostprocessorFactory, GapfillQueryTranslationPostprocessorFactory>(services);
        return new GapfillQueryTranslationPostprocessor(dependencies, queryCompilationContext, _inner.Create(queryCompilationContext));
    }
}

internal sealed class GapfillQueryTranslationPostprocessor(
    QueryTranslationPostprocessorDependencies dependencies,
    QueryCompilationContext queryCompilationContext,
    QueryTranslationPostprocessor inner)
    : QueryTranslationPostprocessor(dependencies, queryCompilationContext)
{
    public override Expression Process(Expression query) => new GapfillSubqueryInliner().Visit(inner.Process(query))!;
}

/// <summary>
/// EF groups by a computed key through a subquery (<c>SELECT ... FROM (SELECT time_bucket_gapfill(...) AS "Key" ...) GROUP BY "Key"</c>).
/// TimescaleDB only fills gaps when <c>time_bucket_gapfill</c> is in the grouping query itself, and silently returns
/// plain buckets otherwise; so such a subquery, when it only projects and filters, is merged into its grouping query.
/// </summary>
/// <remarks>
/// With <paramref name="everyProjectingSubquery"/>, every such subquery is merged, whatever it projects: a continuous
/// aggregate's query may not have one at all.
/// </remarks>
internal sealed class GapfillSubqueryInliner(bool everyProjectingSubquery = false) : ExpressionVisitor
{
    public override Expression? Visit(Expression? node)
    {
        switch (node)
        {
            case ShapedQueryExpression shaped:
                return shaped.UpdateQueryExpression(Visit(shaped.QueryExpression)!);

            case SelectExpression select:
                var visited = (SelectExpression)base.Visit(select)!;
                return Inline(visited) ?? visited;

            default:
                return base.Visit(node);
        }
    }

    private SelectExpression? Inline(SelectExpression select)
    {
        if (select.GroupBy.Count == 0
            || select.Tables is not [SelectExpression subquery]
            || subquery.GroupBy.Count > 0
            || subquery.Having is not null
            || subquery.Limit is not null
            || subquery.Offset is not null
            || subquery.IsDistinct
            || subquery.Orderings.Count > 0
            || (!everyProjectingSubquery && !subquery.Projection.Any(p => GapfillFinder.Contains(p.Expression))))
        {
            return null;
        }

        var columns = new SubqueryColumnReplacer(subquery);
        var predicate = columns.Replace(select.Predicate);
        if (subquery.Predicate is not null)
        {
            predicate = predicate is null
                ? subquery.Predicate
                : new SqlBinaryExpression(ExpressionType.AndAlso, subquery.Predicate, predicate, typeof(bool), subquery.Predicate.TypeMapping);
        }

        return select.Update(
            subquery.Tables,
            predicate,
            select.GroupBy.Select(g => columns.Replace(g)!).ToList(),
            columns.Replace(select.Having),
            select.Projection.Select(p => p.Update(columns.Replace(p.Expression)!)).ToList(),
            select.Orderings.Select(o => o.Update(columns.Replace(o.Expression)!)).ToList(),
            select.Offset,
            select.Limit);
    }

    private sealed class SubqueryColumnReplacer(SelectExpression subquery) : ExpressionVisitor
    {
        private readonly Dictionary<string, SqlExpression> _projections = subquery.Projection.ToDictionary(p => p.Alias, p => p.Expression);

        public SqlExpression? Replace(SqlExpression? expression) => (SqlExpression?)Visit(expression);

        public override Expression? Visit(Expression? node)
            => node is ColumnExpression column && column.TableAlias == subquery.Alias && _projections.TryGetValue(column.Name, out var projected)
                ? projected
                : base.Visit(node);
    }

    private sealed class GapfillFinder : ExpressionVisitor
    {
        private bool _found;

        public static bool Contains(Expression expression)
        {
            var finder = new GapfillFinder();
            finder.Visit(expression);
            return finder._found;
        }

        public override Expression? Visit(Expression? node)
        {
            if (node is SqlFunctionExpression { Name: "time_bucket_gapfill" or Portable.GapfillMarkers.Bucket })
            {
                _found = true;
                return node;
            }

            return _found ? node : base.Visit(node);
        }
    }
}
