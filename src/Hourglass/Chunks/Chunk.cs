using NpgsqlTypes;

namespace Hourglass;

/// <summary>One chunk of a hypertable.</summary>
/// <param name="Schema">The chunk's schema (usually _timescaledb_internal).</param>
/// <param name="Name">The chunk's table name.</param>
/// <param name="HypertableSchema">Its hypertable's schema.</param>
/// <param name="HypertableName">Its hypertable's name.</param>
/// <param name="RangeStart">Start of its time range (inclusive) for a time column.</param>
/// <param name="RangeEnd">End of its time range (exclusive) for a time column.</param>
/// <param name="RangeStartInteger">Start of its range for an integer time column.</param>
/// <param name="RangeEndInteger">End of its range for an integer time column.</param>
/// <param name="IsColumnstore">Whether it is converted to the columnstore (compressed).</param>
/// <param name="CreatedAt">When it was created (TimescaleDB 2.13+).</param>
/// <param name="Size">Its bytes now (chunks_detailed_size).</param>
/// <param name="BeforeColumnstoreBytes">Bytes before conversion, for a converted chunk.</param>
/// <param name="AfterColumnstoreBytes">Bytes after conversion, for a converted chunk.</param>
public sealed record Chunk(
    string Schema,
    string Name,
    string HypertableSchema,
    string HypertableName,
    DateTimeOffset? RangeStart,
    DateTimeOffset? RangeEnd,
    long? RangeStartInteger,
    long? RangeEndInteger,
    bool IsColumnstore,
    DateTimeOffset? CreatedAt,
    RelationSize Size,
    long? BeforeColumnstoreBytes,
    long? AfterColumnstoreBytes)
{
    /// <summary>"schema.name", the name the chunk calls take.</summary>
    public string QualifiedName => $"{Schema}.{Name}";

    /// <summary>
    /// The tablespace the chunk's table is stored in (pg_class.reltablespace), or the database's default tablespace when the
    /// table has none of its own; <see cref="TimescaleClient.MoveChunksAsync"/> changes it.
    /// </summary>
    public string? Tablespace { get; init; }

    /// <summary>Before / after bytes of a converted chunk.</summary>
    public double? ColumnstoreRatio => BeforeColumnstoreBytes is > 0 && AfterColumnstoreBytes is > 0 ? (double)BeforeColumnstoreBytes.Value / AfterColumnstoreBytes.Value : null;
}

/// <summary>
/// Which chunks a call means, as show_chunks and drop_chunks take them: <see cref="OlderThan"/> and <see cref="NewerThan"/>
/// compare the chunk's time range; <see cref="CreatedBefore"/> and <see cref="CreatedAfter"/> its creation time
/// (TimescaleDB 2.13+; not combinable with the range bounds). Empty means every chunk.
/// </summary>
public sealed record ChunkFilter
{
    /// <summary>Chunks whose whole range ends before this: an age (<c>TimeSpan.FromDays(7)</c> = older than now − 7 days), a point in time, or an integer for integer time columns.</summary>
    public ChunkBound? OlderThan { get; init; }

    /// <summary>Chunks whose whole range starts at or after this.</summary>
    public ChunkBound? NewerThan { get; init; }

    /// <summary>Chunks created before this (an age or a point in time).</summary>
    public ChunkBound? CreatedBefore { get; init; }

    /// <summary>Chunks created after this (an age or a point in time).</summary>
    public ChunkBound? CreatedAfter { get; init; }

    /// <summary>Whether any bound is set.</summary>
    public bool IsEmpty => OlderThan is null && NewerThan is null && CreatedBefore is null && CreatedAfter is null;

    /// <summary>Chunks older than an age.</summary>
    /// <param name="age">How old.</param>
    /// <returns>The filter.</returns>
    public static ChunkFilter Older(TimeSpan age) => new() { OlderThan = age };
}

/// <summary>A bound of a <see cref="ChunkFilter"/>: an age relative to now, a point in time, or an integer time value.</summary>
public readonly record struct ChunkBound
{
    private ChunkBound(object value, NpgsqlDbType type)
    {
        Value = value;
        Type = type;
    }

    internal object Value { get; }

    internal NpgsqlDbType Type { get; }

    /// <summary>An age: now minus it.</summary>
    /// <param name="age">How old.</param>
    /// <returns>The bound.</returns>
    public static ChunkBound Age(TimeSpan age) => new(age, NpgsqlDbType.Interval);

    /// <summary>A point in time.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The bound.</returns>
    public static ChunkBound At(DateTimeOffset time) => new(time.ToUniversalTime(), NpgsqlDbType.TimestampTz);

    /// <summary>An integer time value (integer time columns).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The bound.</returns>
    public static ChunkBound IntegerValue(long value) => new(value, NpgsqlDbType.Bigint);

    /// <summary>An age: now minus it.</summary>
    /// <param name="age">How old.</param>
    public static implicit operator ChunkBound(TimeSpan age) => Age(age);

    /// <summary>A point in time.</summary>
    /// <param name="time">The time.</param>
    public static implicit operator ChunkBound(DateTimeOffset time) => At(time);

    /// <summary>An integer time value.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator ChunkBound(long value) => IntegerValue(value);

    /// <inheritdoc />
    public override string ToString() => Value switch
    {
        TimeSpan age => $"now() - {age}",
        DateTimeOffset time => time.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>Progress of a call that works through chunks one by one.</summary>
/// <param name="Done">Chunks finished.</param>
/// <param name="Total">Chunks in all.</param>
/// <param name="Chunk">The chunk just finished ("schema.name").</param>
public sealed record ChunkProgress(int Done, int Total, string Chunk);
