using Hourglass.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Turns a table into a hypertable: <c>create_hypertable(table, by_range(time_column, interval), ...)</c>.</summary>
public sealed class CreateHypertableOperation : TimescaleMigrationOperation
{
    /// <summary>The time column (the first, range dimension).</summary>
    public string TimeColumn { get; set; } = "";

    /// <summary>Canonical interval text ("7 days") or digits for integer columns; null for TimescaleDB's default.</summary>
    public string? ChunkInterval { get; set; }

    /// <summary>Whether TimescaleDB creates its default indexes.</summary>
    public bool CreateDefaultIndexes { get; set; } = true;

    /// <summary>Whether rows already in the table move into chunks.</summary>
    public bool MigrateData { get; set; }

    /// <summary>The integer-now function of an integer time column, if any.</summary>
    public string? IntegerNowFunction { get; set; }

    /// <summary>
    /// Whether the time column is a <c>uuid</c> holding UUIDv7 keys, partitioned by their timestamp (TimescaleDB 2.22+; older
    /// servers: an error under Strict, a plain table and a <c>FeatureSkipped</c> warning under Degrade).
    /// </summary>
    public bool UuidV7 { get; set; }

    /// <inheritdoc />
    public override string Describe() => $"hypertable {DisplayTable} (time column \"{TimeColumn}\")";
}

/// <summary>Adds a hash or range dimension: <c>add_dimension(table, by_hash(column, n) | by_range(column, interval))</c>.</summary>
public sealed class AddHypertableDimensionOperation : TimescaleMigrationOperation
{
    /// <summary>The dimension column.</summary>
    public string Column { get; set; } = "";

    /// <summary>The number of hash partitions; null for a range dimension.</summary>
    public int? NumberOfPartitions { get; set; }

    /// <summary>The range interval (canonical text or digits); null for the default or for a hash dimension.</summary>
    public string? Interval { get; set; }

    /// <summary>Whether the column is a <c>uuid</c> holding UUIDv7 keys, partitioned by their timestamp (TimescaleDB 2.22+).</summary>
    public bool UuidV7 { get; set; }

    /// <inheritdoc />
    public override string Describe() => $"{(NumberOfPartitions is null ? "range" : "hash")} dimension \"{Column}\" of hypertable {DisplayTable}";
}

/// <summary>Changes the chunk interval of new chunks: <c>set_partitioning_interval(table, interval, column)</c>.</summary>
public sealed class SetHypertableChunkIntervalOperation : TimescaleMigrationOperation
{
    /// <summary>The range dimension's column; null for the time column.</summary>
    public string? Column { get; set; }

    /// <summary>The new interval (canonical text or digits).</summary>
    public string Interval { get; set; } = "";

    /// <inheritdoc />
    public override string Describe() => $"chunk interval {Interval} of hypertable {DisplayTable}";
}

/// <summary>Changes a hash dimension's partition count: <c>set_number_partitions(table, n, column)</c>.</summary>
public sealed class SetHypertablePartitionsOperation : TimescaleMigrationOperation
{
    /// <summary>The hash dimension's column.</summary>
    public string Column { get; set; } = "";

    /// <summary>The new number of partitions.</summary>
    public int NumberOfPartitions { get; set; }

    /// <inheritdoc />
    public override string Describe() => $"{NumberOfPartitions} partitions of dimension \"{Column}\" of hypertable {DisplayTable}";
}

/// <summary>Sets the integer-now function of an integer hypertable: <c>set_integer_now_func(table, function, replace_if_exists)</c>.</summary>
public sealed class SetHypertableIntegerNowFunctionOperation : TimescaleMigrationOperation
{
    /// <summary>The function name, optionally schema-qualified.</summary>
    public string Function { get; set; } = "";

    /// <inheritdoc />
    public override string Describe() => $"integer-now function {Function} of hypertable {DisplayTable}";
}

/// <summary>
/// Turns a hypertable back into a plain table, keeping its rows, columns, constraints and indexes: TimescaleDB has no
/// such function, so the table is rebuilt (renamed, copied into a new table of the same shape, dropped).
/// </summary>
public sealed class ConvertHypertableToTableOperation : TimescaleMigrationOperation
{
    /// <summary>The hypertable's time column, whose TimescaleDB default index is not carried over.</summary>
    public string? TimeColumn { get; set; }

    /// <inheritdoc />
    public override string Describe() => $"conversion of hypertable {DisplayTable} to a plain table";
}
