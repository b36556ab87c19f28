using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;

/// <summary>
/// <c>time_bucket</c> in plain PostgreSQL (14 or later), computing what TimescaleDB's own function computes:
/// fixed widths with <c>date_bin</c> from TimescaleDB's default origin (Monday 2000-01-03, in UTC for timestamptz),
/// month widths by counting months from 2000-01-01 (or the origin's month), offsets as TimescaleDB's SQL wrappers
/// apply them (<c>bucket(t - offset) + offset</c>), time zones with <c>AT TIME ZONE</c> around the wall-clock bucket
/// (TimescaleDB 2.25+'s rules for an offset and for a bucket that would start after its time), dates through
/// timestamps, and integers with floor division.
/// </summary>
internal sealed class PortableTimeBucket(PortableSql sql)
{
    private static readonly DateTime DefaultOrigin = new(2000, 1, 3);
    private static readonly DateTime MonthOrigin = new(2000, 1, 1);

    private enum WidthKind
    {
        Fixed,
        Months,
        Unknown,
    }

    public SqlExpression Translate(
        SqlExpression width,
        SqlExpression time,
        SqlExpression? origin,
        SqlExpression? offset,
        SqlExpression? timezone,
        Type returnType,
        RelationalTypeMapping resultMapping,
        RelationalTypeMapping timeMapping)
    {
        var store = timeMapping.StoreType;
        if (store is "integer" or "bigint" or "smallint" or "int" or "int4" or "int8" or "int2")
        {
            // time_bucket(w, t, off) = floor((t - off) / w) * w + off, written so it stays in the column's type: t - mod_floor(t - off, w).
            var shifted = offset is null ? time : sql.Subtract(time, offset);
            var remainder = sql.Binary(ExpressionType.Modulo, shifted, width, time.Type, timeMapping);
            var floorRemainder = sql.Binary(ExpressionType.Modulo, sql.Add(remainder, width), width, time.Type, timeMapping);
            return sql.Binary(ExpressionType.Subtract, time, floorRemainder, returnType, resultMapping);
        }

        var kind = Classify(width);
        if (timezone is not null)
        {
            return InZone(width, kind, time, origin, offset, timezone, returnType, resultMapping);
        }

        if (store.StartsWith("date", StringComparison.Ordinal))
        {
            // TimescaleDB buckets a date as a timestamp and casts back; with an offset, date - interval is already a timestamp.
            var wall = offset is null ? sql.Cast(time, typeof(DateTime), sql.Timestamp) : sql.Subtract(Retyped(time, sql.Timestamp), offset);
            var wallOrigin = origin is null ? null : sql.Cast(origin, typeof(DateTime), sql.Timestamp);
            var bucket = Bucket(width, kind, wall, wallOrigin, sql.Timestamp);
            if (offset is not null)
            {
                bucket = sql.Add(bucket, offset);
            }

            return sql.Cast(bucket, returnType, resultMapping);
        }

        if (store.StartsWith("timestamp with time zone", StringComparison.Ordinal) || store == "timestamptz")
        {
            var shifted = offset is null ? time : sql.Subtract(time, offset);
            SqlExpression bucket;
            if (kind == WidthKind.Fixed)
            {
                bucket = DateBin(width, shifted, origin ?? sql.Literal(DateTime.SpecifyKind(DefaultOrigin, DateTimeKind.Utc), sql.TimestampTz), resultMapping, returnType);
            }
            else
            {
                // Month buckets of a timestamptz are UTC dates at 00:00 UTC.
                var utc = sql.Literal("UTC", sql.Text);
                var months = sql.AtTimeZone(MonthBucket(width, sql.AtTimeZone(shifted, utc, typeof(DateTime), sql.Timestamp), origin is null ? null : sql.AtTimeZone(origin, utc, typeof(DateTime), sql.Timestamp)), utc, returnType, resultMapping);
                bucket = kind == WidthKind.Months
                    ? months
                    : MonthsOrFixed(width, months, DateBin(width, shifted, origin ?? sql.Literal(DateTime.SpecifyKind(DefaultOrigin, DateTimeKind.Utc), sql.TimestampTz), resultMapping, returnType));
            }

            return offset is null ? bucket : sql.Binary(ExpressionType.Add, bucket, offset, returnType, resultMapping);
        }

        // timestamp without time zone
        {
            var shifted = offset is null ? time : sql.Subtract(time, offset);
            var bucket = Retyped(Bucket(width, kind, shifted, origin, sql.Timestamp), resultMapping, returnType);
            return offset is null ? bucket : sql.Binary(ExpressionType.Add, bucket, offset, returnType, resultMapping);
        }
    }

    private SqlExpression InZone(
        SqlExpression width,
        WidthKind kind,
        SqlExpression time,
        SqlExpression? origin,
        SqlExpression? offset,
        SqlExpression zone,
        Type returnType,
        RelationalTypeMapping resultMapping)
    {
        // TimescaleDB 2.25+: subtract the offset in UTC, bucket the wall-clock time, convert the bucket back, step back a
        // width when it would start after its time (a wall-clock time repeated when clocks go back), add the offset in UTC.
        var shifted = offset is null ? time : sql.MinusExactly(time, offset);
        var wall = sql.AtTimeZone(shifted, zone, typeof(DateTime), sql.Timestamp);
        var wallOrigin = origin is null ? null : sql.AtTimeZone(origin, zone, typeof(DateTime), sql.Timestamp);

        SqlExpression Fixed()
        {
            var bucket = sql.AtTimeZone(DateBin(width, wall, wallOrigin ?? sql.Literal(DefaultOrigin, sql.Timestamp), sql.Timestamp, typeof(DateTime)), zone, returnType, resultMapping);
            return sql.Factory.Case(
                [new CaseWhenClause(sql.Binary(ExpressionType.GreaterThan, bucket, shifted, typeof(bool), sql.Bool), sql.MinusExactly(bucket, width))],
                bucket);
        }

        SqlExpression Months() => sql.AtTimeZone(MonthBucket(width, wall, wallOrigin), zone, returnType, resultMapping);

        var result = kind switch
        {
            WidthKind.Fixed => Fixed(),
            WidthKind.Months => Months(),
            _ => MonthsOrFixed(width, Months(), Fixed()),
        };
        result = Retyped(result, resultMapping, returnType);
        return offset is null ? result : sql.Binary(ExpressionType.Add, result, sql.Binary(ExpressionType.Multiply, sql.Part("epoch", offset), sql.Literal(TimeSpan.FromSeconds(1), sql.Interval), typeof(TimeSpan), sql.Interval), returnType, resultMapping);
    }

    /// <summary>A wall-clock (timestamp) bucket: <c>date_bin</c> for fixed widths, month counting for months.</summary>
    private SqlExpression Bucket(SqlExpression width, WidthKind kind, SqlExpression wall, SqlExpression? wallOrigin, RelationalTypeMapping mapping)
    {
        SqlExpression Fixed() => DateBin(width, wall, wallOrigin ?? sql.Literal(DefaultOrigin, sql.Timestamp), mapping, typeof(DateTime));
        return kind switch
        {
            WidthKind.Fixed => Fixed(),
            WidthKind.Months => MonthBucket(width, wall, wallOrigin),
            _ => MonthsOrFixed(width, MonthBucket(width, wall, wallOrigin), Fixed()),
        };
    }

    private SqlExpression DateBin(SqlExpression width, SqlExpression time, SqlExpression origin, RelationalTypeMapping mapping, Type type)
        => sql.Function("date_bin", [width, time, origin], type, mapping);

    /// <summary>
    /// TimescaleDB's month buckets: months counted from the origin's month (2000-01 by default; the origin's day and time
    /// are ignored), floor-divided by the width's months, added to that month's first day.
    /// </summary>
    private SqlExpression MonthBucket(SqlExpression width, SqlExpression wall, SqlExpression? wallOrigin)
    {
        var origin = wallOrigin ?? sql.Literal(MonthOrigin, sql.Timestamp);
        var months = sql.Add(
            sql.Binary(ExpressionType.Multiply, sql.Subtract(sql.Part("year", wall), sql.Part("year", origin)), sql.Literal(12.0, sql.Double), typeof(double), sql.Double),
            sql.Subtract(sql.Part("month", wall), sql.Part("month", origin)));
        var widthMonths = WidthMonths(width);
        var bucketMonths = sql.Binary(
            ExpressionType.Multiply,
            sql.Function("floor", [sql.Binary(ExpressionType.Divide, months, widthMonths, typeof(double), sql.Double)], typeof(double), sql.Double),
            widthMonths,
            typeof(double),
            sql.Double);
        var start = wallOrigin is null ? origin : sql.Function("date_trunc", [sql.Literal("month", sql.Text), origin], typeof(DateTime), sql.Timestamp);
        var step = sql.Function("make_interval", [sql.Literal(0, sql.Int), sql.Cast(bucketMonths, typeof(int), sql.Int)], typeof(TimeSpan), sql.Interval);
        return sql.Binary(ExpressionType.Add, start, step, typeof(DateTime), sql.Timestamp);
    }

    private SqlExpression WidthMonths(SqlExpression width)
        => width is SqlConstantExpression { Value: { } value } && MonthsOf(value) is { } months
            ? sql.Literal((double)months, sql.Double)
            : sql.Add(sql.Binary(ExpressionType.Multiply, sql.Part("year", width), sql.Literal(12.0, sql.Double), typeof(double), sql.Double), sql.Part("month", width));

    /// <summary>A width only known when the query runs (a NodaTime Period parameter): months or fixed, decided per row by its month field.</summary>
    private SqlExpression MonthsOrFixed(SqlExpression width, SqlExpression months, SqlExpression @fixed)
        => sql.Factory.Case(
            [new CaseWhenClause(sql.Binary(ExpressionType.NotEqual, WidthMonths(width), sql.Literal(0.0, sql.Double), typeof(bool), sql.Bool), months)],
            @fixed);

    private static WidthKind Classify(SqlExpression width)
    {
        if (width.Type == typeof(TimeSpan) || width.Type.FullName == "NodaTime.Duration")
        {
            return WidthKind.Fixed;
        }

        if (width is SqlConstantExpression { Value: { } value })
        {
            var months = MonthsOf(value);
            if (months is null or 0)
            {
                return WidthKind.Fixed;
            }

            if (HasDayOrTime(value))
            {
                throw new InvalidOperationException(
                    $"EF.Functions.TimeBucket with the width {value}: a bucket width cannot mix months or years with days or times (TimescaleDB refuses it too: "
                    + "\"month intervals cannot have day or time component\"). Fix: use a width of whole months or years, or one without months.");
            }

            return WidthKind.Months;
        }

        return width.Type.FullName == "NodaTime.Period" ? WidthKind.Unknown : WidthKind.Fixed;
    }

    // NodaTime is not a dependency of this package: its Period is read by name, as the NodaTime package's overloads are.
    private static int? MonthsOf(object value)
        => value.GetType().FullName == "NodaTime.Period"
            ? ((int)value.GetType().GetProperty("Years")!.GetValue(value)! * 12) + (int)value.GetType().GetProperty("Months")!.GetValue(value)!
            : null;

    private static bool HasDayOrTime(object value)
        => (int)value.GetType().GetProperty("Days")!.GetValue(value)! != 0
           || (int)value.GetType().GetProperty("Weeks")!.GetValue(value)! != 0
           || (bool)value.GetType().GetProperty("HasTimeComponent")!.GetValue(value)!;

    private SqlExpression Retyped(SqlExpression expression, RelationalTypeMapping mapping, Type? type = null)
        => expression switch
        {
            SqlFunctionExpression f => sql.Factory.Function(f.Name, f.Arguments!, nullable: true, f.Arguments!.Select(_ => true).ToArray(), type ?? f.Type, mapping),
            AtTimeZoneExpression z => new AtTimeZoneExpression(z.Operand, z.TimeZone, type ?? z.Type, mapping),
            SqlBinaryExpression b => new SqlBinaryExpression(b.OperatorType, b.Left, b.Right, type ?? b.Type, mapping),
            CaseExpression c => sql.Factory.Case(c.WhenClauses.Select(w => new CaseWhenClause(w.Test, Retyped(w.Result, mapping, type))).ToList(), c.ElseResult is null ? null : Retyped(c.ElseResult, mapping, type)),
            _ => expression,
        };
}
