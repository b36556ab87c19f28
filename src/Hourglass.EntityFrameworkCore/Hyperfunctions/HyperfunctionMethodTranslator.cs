using System.Reflection;
using Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query.Expressions.Internal;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>
/// Translates <c>EF.Functions.TimeBucket</c>, <c>TimeBucketGapfill</c>, <c>Locf</c> and <c>Interpolate</c>. Arguments
/// are found by the C# parameter names, which every overload shares, so one translation serves all time types.
/// </summary>
internal sealed class HyperfunctionMethodTranslator(ISqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings, QueryEditionResolver edition)
    : IMethodCallTranslator
{
    private readonly PortableTimeBucket _portable = new(new PortableSql(sql, typeMappings));
    private readonly PortableUuid _portableUuid = new(new PortableSql(sql, typeMappings), typeMappings);

    private const string TimestampWithTimeZone = "timestamp with time zone";

    public SqlExpression? Translate(
        SqlExpression? instance,
        MethodInfo method,
        IReadOnlyList<SqlExpression> arguments,
        IDiagnosticsLogger<DbLoggerCategory.Query> logger)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(arguments);
        if (method.DeclaringType is not { } declaringType
            || (declaringType != typeof(TimescaleDbFunctionsExtensions) && !declaringType.IsDefined(typeof(HyperfunctionsAttribute), inherit: false)))
        {
            return null;
        }

        var call = new Call(method, arguments);
        return method.Name switch
        {
            nameof(TimescaleDbFunctionsExtensions.TimeBucket) => TimeBucket("time_bucket", call),
            nameof(TimescaleDbFunctionsExtensions.TimeBucketGapfill) => TimeBucket("time_bucket_gapfill", call),
            nameof(TimescaleDbFunctionsExtensions.Locf) => GapValue("locf", call),
            nameof(TimescaleDbFunctionsExtensions.Interpolate) => GapValue("interpolate", call),
            nameof(TimescaleDbFunctionsExtensions.UuidTimestamp) => UuidFunction("uuid_timestamp", call),
            nameof(TimescaleDbFunctionsExtensions.UuidTimestampMicros) => UuidFunction("uuid_timestamp_micros", call),
            nameof(TimescaleDbFunctionsExtensions.UuidVersion) => UuidFunction("uuid_version", call),
            nameof(TimescaleDbFunctionsExtensions.ToUuidV7Boundary) => UuidFunction("to_uuidv7_boundary", call),
            _ => null,
        };
    }

    private SqlExpression TimeBucket(string function, Call call)
    {
        var timestamp = call["timestamp"]!;
        var origin = call["origin"];
        var start = call["start"];
        var finish = call["finish"];

        // The time type decides the function's overload and result type; parameters and constants take it from the
        // column they go with (e.g. a DateTime origin for a "timestamp without time zone" column is sent as one).
        var timeMapping = timestamp.TypeMapping ?? origin?.TypeMapping ?? start?.TypeMapping ?? finish?.TypeMapping
            ?? typeMappings.FindMapping(timestamp.Type);
        timestamp = sql.ApplyTypeMapping(timestamp, timeMapping);
        origin = sql.ApplyTypeMapping(origin, timeMapping);
        start = sql.ApplyTypeMapping(start, timeMapping);
        finish = sql.ApplyTypeMapping(finish, timeMapping);

        // Integer buckets take width and offset in the column's own type; time buckets take intervals.
        var timeType = Nullable.GetUnderlyingType(timestamp.Type) ?? timestamp.Type;
        var isInteger = timeType == typeof(int) || timeType == typeof(long);
        var width = isInteger ? sql.ApplyTypeMapping(call["width"], timeMapping)! : sql.ApplyDefaultTypeMapping(call["width"])!;
        var offset = isInteger ? sql.ApplyTypeMapping(call["offset"], timeMapping) : sql.ApplyDefaultTypeMapping(call["offset"]);
        var timezone = sql.ApplyDefaultTypeMapping(call["timezone"]);

        var resultMapping = timeMapping;
        if (timezone is not null && timeMapping?.StoreType.StartsWith(TimestampWithTimeZone, StringComparison.Ordinal) != true)
        {
            // The time-zone variant exists for timestamptz only: PostgreSQL casts a timestamp argument and returns timestamptz.
            resultMapping = typeMappings.FindMapping(call.Method.ReturnType, TimestampWithTimeZone) ?? timeMapping;
        }

        if (function == "time_bucket" && !edition.HasTimescale && timeMapping is not null)
        {
            return _portable.Translate(width, timestamp, origin, offset, timezone, call.Method.ReturnType, resultMapping!, timeMapping);
        }

        if (function == "time_bucket_gapfill" && !edition.HasCommunity)
        {
            // Plain PostgreSQL or the Apache edition: a marker that PortableGapfill turns into the whole gap-filling query.
            SqlExpression[] marker = [width, timestamp, .. new[] { timezone, start, finish }.OfType<SqlExpression>()];
            return sql.Function(GapfillMarkers.Bucket, marker, nullable: true, marker.Select(_ => false), call.Method.ReturnType, resultMapping);
        }

        var positional = new List<SqlExpression> { width, timestamp };
        var named = new List<(string Name, SqlExpression Value)>();
        if (timezone is not null)
        {
            positional.Add(timezone);

            // After a time zone, TimescaleDB's signature is (origin, "offset"), both optional: name them so either can be left out.
            if (origin is not null)
            {
                named.Add(("origin", origin));
            }

            if (offset is not null)
            {
                named.Add(("\"offset\"", offset));
            }
        }
        else
        {
            positional.AddRange(new[] { origin, offset }.OfType<SqlExpression>());
        }

        positional.AddRange(new[] { start, finish }.OfType<SqlExpression>());
        return Function(function, positional, named, call.Method.ReturnType, resultMapping, propagatingArguments: 2);
    }

    // TimescaleDB 2.22+'s UUIDv7 functions; without TimescaleDB the same values from the UUID's bytes (PortableUuid).
    private SqlExpression UuidFunction(string function, Call call)
    {
        var argument = call["uuid"] ?? call["timestamp"]!;
        argument = function == "to_uuidv7_boundary"
            ? sql.ApplyTypeMapping(argument, argument.TypeMapping ?? typeMappings.FindMapping(argument.Type, TimestampWithTimeZone))
            : sql.ApplyTypeMapping(argument, argument.TypeMapping ?? typeMappings.FindMapping(typeof(Guid)));
        var resultMapping = function switch
        {
            "uuid_version" => typeMappings.FindMapping(typeof(int)),
            "to_uuidv7_boundary" => typeMappings.FindMapping(typeof(Guid)),
            _ => typeMappings.FindMapping(typeof(DateTime), TimestampWithTimeZone),
        };
        if (!edition.HasTimescale)
        {
            return function switch
            {
                "uuid_timestamp" => _portableUuid.Timestamp(argument, micros: false),
                "uuid_timestamp_micros" => _portableUuid.Timestamp(argument, micros: true),
                "uuid_version" => _portableUuid.Version(argument),
                _ => _portableUuid.Boundary(argument),
            };
        }

        return sql.Function(function, [argument], nullable: true, [true], call.Method.ReturnType, resultMapping);
    }

    private SqlExpression GapValue(string function, Call call)
    {
        var value = sql.ApplyDefaultTypeMapping(call["value"])!;
        if (!edition.HasCommunity)
        {
            SqlExpression[] marker = call["treatNullAsMissing"] switch
            {
                null => [value],
                SqlConstantExpression { Value: bool } flag => [value, sql.ApplyDefaultTypeMapping(flag)!],
                _ => throw new InvalidOperationException(
                    "EF.Functions.Locf(value, treatNullAsMissing) needs treatNullAsMissing written in the query as true or false (TimescaleDB: \"treat_null_as_missing must be a BOOL literal\"), and this query passes a variable. Fix: write the literal, e.g. Locf(g.Max(m => m.Value), true)."),
            };
            return sql.Function(function == "locf" ? GapfillMarkers.Locf : GapfillMarkers.Interpolate, marker, nullable: true, marker.Select(_ => false), call.Method.ReturnType, value.TypeMapping);
        }

        var named = new List<(string, SqlExpression)>();
        if (call["treatNullAsMissing"] is { } treatNullAsMissing)
        {
            named.Add(("treat_null_as_missing", sql.ApplyDefaultTypeMapping(treatNullAsMissing)!));
        }

        return Function(function, [value], named, call.Method.ReturnType, value.TypeMapping, propagatingArguments: 0);
    }

    private SqlExpression Function(
        string name,
        List<SqlExpression> positional,
        List<(string Name, SqlExpression Value)> named,
        Type returnType,
        RelationalTypeMapping? typeMapping,
        int propagatingArguments)
    {
        var count = positional.Count + named.Count;
        var propagate = Enumerable.Range(0, count).Select(i => i < propagatingArguments).ToArray();
        if (named.Count == 0)
        {
            return sql.Function(name, positional, nullable: true, propagate, returnType, typeMapping);
        }

        return PgFunctionExpression.CreateWithNamedArguments(
            name,
            [.. positional, .. named.Select(n => n.Value)],
            [.. positional.Select(_ => (string?)null), .. named.Select(n => n.Name)],
            nullable: true,
            propagate,
            builtIn: true,
            returnType,
            typeMapping);
    }

    /// <summary>A call's arguments by C# parameter name; the first argument, <c>EF.Functions</c>, is skipped.</summary>
    private sealed class Call(MethodInfo method, IReadOnlyList<SqlExpression> arguments)
    {
        private readonly ParameterInfo[] _parameters = method.GetParameters();

        public MethodInfo Method { get; } = method;

        public SqlExpression? this[string name]
        {
            get
            {
                var index = Array.FindIndex(_parameters, p => p.Name == name);
                return index < 0 ? null : arguments[index];
            }
        }
    }
}
