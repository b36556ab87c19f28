using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;

/// <summary>
/// TimescaleDB's UUIDv7 functions (<c>uuid_timestamp</c>, <c>uuid_timestamp_micros</c>, <c>uuid_version</c>,
/// <c>to_uuidv7_boundary</c>) in plain PostgreSQL, computed from the UUID's bytes (<c>uuid_send</c>, <c>get_byte</c>) exactly
/// as TimescaleDB's C code computes them (the microseconds as from 2.24 on): the Unix milliseconds in bytes 0-5, the version in the high nibble of byte 6,
/// the RFC 9562 variant in the top bits of byte 8, the sub-millisecond fraction in the 12 <c>rand_a</c> bits. Only
/// integer arithmetic, so the results are TimescaleDB's to the microsecond.
/// </summary>
internal sealed class PortableUuid(PortableSql sql, IRelationalTypeMappingSource typeMappings)
{
    private readonly RelationalTypeMapping _bytes = typeMappings.FindMapping(typeof(byte[]))!;
    private readonly RelationalTypeMapping _long = typeMappings.FindMapping(typeof(long))!;
    private readonly RelationalTypeMapping _uuid = typeMappings.FindMapping(typeof(Guid))!;

    /// <summary><c>uuid_timestamp(uuid)</c>: the milliseconds, NULL unless an RFC 9562 version 7 UUID.</summary>
    public SqlExpression Timestamp(SqlExpression uuid, bool micros)
    {
        var bytes = sql.Function("uuid_send", [uuid], typeof(byte[]), _bytes);
        var milliseconds = Byte(bytes, 0, _long);
        for (var i = 1; i < 6; i++)
        {
            milliseconds = Plus(Times(milliseconds, Long(256)), Byte(bytes, i, _long));
        }

        // to_timestamp of whole seconds is exact (a multiple of 10^6 microseconds fits a double); the rest is added as an
        // integer number of microseconds, so no step rounds.
        var seconds = sql.Function("to_timestamp", [Divide(milliseconds, Long(1000))], typeof(DateTime), sql.TimestampTz);
        var microseconds = Times(Modulo(milliseconds, Long(1000)), Long(1000));
        if (micros)
        {
            // (rand_a + 1) * 1000 / 4096 inverts the encoding floor(us * 4096 / 1000) of to_uuidv7 and PostgreSQL 18's uuidv7,
            // as TimescaleDB decodes it from 2.24 on (#8876; before, rand_a * 1000 / 4096, a microsecond less for most values).
            var randA = Plus(Times(Modulo(Byte(bytes, 6, sql.Int), Int(16)), Int(256)), Byte(bytes, 7, sql.Int));
            microseconds = Plus(microseconds, sql.Cast(Divide(Times(Plus(randA, Int(1)), Int(1000)), Int(4096)), typeof(long), _long));
        }

        var time = sql.Add(seconds, sql.Binary(ExpressionType.Multiply, microseconds, sql.Literal(TimeSpan.FromTicks(10), sql.Interval), typeof(TimeSpan), sql.Interval));
        var isVersion7 = sql.Factory.AndAlso(
            sql.Factory.Equal(Divide(Byte(bytes, 6, sql.Int), Int(16)), Int(7)),
            sql.Factory.Equal(Divide(Byte(bytes, 8, sql.Int), Int(64)), Int(2)));
        return sql.Factory.Case([new CaseWhenClause(isVersion7, time)], elseResult: null);
    }

    /// <summary><c>uuid_version(uuid)</c>: the high nibble of byte 6, NULL unless the RFC 9562 variant.</summary>
    public SqlExpression Version(SqlExpression uuid)
    {
        var bytes = sql.Function("uuid_send", [uuid], typeof(byte[]), _bytes);
        return sql.Factory.Case(
            [new CaseWhenClause(sql.Factory.Equal(Divide(Byte(bytes, 8, sql.Int), Int(64)), Int(2)), Divide(Byte(bytes, 6, sql.Int), Int(16)))],
            elseResult: null);
    }

    /// <summary>
    /// <c>to_uuidv7_boundary(ts)</c>: the Unix milliseconds in 12 hex digits, version 7 with the sub-millisecond fraction
    /// scaled to 12 bits, the variant, zeros.
    /// </summary>
    public SqlExpression Boundary(SqlExpression timestamp)
    {
        timestamp = sql.Factory.ApplyTypeMapping(timestamp, timestamp.TypeMapping ?? sql.TimestampTz);

        // Whole seconds and the microseconds within the second, each exact (date_part's double holds them as integers).
        var seconds = sql.Cast(sql.Part("epoch", sql.Function("date_trunc", [sql.Literal("second", sql.Text), timestamp], typeof(DateTime), timestamp.TypeMapping)), typeof(long), _long);
        var microsecondOfSecond = Modulo(sql.Cast(sql.Part("microseconds", timestamp), typeof(long), _long), Long(1_000_000));
        var unixMicroseconds = Plus(Times(seconds, Long(1_000_000)), microsecondOfSecond);
        var milliseconds = Divide(unixMicroseconds, Long(1000));
        var randA = Divide(Times(Modulo(unixMicroseconds, Long(1000)), Long(4096)), Long(1000));
        var hex = Concat(
            sql.Function("lpad", [sql.Function("to_hex", [milliseconds], typeof(string), sql.Text), Int(12), sql.Literal("0", sql.Text)], typeof(string), sql.Text),
            sql.Function("to_hex", [Plus(randA, Long(0x7000))], typeof(string), sql.Text),
            sql.Literal("8000000000000000", sql.Text));
        return sql.Cast(hex, typeof(Guid), _uuid);
    }

    private SqlExpression Byte(SqlExpression bytes, int index, RelationalTypeMapping mapping)
    {
        var value = sql.Function("get_byte", [bytes, Int(index)], typeof(int), sql.Int);
        return mapping == sql.Int ? value : sql.Cast(value, mapping.ClrType, mapping);
    }

    private SqlExpression Concat(params SqlExpression[] parts)
        => parts.Skip(1).Aggregate(parts[0], (left, right) => sql.Binary(ExpressionType.Add, left, right, typeof(string), sql.Text));

    private SqlExpression Plus(SqlExpression left, SqlExpression right) => sql.Binary(ExpressionType.Add, left, right, left.Type, left.TypeMapping);

    private SqlExpression Times(SqlExpression left, SqlExpression right) => sql.Binary(ExpressionType.Multiply, left, right, left.Type, left.TypeMapping);

    private SqlExpression Divide(SqlExpression left, SqlExpression right) => sql.Binary(ExpressionType.Divide, left, right, left.Type, left.TypeMapping);

    private SqlExpression Modulo(SqlExpression left, SqlExpression right) => sql.Binary(ExpressionType.Modulo, left, right, left.Type, left.TypeMapping);

    private SqlExpression Long(long value) => sql.Literal(value, _long);

    private SqlExpression Int(int value) => sql.Literal(value, sql.Int);
}
