// One overload per time type and width type, so wrong combinations fail at compile time rather than on the server.
using Hourglass.EntityFrameworkCore.Hyperfunctions;
using NodaTime;

// Extension methods live in EF's namespace, as Npgsql's own DbFunctions extensions do, so EF.Functions finds them without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// TimescaleDB's <c>time_bucket</c> and <c>time_bucket_gapfill</c> over NodaTime's <see cref="Instant"/> (<c>timestamp with
/// time zone</c>), <see cref="LocalDateTime"/> (<c>timestamp without time zone</c>) and <see cref="LocalDate"/> (<c>date</c>),
/// with <see cref="Duration"/> or <see cref="Period"/> widths, for <c>EF.Functions</c>. The columns need Npgsql's NodaTime
/// plugin (<c>UseNpgsql(..., o =&gt; o.UseNodaTime().UseTimescale())</c>); referencing this package is enough for the
/// functions, which <c>UseTimescale()</c> translates like the <see cref="TimescaleDbFunctionsExtensions"/> ones.
/// </summary>
[Hyperfunctions]
public static partial class TimescaleNodaTimeDbFunctionsExtensions
{
    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Duration, Instant)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static Instant? TimeBucket(this DbFunctions _, Duration width, Instant? timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, Instant origin)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, Duration offset)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/> (a day bucket starts at local midnight, also across daylight-saving changes): TimescaleDB's <c>time_bucket(width, timestamp, timezone)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, string timezone)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, origin =&gt; origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, string timezone, Instant origin)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, "offset" =&gt; offset)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, string timezone, Duration offset)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Period, Instant)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static Instant? TimeBucket(this DbFunctions _, Period width, Instant? timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, Instant origin)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, Period offset)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/> (a day bucket starts at local midnight, also across daylight-saving changes): TimescaleDB's <c>time_bucket(width, timestamp, timezone)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, string timezone)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, origin =&gt; origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, string timezone, Instant origin)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, "offset" =&gt; offset)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, string timezone, Period offset)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucket(this DbFunctions _, Duration width, LocalDateTime timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Duration, LocalDateTime)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static LocalDateTime? TimeBucket(this DbFunctions _, Duration width, LocalDateTime? timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucket(this DbFunctions _, Duration width, LocalDateTime timestamp, LocalDateTime origin)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Duration.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucket(this DbFunctions _, Duration width, LocalDateTime timestamp, Duration offset)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucket(this DbFunctions _, Period width, LocalDateTime timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Period, LocalDateTime)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static LocalDateTime? TimeBucket(this DbFunctions _, Period width, LocalDateTime? timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucket(this DbFunctions _, Period width, LocalDateTime timestamp, LocalDateTime origin)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp without time zone</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDateTime TimeBucket(this DbFunctions _, Period width, LocalDateTime timestamp, Period offset)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDate TimeBucket(this DbFunctions _, Period width, LocalDate timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Period, LocalDate)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static LocalDate? TimeBucket(this DbFunctions _, Period width, LocalDate? timestamp)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDate TimeBucket(this DbFunctions _, Period width, LocalDate timestamp, LocalDate origin)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>Period.FromMonths(1)</c>; sent as an <c>interval</c> (months and days stay calendar units).</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static LocalDate TimeBucket(this DbFunctions _, Period width, LocalDate timestamp, Period offset)
        => throw HyperfunctionErrors.CalledOnClient(nameof(TimeBucket), "time_bucket");
}
