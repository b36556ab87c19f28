using System.Globalization;
using System.Text.RegularExpressions;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>
/// Chunk intervals in one canonical text, so "7 days", "1 week", "168 hours" and <c>TimeSpan.FromDays(7)</c> compare equal:
/// time intervals become "N days|hours|minutes|seconds|milliseconds|microseconds" (the largest exact unit), integer
/// intervals (for integer time columns) stay digits.
/// </summary>
internal static partial class ChunkInterval
{
    private const long MicrosecondsPerMillisecond = 1_000;
    private const long MicrosecondsPerSecond = 1_000_000;
    private const long MicrosecondsPerMinute = 60 * MicrosecondsPerSecond;
    private const long MicrosecondsPerHour = 60 * MicrosecondsPerMinute;
    private const long MicrosecondsPerDay = 24 * MicrosecondsPerHour;

    /// <summary>The interval TimescaleDB uses when none is given for a time column.</summary>
    public const string TimescaleDefault = "7 days";

    public static bool IsInteger(string normalized) => long.TryParse(normalized, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    /// <summary>Canonical text of a time span; an error text (and null) when it is not positive.</summary>
    public static string? Normalize(TimeSpan interval, out string? error)
    {
        var microseconds = interval.Ticks / 10;
        if (interval.Ticks <= 0 || interval.Ticks % 10 != 0)
        {
            error = interval.Ticks <= 0
                ? $"the chunk interval {interval} is not positive"
                : $"the chunk interval {interval} is finer than a microsecond";
            return null;
        }

        error = null;
        return FromMicroseconds(microseconds);
    }

    /// <summary>Canonical text of a positive integer interval (integer time columns).</summary>
    public static string? Normalize(long interval, out string? error)
    {
        error = interval <= 0 ? $"the chunk interval {interval} is not positive" : null;
        return error is null ? interval.ToString(CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// Canonical text of interval text such as "7 days", "1 week", "1 day 12 hours", "01:30:00", or digits for integer
    /// columns; null with an error text when it cannot be read or is not positive.
    /// </summary>
    public static string? Normalize(string text, out string? error)
    {
        var trimmed = text.Trim();
        if (long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return Normalize(integer, out error);
        }

        if (trimmed.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span))
        {
            return Normalize(span, out error);
        }

        var match = IntervalText().Match(trimmed.ToLowerInvariant());
        if (!match.Success)
        {
            error = $"the chunk interval \"{text}\" is not an interval; write e.g. \"7 days\", \"12 hours\" or TimeSpan.FromDays(7)";
            return null;
        }

        long total = 0;
        for (var i = 0; i < match.Groups["amount"].Captures.Count; i++)
        {
            var amount = long.Parse(match.Groups["amount"].Captures[i].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            var unit = UnitMicroseconds(match.Groups["unit"].Captures[i].Value);
            if (unit is null)
            {
                error = $"the chunk interval \"{text}\" uses the unit \"{match.Groups["unit"].Captures[i].Value}\"; "
                    + "months and years have no fixed length, so use days, hours, minutes or seconds";
                return null;
            }

            total = checked(total + (amount * unit.Value));
        }

        if (total <= 0)
        {
            error = $"the chunk interval \"{text}\" is not positive";
            return null;
        }

        error = null;
        return FromMicroseconds(total);
    }

    /// <summary>Canonical interval text back to a time span ("3 days", "-1 hour", "90 minutes").</summary>
    public static TimeSpan ToTimeSpan(string interval)
    {
        var negative = interval.StartsWith('-');
        var parts = interval.TrimStart('-').Split(' ', 2);
        var amount = long.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture);
        var span = parts[1].TrimEnd('s') switch
        {
            "day" => TimeSpan.FromDays(amount),
            "hour" => TimeSpan.FromHours(amount),
            "minute" => TimeSpan.FromMinutes(amount),
            "second" => TimeSpan.FromSeconds(amount),
            "millisecond" => TimeSpan.FromMilliseconds(amount),
            _ => TimeSpan.FromMicroseconds(amount),
        };
        return negative ? -span : span;
    }

    private static string FromMicroseconds(long microseconds)
    {
        (long Size, string Unit)[] units =
        [
            (MicrosecondsPerDay, "day"), (MicrosecondsPerHour, "hour"), (MicrosecondsPerMinute, "minute"),
            (MicrosecondsPerSecond, "second"), (MicrosecondsPerMillisecond, "millisecond"), (1, "microsecond"),
        ];
        foreach (var (size, unit) in units)
        {
            if (microseconds % size == 0)
            {
                var count = microseconds / size;
                return string.Create(CultureInfo.InvariantCulture, $"{count} {unit}{(count == 1 ? "" : "s")}");
            }
        }

        throw new InvalidOperationException("unreachable: every interval is a whole number of microseconds");
    }

    private static long? UnitMicroseconds(string unit) => unit switch
    {
        "us" or "usec" or "usecs" or "microsecond" or "microseconds" => 1,
        "ms" or "msec" or "msecs" or "millisecond" or "milliseconds" => MicrosecondsPerMillisecond,
        "s" or "sec" or "secs" or "second" or "seconds" => MicrosecondsPerSecond,
        "m" or "min" or "mins" or "minute" or "minutes" => MicrosecondsPerMinute,
        "h" or "hr" or "hrs" or "hour" or "hours" => MicrosecondsPerHour,
        "d" or "day" or "days" => MicrosecondsPerDay,
        "w" or "week" or "weeks" => 7 * MicrosecondsPerDay,
        _ => null,
    };

    [GeneratedRegex(@"^(?:\s*(?<amount>[+-]?[0-9]+)\s*(?<unit>[a-z]+)\s*,?)+\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex IntervalText();
}
