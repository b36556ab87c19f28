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
        => throw HyperfunctionErrors.CalledOnClient(nameof(First), "first");

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
        => throw HyperfunctionErrors.CalledOnClient(nameof(Last), "last");
}
