// One overload per time type and width type, so wrong combinations fail at compile time rather than on the server.
using Hourglass.EntityFrameworkCore.Hyperfunctions;
using NodaTime;

// Extension methods live in EF's namespace, as Npgsql's own DbFunctions extensions do, so EF.Functions finds them without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

public static partial class TimescaleNodaTimeDbFunctionsExtensions
{
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset, DateTimeOffset, DateTimeOffset)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp, Instant start, Instant finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset, string)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset, string, DateTimeOffset, DateTimeOffset)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Duration width, Instant timestamp, string timezone, Instant start, Instant finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset, DateTimeOffset, DateTimeOffset)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp, Instant start, Instant finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset, string)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTimeOffset, string, DateTimeOffset, DateTimeOffset)"/>
    public static Instant TimeBucketGapfill(this DbFunctions _, Period width, Instant timestamp, string timezone, Instant start, Instant finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)"/>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Duration width, LocalDateTime timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)"/>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Duration width, LocalDateTime timestamp, LocalDateTime start, LocalDateTime finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime)"/>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Period width, LocalDateTime timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateTime, DateTime, DateTime)"/>
    public static LocalDateTime TimeBucketGapfill(this DbFunctions _, Period width, LocalDateTime timestamp, LocalDateTime start, LocalDateTime finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateOnly)"/>
    public static LocalDate TimeBucketGapfill(this DbFunctions _, Period width, LocalDate timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucketGapfill(DbFunctions, TimeSpan, DateOnly, DateOnly, DateOnly)"/>
    public static LocalDate TimeBucketGapfill(this DbFunctions _, Period width, LocalDate timestamp, LocalDate start, LocalDate finish)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucketGapfill), "time_bucket_gapfill");
}
