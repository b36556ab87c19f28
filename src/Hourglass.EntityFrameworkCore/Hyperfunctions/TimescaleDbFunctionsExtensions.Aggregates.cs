using Hourglass.EntityFrameworkCore.Hyperfunctions;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

public static partial class TimescaleDbFunctionsExtensions
{
    /// <summary>
    /// The value of the row with the earliest time in a group: TimescaleDB's aggregate <c>first(value, time)</c>.
    /// Pass the group's rows as value/time pairs, written as <c>new ValueTuple&lt;TValue, TTime&gt;(...)</c> because C#
    /// expression trees cannot hold tuple literals:
    /// <code>
    /// .GroupBy(m =&gt; m.DeviceId)
    /// .Select(g =&gt; new { g.Key, Opening = EF.Functions.First(g.Select(m =&gt; new ValueTuple&lt;double, DateTime&gt;(m.Value, m.Time))) })
    /// </code>
    /// </summary>
    /// <remarks>
    /// <c>g.Where(...).Select(...)</c> filters the rows first (SQL <c>FILTER (WHERE ...)</c>). The value may be any
    /// column type; the time any sortable one. Use a nullable <typeparamref name="TValue"/> when the value can be NULL
    /// (or every row of a group can be filtered out, or the group is a gap-filled bucket).
    /// </remarks>
    /// <typeparam name="TValue">The value's type.</typeparam>
    /// <typeparam name="TTime">The ordering column's type, usually the row's time.</typeparam>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="valuesAndTimes">The group's rows as (value, time) pairs.</param>
    /// <returns>The value paired with the smallest time.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static TValue First<TValue, TTime>(this DbFunctions _, IEnumerable<ValueTuple<TValue, TTime>> valuesAndTimes)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(First), "first");

    /// <summary>
    /// The value of the row with the latest time in a group: TimescaleDB's aggregate <c>last(value, time)</c>, e.g. the
    /// latest reading per device and hour:
    /// <code>
    /// .GroupBy(m =&gt; new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
    /// .Select(g =&gt; new { g.Key.Bucket, g.Key.DeviceId, Latest = EF.Functions.Last(g.Select(m =&gt; new ValueTuple&lt;double, DateTime&gt;(m.Value, m.Time))) })
    /// </code>
    /// </summary>
    /// <remarks>
    /// <c>g.Where(...).Select(...)</c> filters the rows first (SQL <c>FILTER (WHERE ...)</c>). Use a nullable
    /// <typeparamref name="TValue"/> when the value can be NULL (or every row of a group can be filtered out, or the
    /// group is a gap-filled bucket).
    /// </remarks>
    /// <typeparam name="TValue">The value's type.</typeparam>
    /// <typeparam name="TTime">The ordering column's type, usually the row's time.</typeparam>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="valuesAndTimes">The group's rows as (value, time) pairs.</param>
    /// <returns>The value paired with the largest time.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static TValue Last<TValue, TTime>(this DbFunctions _, IEnumerable<ValueTuple<TValue, TTime>> valuesAndTimes)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Last), "last");

    /// <summary>
    /// Counts a group's values in <paramref name="buckets"/> equal-width buckets between <paramref name="min"/> and
    /// <paramref name="max"/>: TimescaleDB's aggregate <c>histogram(value, min, max, nbuckets)</c>.
    /// <code>
    /// .GroupBy(m =&gt; m.DeviceId)
    /// .Select(g =&gt; new { g.Key, Counts = EF.Functions.Histogram(g.Select(m =&gt; m.Value), 0, 100, 10) })
    /// </code>
    /// </summary>
    /// <remarks>
    /// The array has <paramref name="buckets"/> + 2 counts: element 0 counts values below <paramref name="min"/>, the
    /// last one values at or above <paramref name="max"/>, and element <c>i</c> in between the values in
    /// [min + (i - 1) * w, min + i * w) with w = (max - min) / buckets. NULL values are not counted.
    /// </remarks>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="values">The group's values, e.g. <c>g.Select(m =&gt; m.Value)</c>.</param>
    /// <param name="min">The lower end of the first bucket.</param>
    /// <param name="max">The upper end (exclusive) of the last bucket.</param>
    /// <param name="buckets">The number of buckets between <paramref name="min"/> and <paramref name="max"/>.</param>
    /// <returns>The counts per bucket, including the under- and overflow buckets.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static int[] Histogram(this DbFunctions _, IEnumerable<double> values, double min, double max, int buckets)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(Histogram), "histogram");
}
