using Hourglass.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Makes the entity's table a TimescaleDB hypertable partitioned by the named time property.</summary>
/// <param name="timeProperty">The time property, e.g. <c>nameof(Time)</c>.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class HypertableAttribute(string timeProperty) : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Hypertable";

    string? ITimescaleModelAttribute.Property => TimeProperty;

    /// <summary>The time property's name.</summary>
    public string TimeProperty { get; } = timeProperty;

    /// <summary>The chunk interval as interval text (e.g. "1 day"), or digits for an integer time column.</summary>
    public string? ChunkInterval { get; set; }

    /// <summary>Whether TimescaleDB creates its default indexes (true by default).</summary>
    public bool CreateDefaultIndexes { get; set; } = true;

    /// <summary>Whether rows already in the table move into chunks when it becomes a hypertable.</summary>
    public bool MigrateData { get; set; }

    /// <summary>The SQL function returning "now" in an integer time column's units.</summary>
    public string? IntegerNowFunction { get; set; }
}

/// <summary>Adds a hash dimension to the entity's hypertable.</summary>
/// <param name="property">The property to hash.</param>
/// <param name="partitions">The number of partitions, at least 1.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public sealed class HypertableHashDimensionAttribute(string property, int partitions) : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Hypertable";

    string? ITimescaleModelAttribute.Property => null;

    /// <summary>The property to hash.</summary>
    public string Property { get; } = property;

    /// <summary>The number of partitions.</summary>
    public int Partitions { get; } = partitions;
}

/// <summary>Adds a range dimension to the entity's hypertable.</summary>
/// <param name="property">The property to partition by range.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public sealed class HypertableRangeDimensionAttribute(string property) : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Hypertable";

    string? ITimescaleModelAttribute.Property => null;

    /// <summary>The property to partition by range.</summary>
    public string Property { get; } = property;

    /// <summary>The interval as interval text, or digits for an integer column; null for TimescaleDB's default.</summary>
    public string? Interval { get; set; }
}
