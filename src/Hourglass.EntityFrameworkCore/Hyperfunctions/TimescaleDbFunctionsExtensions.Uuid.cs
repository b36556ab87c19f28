using Hourglass.EntityFrameworkCore.Hyperfunctions;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>TimescaleDB's UUIDv7 functions (2.22+) for keys made by <c>Guid.CreateVersion7()</c>.</summary>
public static partial class TimescaleDbFunctionsExtensions
{
    /// <summary>
    /// The time a UUIDv7 was made, to the millisecond (the Unix milliseconds in its first 48 bits): TimescaleDB's
    /// <c>uuid_timestamp(uuid)</c>. NULL for a UUID of another version. Without TimescaleDB (under Degrade) the same
    /// value is computed from the UUID's bytes in plain SQL.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="uuid">A <c>uuid</c> column or expression, e.g. a key from <c>Guid.CreateVersion7()</c>.</param>
    /// <returns>A <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>); usable in Where, Select, GroupBy and with <c>TimeBucket</c>.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime UuidTimestamp(this DbFunctions _, Guid uuid)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(UuidTimestamp), "uuid_timestamp");

    /// <summary>
    /// The time a UUIDv7 was made, to the microsecond, reading the sub-millisecond fraction TimescaleDB's <c>to_uuidv7</c>
    /// and PostgreSQL 18's <c>uuidv7</c> keep in the 12 <c>rand_a</c> bits: TimescaleDB's <c>uuid_timestamp_micros(uuid)</c>.
    /// .NET's <c>Guid.CreateVersion7()</c> fills those bits at random, so for its keys use <see cref="UuidTimestamp"/>.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="uuid">A <c>uuid</c> column or expression.</param>
    /// <returns>A <c>timestamp with time zone</c>; NULL for a UUID of another version.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static DateTime UuidTimestampMicros(this DbFunctions _, Guid uuid)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(UuidTimestampMicros), "uuid_timestamp_micros");

    /// <summary>The version of an RFC 9562 UUID (7 for <c>Guid.CreateVersion7()</c>, 4 for <c>Guid.NewGuid()</c>): TimescaleDB's <c>uuid_version(uuid)</c>.</summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="uuid">A <c>uuid</c> column or expression.</param>
    /// <returns>The version; NULL for a UUID of another variant.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static int UuidVersion(this DbFunctions _, Guid uuid)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(UuidVersion), "uuid_version");

    /// <summary>
    /// The smallest UUIDv7 of <paramref name="timestamp"/> (every random bit zero): TimescaleDB's <c>to_uuidv7_boundary(ts)</c>.
    /// Compare the key with it, <c>m.Id &gt;= EF.Functions.ToUuidV7Boundary(since)</c>, so TimescaleDB excludes the chunks
    /// before <c>since</c>; a filter on <see cref="UuidTimestamp"/> reads every chunk.
    /// </summary>
    /// <param name="_">The <see cref="DbFunctions"/> instance (<c>EF.Functions</c>).</param>
    /// <param name="timestamp">A <c>timestamp with time zone</c> (<see cref="DateTimeKind.Utc"/>) value or column, from 1970 on.</param>
    /// <returns>The boundary UUID.</returns>
    /// <exception cref="InvalidOperationException">Always, when called outside a LINQ query.</exception>
    public static Guid ToUuidV7Boundary(this DbFunctions _, DateTime timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(ToUuidV7Boundary), "to_uuidv7_boundary");

    /// <inheritdoc cref="ToUuidV7Boundary(DbFunctions, DateTime)"/>
    public static Guid ToUuidV7Boundary(this DbFunctions _, DateTimeOffset timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(ToUuidV7Boundary), "to_uuidv7_boundary");
}
