using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query.Expressions.Internal;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>Translates <c>EF.Functions.First</c> and <c>Last</c> over a group to TimescaleDB's <c>first(value, time)</c> and <c>last(value, time)</c>.</summary>
internal sealed class HyperfunctionAggregateTranslator(NpgsqlSqlExpressionFactory sql) : IAggregateMethodCallTranslator
{
    public SqlExpression? Translate(
        MethodInfo method,
        EnumerableExpression source,
        IReadOnlyList<SqlExpression> arguments,
        IDiagnosticsLogger<DbLoggerCategory.Query> logger)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(source);
        if (method.DeclaringType != typeof(TimescaleDbFunctionsExtensions)
            || method.Name is not (nameof(TimescaleDbFunctionsExtensions.First) or nameof(TimescaleDbFunctionsExtensions.Last)))
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
        return sql.AggregateFunction(
            method.Name == nameof(TimescaleDbFunctionsExtensions.First) ? "first" : "last",
            [value, time],
            source,
            nullable: true,
            argumentsPropagateNullability: [false, false],
            method.ReturnType,
            value.TypeMapping);
    }
}
