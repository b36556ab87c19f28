using System.Reflection;
using Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query.Expressions.Internal;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>
/// Translates <c>EF.Functions.First</c>, <c>Last</c> and <c>Histogram</c> over a group to TimescaleDB's
/// <c>first(value, time)</c>, <c>last(value, time)</c> and <c>histogram(value, min, max, nbuckets)</c>.
/// </summary>
internal sealed class HyperfunctionAggregateTranslator(NpgsqlSqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings, QueryEditionResolver edition)
    : IAggregateMethodCallTranslator
{
    private readonly PortableAggregates _portable = new(sql, typeMappings);

    public SqlExpression? Translate(
        MethodInfo method,
        EnumerableExpression source,
        IReadOnlyList<SqlExpression> arguments,
        IDiagnosticsLogger<DbLoggerCategory.Query> logger)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(arguments);
        if (method.DeclaringType != typeof(TimescaleDbFunctionsExtensions))
        {
            return null;
        }

        if (method.Name == nameof(TimescaleDbFunctionsExtensions.Histogram))
        {
            return Histogram(method, source, arguments);
        }

        if (method.Name is not (nameof(TimescaleDbFunctionsExtensions.First) or nameof(TimescaleDbFunctionsExtensions.Last)))
        {
            return null;
        }

        // Npgsql translates the selector's new ValueTuple<TValue, TTime>(value, time) to a SQL row value; its two
        // members become the aggregate's two arguments.
        if (source.Selector is not PgRowValueExpression { Values: [var value, var time] })
        {
            return null;
        }

        value = sql.ApplyDefaultTypeMapping(value);
        if (!edition.HasTimescale)
        {
            return _portable.Bookend(method.Name == nameof(TimescaleDbFunctionsExtensions.First), value, time, source, method.ReturnType);
        }

        return sql.AggregateFunction(
            method.Name == nameof(TimescaleDbFunctionsExtensions.First) ? "first" : "last",
            [value, time],
            source,
            nullable: true,
            argumentsPropagateNullability: [false, false],
            method.ReturnType,
            value.TypeMapping);
    }

    private SqlExpression? Histogram(MethodInfo method, EnumerableExpression source, IReadOnlyList<SqlExpression> arguments)
    {
        // The scalar arguments follow EF.Functions: min, max, nbuckets are the last three.
        if (source.Selector is not SqlExpression value || arguments.Count < 3)
        {
            return null;
        }

        if (!edition.HasTimescale)
        {
            var scalars = arguments.Skip(arguments.Count - 3).Select(a => sql.ApplyDefaultTypeMapping(a)).ToList();
            return _portable.Histogram(method, sql.ApplyDefaultTypeMapping(value), source, scalars[0], scalars[1], scalars[2]);
        }

        return sql.AggregateFunction(
            "histogram",
            [value, .. arguments.Skip(arguments.Count - 3)],
            source,
            nullable: true,
            argumentsPropagateNullability: [false, false, false, false],
            method.ReturnType,
            typeMappings.FindMapping(method.ReturnType));
    }
}
