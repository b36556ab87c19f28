using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query.Expressions.Internal;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>
/// Translates <see cref="OrderedSetDbFunctionsExtensions"/> to PostgreSQL's ordered-set aggregates,
/// <c>name(direct arguments) WITHIN GROUP (ORDER BY value) FILTER (WHERE ...)</c>.
/// </summary>
/// <remarks>
/// Npgsql has no SQL expression for <c>WITHIN GROUP</c>, and a SQL expression type of our own would be refused by
/// Npgsql's nullability processor and SQL generator. So the call is Npgsql's own aggregate function expression, whose
/// argument separators PostgreSQL syntax such as <c>AT TIME ZONE</c> already uses: the separator before the ordered
/// value closes the direct arguments and opens <c>WITHIN GROUP (ORDER BY</c>.
/// </remarks>
internal sealed class OrderedSetAggregateTranslator(ISqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings) : IAggregateMethodCallTranslator
{
    public SqlExpression? Translate(
        MethodInfo method,
        EnumerableExpression source,
        IReadOnlyList<SqlExpression> arguments,
        IDiagnosticsLogger<DbLoggerCategory.Query> logger)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(arguments);
        if (method.DeclaringType != typeof(OrderedSetDbFunctionsExtensions) || source.Selector is not SqlExpression value
            || source.IsDistinct || source.Orderings.Count > 0)
        {
            return null;
        }

        return method.Name switch
        {
            nameof(OrderedSetDbFunctionsExtensions.PercentileCont) => Percentile("percentile_cont", method, source, Fraction(arguments), ToDouble(value)),
            nameof(OrderedSetDbFunctionsExtensions.PercentileDisc) => Percentile("percentile_disc", method, source, Fraction(arguments), sql.ApplyDefaultTypeMapping(value)),
            nameof(OrderedSetDbFunctionsExtensions.Median) => Percentile("percentile_cont", method, source, sql.ApplyDefaultTypeMapping(sql.Constant(0.5)), ToDouble(value)),
            nameof(OrderedSetDbFunctionsExtensions.Mode) => WithinGroup("mode", [], method, source, sql.ApplyDefaultTypeMapping(value), value.TypeMapping),
            _ => null,
        };
    }

    // The fraction(s) are the one scalar argument besides the group's values.
    private SqlExpression? Fraction(IReadOnlyList<SqlExpression> arguments)
        => arguments.FirstOrDefault(a => a.Type == typeof(double) || a.Type == typeof(double[])) is { } fraction ? sql.ApplyDefaultTypeMapping(fraction) : null;

    private SqlExpression ToDouble(SqlExpression value)
    {
        value = sql.ApplyDefaultTypeMapping(value);
        var type = Nullable.GetUnderlyingType(value.Type) ?? value.Type;
        return type == typeof(double) ? value : sql.Convert(value, value.Type == type ? typeof(double) : typeof(double?));
    }

    private PgFunctionExpression? Percentile(string function, MethodInfo method, EnumerableExpression source, SqlExpression? fraction, SqlExpression value)
    {
        if (fraction is null)
        {
            return null;
        }

        // One fraction gives a value of the ordering's type (percentile_cont: double precision); an array, an array of it.
        var mapping = method.ReturnType.IsArray ? typeMappings.FindMapping(method.ReturnType) : value.TypeMapping;
        return WithinGroup(function, [fraction], method, source, value, mapping);
    }

    private static PgFunctionExpression WithinGroup(
        string function,
        SqlExpression[] directArguments,
        MethodInfo method,
        EnumerableExpression source,
        SqlExpression value,
        RelationalTypeMapping? mapping)
    {
        // name(direct arguments ) WITHIN GROUP (ORDER BY value) FILTER (WHERE ...): the value is the last argument, after
        // a separator that closes the direct arguments; mode() has none, so an empty fragment stands in for them.
        SqlExpression[] arguments = directArguments.Length == 0 ? [new SqlFragmentExpression(""), value] : [.. directArguments, value];
        return new PgFunctionExpression(
            function,
            arguments,
            [],
            Enumerable.Range(0, arguments.Length - 1).Select(i => i == arguments.Length - 2 ? ") WITHIN GROUP (ORDER BY" : null),
            false,
            source.Predicate,
            [],
            true,
            arguments.Select(_ => false),
            method.ReturnType,
            mapping);
    }
}
