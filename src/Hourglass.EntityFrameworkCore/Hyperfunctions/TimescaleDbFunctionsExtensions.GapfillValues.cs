using Hourglass.EntityFrameworkCore.Hyperfunctions;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

public static partial class TimescaleDbFunctionsExtensions
{
    /// <summary>
    /// In a gap-filled query (grouped by <c>TimeBucketGapfill</c>), fills a bucket without data with the last value
    /// seen before it: TimescaleDB's <c>locf(value)</c> ("last observation carried forward").
    /// <code>
    /// .Where(m =&gt; m.Time &gt;= from &amp;&amp; m.Time &lt; to)
    /// .GroupBy(m =&gt; EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.Time))
    /// .Select(g =&gt; new { Bucket = g.Key, Value = EF.Functions.Locf(g.Average(m =&gt; m.Value)) })
    /// </code>
    /// </summary>
    /// <remarks>Buckets before the first value stay NULL, hence the nullable result.</remarks>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="value">The bucket's value, usually an aggregate of the group.</param>
    /// <returns>The value, or the last earlier non-missing value for an empty bucket.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static T? Locf<T>(this DbFunctions _, T value)
        where T : struct
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Locf), "locf");

    /// <inheritdoc cref="Locf{T}(DbFunctions, T)"/>
    public static T? Locf<T>(this DbFunctions _, T? value)
        where T : struct
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Locf), "locf");

    /// <summary>
    /// Like <see cref="Locf{T}(DbFunctions, T?)"/>, and when <paramref name="treatNullAsMissing"/> is true a NULL value
    /// in a bucket that has rows is also replaced by the last non-NULL one: <c>locf(value, treat_null_as_missing =&gt; true)</c>.
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="value">The bucket's value, usually an aggregate of the group.</param>
    /// <param name="treatNullAsMissing">Whether NULL values are carried over like missing buckets.</param>
    /// <returns>The value, or the last earlier non-missing value.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static T? Locf<T>(this DbFunctions _, T? value, bool treatNullAsMissing)
        where T : struct
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Locf), "locf");

    /// <summary>
    /// In a gap-filled query (grouped by <c>TimeBucketGapfill</c>), fills a bucket without data by linear interpolation
    /// between the neighbouring buckets' values: TimescaleDB's <c>interpolate(value)</c>.
    /// <code>
    /// .Where(m =&gt; m.Time &gt;= from &amp;&amp; m.Time &lt; to)
    /// .GroupBy(m =&gt; EF.Functions.TimeBucketGapfill(TimeSpan.FromHours(1), m.Time))
    /// .Select(g =&gt; new { Bucket = g.Key, Value = EF.Functions.Interpolate(g.Average(m =&gt; m.Value)) })
    /// </code>
    /// </summary>
    /// <remarks>
    /// Works on <c>smallint</c>, <c>integer</c>, <c>bigint</c>, <c>real</c> and <c>double precision</c> (not
    /// <c>numeric</c>: cast a decimal average to double). Buckets before the first or after the last value stay NULL,
    /// hence the nullable result.
    /// </remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="value">The bucket's value, usually an aggregate of the group.</param>
    /// <returns>The value, or the interpolated value for an empty bucket.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static double? Interpolate(this DbFunctions _, double value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static double? Interpolate(this DbFunctions _, double? value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static float? Interpolate(this DbFunctions _, float value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static float? Interpolate(this DbFunctions _, float? value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static long? Interpolate(this DbFunctions _, long value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static long? Interpolate(this DbFunctions _, long? value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static int? Interpolate(this DbFunctions _, int value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static int? Interpolate(this DbFunctions _, int? value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static short? Interpolate(this DbFunctions _, short value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");

    /// <inheritdoc cref="Interpolate(DbFunctions, double)"/>
    public static short? Interpolate(this DbFunctions _, short? value)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Interpolate), "interpolate");
}
