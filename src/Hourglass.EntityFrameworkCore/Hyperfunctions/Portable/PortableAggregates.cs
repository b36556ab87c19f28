using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;

/// <summary>
/// <c>first</c>, <c>last</c> and <c>histogram</c> in plain PostgreSQL, with TimescaleDB's results: an ordered
/// <c>array_agg</c> indexed at 1 (rows with a NULL time are left out, as TimescaleDB's bookends skip them; a NULL
/// value is kept), and one filtered <c>count</c> per <c>width_bucket</c> gathered into the same <c>int[]</c> of
/// <c>nbuckets + 2</c>, NULL when the group has no value.
/// </summary>
internal sealed class PortableAggregates(NpgsqlSqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings)
{
    public SqlExpression Bookend(bool first, SqlExpression value, SqlExpression time, EnumerableExpression source, Type returnType)
    {
        var rows = source
            .ApplyPredicate(sql.IsNotNull(time))
            .ApplyOrdering(new OrderingExpression(time, ascending: first));
        var arrayType = value.Type.MakeArrayType();
        var values = sql.AggregateFunction(
            "array_agg",
            [value],
            rows,
            nullable: true,
            argumentsPropagateNullability: [false],
            arrayType,
            typeMappings.FindMapping(arrayType));
        return sql.ArrayIndex(values, sql.Constant(1, typeMappings.FindMapping(typeof(int))), nullable: true, value.TypeMapping);
    }

    public SqlExpression Histogram(MethodInfo method, SqlExpression value, EnumerableExpression source, SqlExpression min, SqlExpression max, SqlExpression buckets)
    {
        if (buckets is not SqlConstantExpression { Value: int count } || count < 1)
        {
            throw new InvalidOperationException(
                "EF.Functions.Histogram on PostgreSQL without TimescaleDB needs nbuckets as a constant of at least 1 in the query (it decides the "
                + "number of counts in the SQL), and this query passes it as a variable or parameter. Fix: write the number in the query, e.g. "
                + "Histogram(g.Select(m => m.Value), 10, 90, 8), or use a TimescaleDB server.");
        }

        var intMapping = typeMappings.FindMapping(typeof(int))!;
        var bucket = sql.Function(
            "width_bucket",
            [value, min, max, buckets],
            nullable: true,
            argumentsPropagateNullability: [true, true, true, true],
            typeof(int),
            intMapping);
        var counts = Enumerable.Range(0, count + 2)
            .Select(i => sql.Convert(
                sql.AggregateFunction(
                    "count",
                    [value],
                    source.ApplyPredicate(sql.Equal(bucket, sql.Constant(i, intMapping))),
                    nullable: false,
                    argumentsPropagateNullability: [false],
                    typeof(long),
                    typeMappings.FindMapping(typeof(long))),
                typeof(int),
                intMapping))
            .ToList();
        var arrayMapping = typeMappings.FindMapping(method.ReturnType);
        var any = sql.AggregateFunction("count", [value], source, nullable: false, argumentsPropagateNullability: [false], typeof(long), typeMappings.FindMapping(typeof(long)));
        return sql.Case(
            [new CaseWhenClause(sql.GreaterThan(any, sql.Constant(0L, typeMappings.FindMapping(typeof(long)))), sql.NewArray(counts, method.ReturnType, arrayMapping))],
            elseResult: null);
    }
}
