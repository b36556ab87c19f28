namespace Hourglass;

/// <summary>
/// Hypertables partitioned by a UUIDv7 column (TimescaleDB 2.22+): <c>create_hypertable(t, by_range(id, INTERVAL '1 day'))</c>
/// on a <c>uuid</c> column puts each row in the chunk of the Unix-millisecond timestamp in the UUID's first 48 bits (RFC 9562),
/// so a key from <c>Guid.CreateVersion7()</c> is both the primary key and the time dimension. TimescaleDB treats such a
/// dimension as a time dimension: time intervals, time-based policies (<c>drop_after</c>, <c>after</c>) and chunk exclusion
/// by <c>id &gt;= to_uuidv7_boundary(...)</c>; rows with a UUID of another version are refused.
/// </summary>
public static class UuidPartitioning
{
    /// <summary>The TimescaleDB version that partitions by a <c>uuid</c> column and has <c>uuid_timestamp</c> and its friends.</summary>
    public static Version Since { get; } = new(2, 22);

    /// <summary>
    /// The first version whose columnstore and retention policies by age (<c>after</c>, <c>drop_after</c>) work on a hypertable
    /// partitioned by a UUIDv7 column (TimescaleDB #9045 and #9102, in 2.25.0): before it, adding the retention policy fails
    /// with "unsupported time type uuid" and every run of the columnstore policy fails.
    /// </summary>
    public static Version PoliciesSince { get; } = new(2, 25);

    /// <summary>
    /// From this version <c>uuid_timestamp_micros</c> decodes the 12 sub-millisecond bits as <c>(rand_a + 1) * 1000 / 4096</c>, the
    /// inverse of <c>to_uuidv7</c>'s encoding (TimescaleDB #8876); before it, <c>rand_a * 1000 / 4096</c>, a microsecond less for most values.
    /// </summary>
    public static Version MicrosecondDecoding { get; } = new(2, 24);

    /// <summary>The PostgreSQL type of a UUIDv7 partitioning column, as <c>timescaledb_information.dimensions.column_type</c> names it.</summary>
    public const string ColumnType = "uuid";

    /// <summary>Whether a server of <paramref name="version"/> partitions by a <c>uuid</c> column (an unknown version counts as the newest).</summary>
    /// <param name="version">The TimescaleDB version; null when unknown.</param>
    /// <returns>True from 2.22 on, or when the version is unknown.</returns>
    public static bool SupportedOn(Version? version) => version is null || version >= Since;

    /// <summary>Whether a dimension partitions by a UUIDv7 column.</summary>
    /// <param name="dimension">A dimension read from the catalog.</param>
    /// <returns>True for a range dimension on a <c>uuid</c> column.</returns>
    public static bool IsUuid(this Dimension dimension)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        return dimension.Kind == DimensionKind.Range && string.Equals(dimension.ColumnType, ColumnType, StringComparison.Ordinal);
    }
}
