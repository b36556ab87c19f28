// One overload per time type and width type, so wrong combinations fail at compile time rather than on the server.
using Hourglass.EntityFrameworkCore.Hyperfunctions;
using NodaTime;

// Extension methods live in EF's namespace, as Npgsql's own DbFunctions extensions do, so EF.Functions finds them without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// TimescaleDB's <c>time_bucket</c> and <c>time_bucket_gapfill</c> over NodaTime's <see cref="Instant"/> (<c>timestamp with
/// time zone</c>), <see cref="LocalDateTime"/> (<c>timestamp without time zone</c>) and <see cref="LocalDate"/> (<c>date</c>),
/// with <see cref="Duration"/> or <see cref="Period"/> widths, for <c>EF.Functions</c>. The columns need Npgsql's NodaTime
/// plugin (<c>UseNpgsql(..., o =&gt; o.UseNodaTime().UseTimescale())</c>); referencing this package is enough for the
/// functions, which <c>UseTimescale()</c> translates like the <see cref="TimescaleDbFunctionsExtensions"/> ones. Each
/// overload is documented by its counterpart there: <see cref="Instant"/> for <see cref="DateTimeOffset"/>,
/// <see cref="LocalDateTime"/> for <see cref="DateTime"/>, <see cref="LocalDate"/> for <see cref="DateOnly"/>, and
/// <see cref="Duration"/> or <see cref="Period"/> for the <see cref="TimeSpan"/> width.
/// </summary>
[Hyperfunctions]
public static partial class TimescaleNodaTimeDbFunctionsExtensions
{
    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset)"/>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Duration, Instant)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static Instant? TimeBucket(this DbFunctions _, Duration width, Instant? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, DateTimeOffset)"/>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, Instant origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, TimeSpan)"/>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, Duration offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, string)"/>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, string, DateTimeOffset)"/>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, string timezone, Instant origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, string, TimeSpan)"/>
    public static Instant TimeBucket(this DbFunctions _, Duration width, Instant timestamp, string timezone, Duration offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset)"/>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Period, Instant)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static Instant? TimeBucket(this DbFunctions _, Period width, Instant? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, DateTimeOffset)"/>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, Instant origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, TimeSpan)"/>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, Period offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, string)"/>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, string timezone)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, string, DateTimeOffset)"/>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, string timezone, Instant origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTimeOffset, string, TimeSpan)"/>
    public static Instant TimeBucket(this DbFunctions _, Period width, Instant timestamp, string timezone, Period offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTime)"/>
    public static LocalDateTime TimeBucket(this DbFunctions _, Duration width, LocalDateTime timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Duration, LocalDateTime)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static LocalDateTime? TimeBucket(this DbFunctions _, Duration width, LocalDateTime? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTime, DateTime)"/>
    public static LocalDateTime TimeBucket(this DbFunctions _, Duration width, LocalDateTime timestamp, LocalDateTime origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTime, TimeSpan)"/>
    public static LocalDateTime TimeBucket(this DbFunctions _, Duration width, LocalDateTime timestamp, Duration offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTime)"/>
    public static LocalDateTime TimeBucket(this DbFunctions _, Period width, LocalDateTime timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Period, LocalDateTime)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static LocalDateTime? TimeBucket(this DbFunctions _, Period width, LocalDateTime? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTime, DateTime)"/>
    public static LocalDateTime TimeBucket(this DbFunctions _, Period width, LocalDateTime timestamp, LocalDateTime origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateTime, TimeSpan)"/>
    public static LocalDateTime TimeBucket(this DbFunctions _, Period width, LocalDateTime timestamp, Period offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateOnly)"/>
    public static LocalDate TimeBucket(this DbFunctions _, Period width, LocalDate timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimeBucket(DbFunctions, Period, LocalDate)"/>
    /// <remarks>NULL stays NULL.</remarks>
    public static LocalDate? TimeBucket(this DbFunctions _, Period width, LocalDate? timestamp)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateOnly, DateOnly)"/>
    public static LocalDate TimeBucket(this DbFunctions _, Period width, LocalDate timestamp, LocalDate origin)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");

    /// <inheritdoc cref="TimescaleDbFunctionsExtensions.TimeBucket(DbFunctions, TimeSpan, DateOnly, TimeSpan)"/>
    public static LocalDate TimeBucket(this DbFunctions _, Period width, LocalDate timestamp, Period offset)
        => throw HyperfunctionsAttribute.CalledOnClient(nameof(TimeBucket), "time_bucket");
}
