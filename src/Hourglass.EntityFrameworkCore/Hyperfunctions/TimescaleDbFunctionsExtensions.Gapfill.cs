// One overload per time type and width type, so wrong combinations fail at compile time rather than on the server.
using Hourglass.EntityFrameworkCore.Hyperfunctions;

// Extension methods live in EF's namespace, as Npgsql's own DbFunctions extensions do, so EF.Functions finds them without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

public static partial class TimescaleDbFunctionsExtensions
{
    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query whose WHERE bounds <paramref name="timestamp"/> on both sides (<c>&gt;=</c>/<c>&gt;</c> and <c>&lt;</c>/<c>&lt;=</c>), from which TimescaleDB takes the range to fill. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTime timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query; TimescaleDB needs the time range, from <paramref name="start"/>/<paramref name="finish"/> or from the query's WHERE on <paramref name="timestamp"/>. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTime timestamp, DateTime start, DateTime finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query whose WHERE bounds <paramref name="timestamp"/> on both sides (<c>&gt;=</c>/<c>&gt;</c> and <c>&lt;</c>/<c>&lt;=</c>), from which TimescaleDB takes the range to fill. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTime timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone, start, finish)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query; TimescaleDB needs the time range, from <paramref name="start"/>/<paramref name="finish"/> or from the query's WHERE on <paramref name="timestamp"/>. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTime timestamp, string timezone, DateTime start, DateTime finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query whose WHERE bounds <paramref name="timestamp"/> on both sides (<c>&gt;=</c>/<c>&gt;</c> and <c>&lt;</c>/<c>&lt;=</c>), from which TimescaleDB takes the range to fill. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query; TimescaleDB needs the time range, from <paramref name="start"/>/<paramref name="finish"/> or from the query's WHERE on <paramref name="timestamp"/>. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, DateTimeOffset start, DateTimeOffset finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query whose WHERE bounds <paramref name="timestamp"/> on both sides (<c>&gt;=</c>/<c>&gt;</c> and <c>&lt;</c>/<c>&lt;=</c>), from which TimescaleDB takes the range to fill. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone, start, finish)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query; TimescaleDB needs the time range, from <paramref name="start"/>/<paramref name="finish"/> or from the query's WHERE on <paramref name="timestamp"/>. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, string timezone, DateTimeOffset start, DateTimeOffset finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query whose WHERE bounds <paramref name="timestamp"/> on both sides (<c>&gt;=</c>/<c>&gt;</c> and <c>&lt;</c>/<c>&lt;=</c>), from which TimescaleDB takes the range to fill. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateOnly TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateOnly timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query; TimescaleDB needs the time range, from <paramref name="start"/>/<paramref name="finish"/> or from the query's WHERE on <paramref name="timestamp"/>. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateOnly TimeBucketGapfill(this DbFunctions _, TimeSpan width, DateOnly timestamp, DateOnly start, DateOnly finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query whose WHERE bounds <paramref name="timestamp"/> on both sides (<c>&gt;=</c>/<c>&gt;</c> and <c>&lt;</c>/<c>&lt;=</c>), from which TimescaleDB takes the range to fill. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>integer</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static int TimeBucketGapfill(this DbFunctions _, int width, int timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query; TimescaleDB needs the time range, from <paramref name="start"/>/<paramref name="finish"/> or from the query's WHERE on <paramref name="timestamp"/>. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>integer</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static int TimeBucketGapfill(this DbFunctions _, int width, int timestamp, int start, int finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query whose WHERE bounds <paramref name="timestamp"/> on both sides (<c>&gt;=</c>/<c>&gt;</c> and <c>&lt;</c>/<c>&lt;=</c>), from which TimescaleDB takes the range to fill. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>bigint</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static long TimeBucketGapfill(this DbFunctions _, long width, long timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <remarks>Only valid as a GROUP BY key of an aggregate query; TimescaleDB needs the time range, from <paramref name="start"/>/<paramref name="finish"/> or from the query's WHERE on <paramref name="timestamp"/>. Aggregates of the missing buckets are NULL: project them as nullable, or fill them with <see cref="Locf{T}(DbFunctions, T?)"/> or <c>Interpolate</c>.</remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>bigint</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static long TimeBucketGapfill(this DbFunctions _, long width, long timestamp, long start, long finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");
}
