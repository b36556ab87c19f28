// One overload per time type and width type, so wrong combinations fail at compile time rather than on the server.
using Hourglass.EntityFrameworkCore.Hyperfunctions;
using NodaTime;

// Extension methods live in EF's namespace, as Npgsql's own DbFunctions extensions do, so EF.Functions finds them without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

public static partial class TimescaleNodaTimeDbFunctionsExtensions
{
    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp, Instant start, Instant finish)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp, string timezone)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone, start, finish)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp, string timezone, Instant start, Instant finish)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp, Instant start, Instant finish)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp, string timezone)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c> with a time zone, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, timezone, start, finish)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp, string timezone, Instant start, Instant finish)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Duration width, LocalDateTime timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Duration width, LocalDateTime timestamp, LocalDateTime start, LocalDateTime finish)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Period width, LocalDateTime timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Period width, LocalDateTime timestamp, LocalDateTime start, LocalDateTime finish)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data: TimescaleDB's <c>time_bucket_gapfill(width, timestamp)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDate TimeBucketGapfill(this DbFunctions _, Period width, LocalDate timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <summary>
    /// Like <c>TimeBucket</c>, and adds a row for every bucket without data between <paramref name="start"/> and <paramref name="finish"/>: TimescaleDB's <c>time_bucket_gapfill(width, timestamp, start, finish)</c>.
    /// </summary>
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)" path="/remarks"/>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <param name="start">The first bucket to return (inclusive).</param>
    /// <param name="finish">The end of the range (exclusive).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDate TimeBucketGapfill(this DbFunctions _, Period width, LocalDate timestamp, LocalDate start, LocalDate finish)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");
}
