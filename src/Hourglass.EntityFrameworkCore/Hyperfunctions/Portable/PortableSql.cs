using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;

/// <summary>Small builders for the plain-PostgreSQL SQL the degraded hyperfunctions are made of; every node gets an explicit type mapping.</summary>
// Binary and AtTimeZone need no state, but they belong with the other builders that every translation calls on one instance.
#pragma warning disable CA1822
internal sealed class PortableSql(ISqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings)
{
    public ISqlExpressionFactory Factory => sql;

    public RelationalTypeMapping Timestamp { get; } = typeMappings.FindMapping(typeof(DateTime), "timestamp without time zone")!;

    public RelationalTypeMapping TimestampTz { get; } = typeMappings.FindMapping(typeof(DateTime), "timestamp with time zone")!;

    public RelationalTypeMapping Date { get; } = typeMappings.FindMapping(typeof(DateOnly), "date")!;

    public RelationalTypeMapping Interval { get; } = typeMappings.FindMapping(typeof(TimeSpan), "interval")!;

    public RelationalTypeMapping Double { get; } = typeMappings.FindMapping(typeof(double))!;

    public RelationalTypeMapping Int { get; } = typeMappings.FindMapping(typeof(int))!;

    public RelationalTypeMapping Bool { get; } = typeMappings.FindMapping(typeof(bool))!;

    public RelationalTypeMapping Text { get; } = typeMappings.FindMapping(typeof(string), "text")!;

    public SqlExpression Function(string name, SqlExpression[] arguments, Type type, RelationalTypeMapping? mapping)
        => sql.Function(name, arguments, nullable: true, arguments.Select(_ => true).ToArray(), type, mapping);

    public SqlExpression Binary(ExpressionType op, SqlExpression left, SqlExpression right, Type type, RelationalTypeMapping? mapping)
        => new SqlBinaryExpression(op, left, right, type, mapping);

    public SqlExpression Add(SqlExpression left, SqlExpression right) => Binary(ExpressionType.Add, left, right, left.Type, left.TypeMapping);

    public SqlExpression Subtract(SqlExpression left, SqlExpression right) => Binary(ExpressionType.Subtract, left, right, left.Type, left.TypeMapping);

    public SqlExpression Cast(SqlExpression operand, Type type, RelationalTypeMapping mapping) => sql.Convert(operand, type, mapping);

    public SqlExpression AtTimeZone(SqlExpression operand, SqlExpression zone, Type type, RelationalTypeMapping mapping)
        => new AtTimeZoneExpression(operand, zone, type, mapping);

    public SqlExpression Literal(object value, RelationalTypeMapping mapping) => sql.Constant(value, mapping);

    /// <summary><c>date_part('field', x)</c> as double precision.</summary>
    public SqlExpression Part(string field, SqlExpression source) => Function("date_part", [Literal(field, Text), source], typeof(double), Double);

    /// <summary>A time <c>x</c> (timestamp or timestamptz) moved back by the seconds of <paramref name="interval"/>, with no calendar arithmetic.</summary>
    public SqlExpression MinusExactly(SqlExpression time, SqlExpression interval)
        => Subtract(time, Binary(ExpressionType.Multiply, Part("epoch", interval), Literal(TimeSpan.FromSeconds(1), Interval), typeof(TimeSpan), Interval));
}
#pragma warning restore CA1822
