// One overload per time type and width type, so wrong combinations fail at compile time rather than on the server.
using Hourglass.EntityFrameworkCore.Hyperfunctions;

// Extension methods live in EF's namespace, as Npgsql's own DbFunctions extensions do, so EF.Functions finds them without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>TimescaleDB hyperfunctions as <c>EF.Functions.TimeBucket(...)</c> and friends, for LINQ queries on a context using <c>UseTimescale()</c>.</summary>
public static partial class TimescaleDbFunctionsExtensions
{
    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucket(this DbFunctions _, TimeSpan width, DateTime timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, TimeSpan, DateTime)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static DateTime? TimeBucket(this DbFunctions _, TimeSpan width, DateTime? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucket(this DbFunctions _, TimeSpan width, DateTime timestamp, DateTime origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucket(this DbFunctions _, TimeSpan width, DateTime timestamp, TimeSpan offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/> (a day bucket starts at local midnight, also across daylight-saving changes): TimescaleDB's <c>time_bucket(width, timestamp, timezone)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucket(this DbFunctions _, TimeSpan width, DateTime timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, origin =&gt; origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucket(this DbFunctions _, TimeSpan width, DateTime timestamp, string timezone, DateTime origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, "offset" =&gt; offset)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>, Npgsql's default) or <c>timestamp without time zone</c> (<see cref="DateTimeKind.Unspecified"/>) column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime TimeBucket(this DbFunctions _, TimeSpan width, DateTime timestamp, string timezone, TimeSpan offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucket(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, TimeSpan, DateTimeOffset)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static DateTimeOffset? TimeBucket(this DbFunctions _, TimeSpan width, DateTimeOffset? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucket(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, DateTimeOffset origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucket(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, TimeSpan offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/> (a day bucket starts at local midnight, also across daylight-saving changes): TimescaleDB's <c>time_bucket(width, timestamp, timezone)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucket(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, origin =&gt; origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucket(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, string timezone, DateTimeOffset origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket in the time zone <paramref name="timezone"/>, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, timezone, "offset" =&gt; offset)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>timestamp with time zone</c> column or expression.</param>
    /// <param name="timezone">An IANA time zone name, e.g. <c>"Europe/Berlin"</c>.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTimeOffset TimeBucket(this DbFunctions _, TimeSpan width, DateTimeOffset timestamp, string timezone, TimeSpan offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateOnly TimeBucket(this DbFunctions _, TimeSpan width, DateOnly timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, TimeSpan, DateOnly)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static DateOnly? TimeBucket(this DbFunctions _, TimeSpan width, DateOnly? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets aligned on <paramref name="origin"/>: TimescaleDB's <c>time_bucket(width, timestamp, origin)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <param name="origin">A bucket starts here (and every <paramref name="width"/> before and after it). TimescaleDB's default is 2000-01-03 (a Monday) for widths under a month, 2000-01-01 otherwise.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateOnly TimeBucket(this DbFunctions _, TimeSpan width, DateOnly timestamp, DateOnly origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width, e.g. <c>TimeSpan.FromHours(1)</c>; sent as an <c>interval</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>date</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateOnly TimeBucket(this DbFunctions _, TimeSpan width, DateOnly timestamp, TimeSpan offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>integer</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static int TimeBucket(this DbFunctions _, int width, int timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, int, int)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static int? TimeBucket(this DbFunctions _, int width, int? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>integer</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static int TimeBucket(this DbFunctions _, int width, int timestamp, int offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket: TimescaleDB's <c>time_bucket(width, timestamp)</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>bigint</c> column or expression.</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static long TimeBucket(this DbFunctions _, long width, long timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, long, long)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static long? TimeBucket(this DbFunctions _, long width, long? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <summary>
    /// Truncates <paramref name="timestamp"/> to the start of its bucket, buckets shifted by <paramref name="offset"/>: TimescaleDB's <c>time_bucket(width, timestamp, "offset")</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="width">The bucket width in the column's units, e.g. <c>1000</c>.</param>
    /// <param name="timestamp">The time value to bucket, a <c>bigint</c> column or expression.</param>
    /// <param name="offset">Shifts every bucket boundary by this amount (may be negative).</param>
    /// <returns>The start of the bucket holding <paramref name="timestamp"/>, of the same type.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static long TimeBucket(this DbFunctions _, long width, long timestamp, long offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");
}
