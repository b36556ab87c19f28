using Hourglass.EntityFrameworkCore.Hyperfunctions;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// PostgreSQL's ordered-set aggregates over a group in LINQ: <c>percentile_cont</c>, <c>percentile_disc</c> and
/// <c>mode</c> (<c>WITHIN GROUP (ORDER BY value)</c>), usable in ordinary queries and in continuous aggregates defined in
/// LINQ. They are plain PostgreSQL functions: they need no TimescaleDB.
/// </summary>
/// <remarks>
/// <c>g.Where(...).Select(...)</c> filters the group's rows first (SQL <c>FILTER (WHERE ...)</c>); a group whose rows are
/// all filtered out gives NULL, so use the nullable overloads then. NULL values are ignored.
/// </remarks>
public static class OrderedSetDbFunctionsExtensions
{
    /// <summary>
    /// The continuous percentile of a group's values: <c>percentile_cont(fraction) WITHIN GROUP (ORDER BY value)</c>,
    /// interpolating linearly between the two nearest values, e.g. the 95th percentile:
    /// <code>
    /// .GroupBy(m =&gt; m.DeviceId)
    /// .Select(g =&gt; new { g.Key, P95 = EF.Functions.PercentileCont(0.95, g.Select(m =&gt; m.Value)) })
    /// </code>
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="fraction">The percentile, between 0 and 1.</param>
    /// <param name="values">The group's values, e.g. <c>g.Select(m =&gt; m.Value)</c>.</param>
    /// <returns>The interpolated value at <paramref name="fraction"/>.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static double PercentileCont(this DbFunctions _, double fraction, IEnumerable<double> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(PercentileCont), "percentile_cont");

    /// <summary>
    /// <see cref="PercentileCont(DbFunctions, double, IEnumerable{double})"/> over nullable values, or over a filtered
    /// group that may have no row left: NULL then.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="fraction">The percentile, between 0 and 1.</param>
    /// <param name="values">The group's values, e.g. <c>g.Select(m =&gt; (double?)m.Value)</c>.</param>
    /// <returns>The interpolated value at <paramref name="fraction"/>; null when the group has no non-NULL value.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static double? PercentileCont(this DbFunctions _, double fraction, IEnumerable<double?> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(PercentileCont), "percentile_cont");

    /// <summary>
    /// Several continuous percentiles in one pass: <c>percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY value)</c>,
    /// one result per fraction, in the same order, e.g. <c>EF.Functions.PercentileCont(new[] { 0.5, 0.9, 0.99 }, g.Select(m =&gt; m.Value))</c>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="fractions">The percentiles, each between 0 and 1.</param>
    /// <param name="values">The group's values.</param>
    /// <returns>The interpolated value at each fraction.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static double[] PercentileCont(this DbFunctions _, double[] fractions, IEnumerable<double> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(PercentileCont), "percentile_cont");

    /// <summary>
    /// The median of a group's values: <c>percentile_cont(0.5) WITHIN GROUP (ORDER BY value)</c> (the mean of the two
    /// middle values when their number is even).
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="values">The group's values.</param>
    /// <returns>The median.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static double Median(this DbFunctions _, IEnumerable<double> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Median), "percentile_cont");

    /// <summary>The median of nullable values or of a filtered group: NULL when no value is left.</summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="values">The group's values.</param>
    /// <returns>The median; null when the group has no non-NULL value.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static double? Median(this DbFunctions _, IEnumerable<double?> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Median), "percentile_cont");

    /// <summary>
    /// The discrete percentile of a group's values: <c>percentile_disc(fraction) WITHIN GROUP (ORDER BY value)</c>, the
    /// first value (in sort order) whose position in the ordered group reaches <paramref name="fraction"/>: always one
    /// of the group's values, of any sortable type.
    /// </summary>
    /// <typeparam name="TValue">The values' type (numbers, times, text, ...); nullable when the result can be NULL.</typeparam>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="fraction">The percentile, between 0 and 1.</param>
    /// <param name="values">The group's values.</param>
    /// <returns>The value at <paramref name="fraction"/>.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static TValue PercentileDisc<TValue>(this DbFunctions _, double fraction, IEnumerable<TValue> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(PercentileDisc), "percentile_disc");

    /// <summary>
    /// Several discrete percentiles in one pass: <c>percentile_disc(ARRAY[...]) WITHIN GROUP (ORDER BY value)</c>, one
    /// result per fraction, in the same order.
    /// </summary>
    /// <typeparam name="TValue">The values' type.</typeparam>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="fractions">The percentiles, each between 0 and 1.</param>
    /// <param name="values">The group's values.</param>
    /// <returns>The value at each fraction.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static TValue[] PercentileDisc<TValue>(this DbFunctions _, double[] fractions, IEnumerable<TValue> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(PercentileDisc), "percentile_disc");

    /// <summary>
    /// The most frequent value of a group: <c>mode() WITHIN GROUP (ORDER BY value)</c>; of several equally frequent
    /// values, the smallest.
    /// </summary>
    /// <typeparam name="TValue">The values' type; nullable when the result can be NULL.</typeparam>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="values">The group's values.</param>
    /// <returns>The most frequent value.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static TValue Mode<TValue>(this DbFunctions _, IEnumerable<TValue> values)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Mode), "mode");
}
