using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using NpgsqlTypes;

namespace Hourglass;

/// <summary>
/// Every interval Hourglass handles: chunk intervals, policy arguments (drop_after, compress_after), continuous aggregate
/// offsets and job schedules. A time length in whole microseconds plus calendar months (PostgreSQL's <c>interval</c>
/// without its separate days, which TimescaleDB's arguments never need), or an amount of an integer time column's units.
/// Equal lengths are equal whatever their spelling ("7 days", "1 week", <c>TimeSpan.FromDays(7)</c>), and
/// <see cref="ToString"/> is the one canonical text that annotations and migration files keep.
/// </summary>
[JsonConverter(typeof(TimescaleIntervalJsonConverter))]
public readonly partial record struct TimescaleInterval
{
    private const long MicrosecondsPerMillisecond = 1_000;
    private const long MicrosecondsPerSecond = 1_000_000;
    private const long MicrosecondsPerMinute = 60 * MicrosecondsPerSecond;
    private const long MicrosecondsPerHour = 60 * MicrosecondsPerMinute;
    private const long MicrosecondsPerDay = 24 * MicrosecondsPerHour;

    private static readonly (long Size, string Unit)[] s_units =
    [
        (MicrosecondsPerDay, "day"), (MicrosecondsPerHour, "hour"), (MicrosecondsPerMinute, "minute"),
        (MicrosecondsPerSecond, "second"), (MicrosecondsPerMillisecond, "millisecond"), (1, "microsecond"),
    ];

    private TimescaleInterval(int months, long microseconds, bool isInteger)
    {
        Months = months;
        Microseconds = microseconds;
        IsInteger = isInteger;
    }

    /// <summary>TimescaleDB's chunk interval when none is given for a time column.</summary>
    public static TimescaleInterval DefaultChunkInterval { get; } = FromMicroseconds(7 * MicrosecondsPerDay);

    /// <summary>A zero length ("0 seconds"): a job without a run limit.</summary>
    public static TimescaleInterval Zero { get; } = FromMicroseconds(0);

    /// <summary>Calendar months (a year is 12); zero for integer intervals.</summary>
    public int Months { get; }

    /// <summary>The length beyond the months, in microseconds; the amount itself for integer intervals.</summary>
    public long Microseconds { get; }

    /// <summary>Whether this is an amount of an integer time column's units, not a time length.</summary>
    public bool IsInteger { get; }

    /// <summary>Whether the interval has calendar months, which have no fixed length.</summary>
    public bool HasMonths => Months != 0;

    /// <summary>Whether the interval is zero ("0 seconds", or the integer 0).</summary>
    public bool IsZero => Months == 0 && Microseconds == 0;

    /// <summary>Whether no part is negative and the interval is not zero.</summary>
    public bool IsPositive => Months >= 0 && Microseconds >= 0 && !IsZero;

    /// <summary>Whether no part is positive and the interval is not zero.</summary>
    public bool IsNegative => Months <= 0 && Microseconds <= 0 && !IsZero;

    /// <summary>A time length of whole microseconds.</summary>
    /// <param name="microseconds">The length.</param>
    /// <returns>The interval.</returns>
    public static TimescaleInterval FromMicroseconds(long microseconds) => new(0, microseconds, isInteger: false);

    /// <summary>Calendar months ("3 months"; a year is 12).</summary>
    /// <param name="months">The months.</param>
    /// <returns>The interval.</returns>
    public static TimescaleInterval FromMonths(int months) => new(months, 0, isInteger: false);

    /// <summary>An amount of an integer time column's units (integer hypertables and their policies).</summary>
    /// <param name="amount">The amount.</param>
    /// <returns>The interval.</returns>
    public static TimescaleInterval FromInteger(long amount) => new(0, amount, isInteger: true);

    /// <summary>A time span as an interval; it must be whole microseconds (PostgreSQL's resolution).</summary>
    /// <param name="value">The time span.</param>
    /// <exception cref="ArgumentException">The span is finer than a microsecond.</exception>
    public static implicit operator TimescaleInterval(TimeSpan value) => FromTimeSpan(value);

    /// <summary>The same as the implicit conversion from <see cref="TimeSpan"/>.</summary>
    /// <param name="value">The time span.</param>
    /// <returns>The interval.</returns>
    public static TimescaleInterval ToTimescaleInterval(TimeSpan value) => FromTimeSpan(value);

    /// <summary>A time span; null with a problem when it is not a whole number of microseconds (PostgreSQL's resolution).</summary>
    /// <param name="value">The time span.</param>
    /// <param name="problem">Why it cannot be an interval, or null.</param>
    /// <returns>The interval, or null.</returns>
    public static TimescaleInterval? FromTimeSpan(TimeSpan value, out string? problem)
    {
        problem = value.Ticks % TimeSpan.TicksPerMicrosecond == 0 ? null : $"{value} is finer than a microsecond";
        return problem is null ? FromMicroseconds(value.Ticks / TimeSpan.TicksPerMicrosecond) : null;
    }

    /// <summary>A time span that is known to be whole microseconds (defaults, values already checked).</summary>
    /// <param name="value">The time span.</param>
    /// <returns>The interval.</returns>
    /// <exception cref="ArgumentException">The span is finer than a microsecond.</exception>
    public static TimescaleInterval FromTimeSpan(TimeSpan value)
        => FromTimeSpan(value, out var problem) ?? throw new ArgumentException($"The interval {problem}.", nameof(value));

    /// <summary>
    /// An interval from what a user or a migration file wrote, or what the catalog returned: a <see cref="TimeSpan"/>,
    /// an integer amount, Npgsql's <see cref="NpgsqlInterval"/>, or text (see <see cref="TryParse"/>). Null with a problem
    /// ("… is not an interval") when it cannot be read.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="problem">Why it is not an interval, or null.</param>
    /// <returns>The interval, or null.</returns>
    public static TimescaleInterval? From(object value, out string? problem)
    {
        problem = null;
        switch (value)
        {
            case TimescaleInterval interval:
                return interval;
            case TimeSpan span:
                return FromTimeSpan(span, out problem);
            case long or int or short:
                return FromInteger(Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case NpgsqlInterval npgsql:
                return new TimescaleInterval(npgsql.Months, checked((npgsql.Days * MicrosecondsPerDay) + npgsql.Time), isInteger: false);
            case string text:
                return TryParse(text, out var parsed, out problem) ? parsed : null;
            default:
                problem = $"{value} of type {value.GetType().Name} is not an interval";
                return null;
        }
    }

    /// <summary>
    /// An interval the catalog returned as a typed value (<c>interval</c> as <see cref="TimeSpan"/> or
    /// <see cref="NpgsqlInterval"/>, integer dimensions as a number; text is read too); null for SQL NULL.
    /// </summary>
    /// <param name="value">The catalog's value.</param>
    /// <returns>The interval, or null.</returns>
    public static TimescaleInterval? FromCatalog(object? value)
        => value is null or DBNull ? null
            : From(value, out var problem) ?? throw new InvalidOperationException($"The catalog's interval {problem}.");

    /// <summary>Interval text this type wrote (annotations, migration files), or a user's, which must be valid.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The interval.</returns>
    /// <exception cref="FormatException">The text is not an interval.</exception>
    public static TimescaleInterval Parse(string text)
        => TryParse(text, out var value, out var problem) ? value : throw new FormatException($"The interval {problem}.");

    /// <summary>
    /// Reads interval text as PostgreSQL writes and accepts it: "7 days", "1 week", "1 day 12 hours", "1.5 hours",
    /// "3 months", "1 year", "01:30:00", "1 day 01:30:00", .NET's "1.12:00:00", and digits for integer time columns.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The interval when it is one.</param>
    /// <param name="problem">Why it is not, or null.</param>
    /// <returns>Whether the text is an interval.</returns>
    public static bool TryParse(string text, out TimescaleInterval value, out string? problem)
    {
        value = default;
        var trimmed = text.Trim();
        if (IntegerText().IsMatch(trimmed))
        {
            problem = long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount) ? null : $"\"{text}\" is too large";
            value = FromInteger(amount);
            return problem is null;
        }

        if (DotNetTimeSpanText().IsMatch(trimmed) && TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var dotnet))
        {
            var fromSpan = FromTimeSpan(dotnet, out problem);
            value = fromSpan.GetValueOrDefault();
            return fromSpan is not null;
        }

        var match = IntervalText().Match(trimmed.ToLowerInvariant());
        if (trimmed.Length == 0 || !match.Success)
        {
            problem = $"\"{text}\" is not an interval";
            return false;
        }

        try
        {
            long months = 0;
            decimal microseconds = 0;
            var amounts = match.Groups["amount"].Captures;
            var units = match.Groups["unit"].Captures;
            for (var i = 0; i < amounts.Count; i++)
            {
                var amount = decimal.Parse(amounts[i].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                switch (Unit(units[i].Value))
                {
                    case null:
                        problem = $"\"{text}\" is not an interval: \"{units[i].Value}\" is not a unit";
                        return false;
                    case (true, var monthsPerUnit):
                        if (decimal.Truncate(amount) != amount)
                        {
                            problem = $"\"{text}\" has a fraction of a month, which has no fixed length";
                            return false;
                        }

                        months = checked(months + ((long)amount * monthsPerUnit));
                        break;
                    case (false, var size):
                        microseconds += amount * size;
                        break;
                }
            }

            if (match.Groups["clock"].Success)
            {
                var sign = match.Groups["clocksign"].Value == "-" ? -1 : 1;
                var seconds = match.Groups["seconds"].Success ? decimal.Parse(match.Groups["seconds"].Value, CultureInfo.InvariantCulture) : 0;
                microseconds += sign * ((long.Parse(match.Groups["hours"].Value, CultureInfo.InvariantCulture) * MicrosecondsPerHour)
                    + (long.Parse(match.Groups["minutes"].Value, CultureInfo.InvariantCulture) * MicrosecondsPerMinute)
                    + (seconds * MicrosecondsPerSecond));
            }

            if (decimal.Truncate(microseconds) != microseconds)
            {
                problem = $"\"{text}\" is finer than a microsecond";
                return false;
            }

            value = new TimescaleInterval(checked((int)months), checked((long)microseconds), isInteger: false);
            problem = null;
            return true;
        }
        catch (OverflowException)
        {
            problem = $"\"{text}\" is too large";
            return false;
        }
    }

    /// <summary>
    /// Interval text of a time length (job settings in migration files and annotations: "6 hours", "1 month", "0 seconds",
    /// and "0", which older snapshots wrote for zero); null for null. Any other bare number is refused: a job setting is
    /// never an amount of an integer column's units.
    /// </summary>
    /// <param name="text">The text, or null.</param>
    /// <returns>The interval, or null.</returns>
    /// <exception cref="FormatException">The text is not a time length.</exception>
    public static TimescaleInterval? ParseLength(string? text)
        => text is null ? null
            : Parse(text) switch
            {
                { IsInteger: true, Microseconds: 0 } => Zero,
                { IsInteger: false } interval => interval,
                var other => throw new FormatException($"The interval \"{text}\" is not a time length: {other} is a bare number; write it with a unit, e.g. \"{other} seconds\"."),
            };

    /// <summary>
    /// The length TimescaleDB's policy checks measure, in microseconds (the amount for integer intervals): a month counts
    /// as 30 days there, as in PostgreSQL's <c>extract(epoch ...)</c>. For comparing a refresh window's offsets and bucket
    /// width as the server does, never a length to store; a decimal, so that any two subtract without overflow.
    /// </summary>
    public decimal PolicyCheckLength => ((decimal)Months * 30 * MicrosecondsPerDay) + Microseconds;

    /// <summary>The length as a time span; throws for months and integer amounts, which have none.</summary>
    /// <returns>The time span.</returns>
    public TimeSpan ToTimeSpan()
        => IsInteger || HasMonths
            ? throw new InvalidOperationException($"The interval {this} has no fixed length as a time span.")
            : TimeSpan.FromTicks(checked(Microseconds * TimeSpan.TicksPerMicrosecond));

    /// <summary>
    /// The canonical text: digits for integer amounts; "N months" and the time in its largest exact unit ("7 days",
    /// "36 hours", "-1 hour", "1 month 12 hours"); "0 seconds" for zero.
    /// </summary>
    public override string ToString()
    {
        if (IsInteger)
        {
            return Microseconds.ToString(CultureInfo.InvariantCulture);
        }

        if (IsZero)
        {
            return "0 seconds";
        }

        var text = new StringBuilder();
        if (HasMonths)
        {
            text.Append(Count(Months, "month"));
        }

        var microseconds = Microseconds;
        if (microseconds != 0)
        {
            var (size, unit) = s_units.First(u => microseconds % u.Size == 0);
            text.Append(text.Length > 0 ? " " : "").Append(Count(Microseconds / size, unit));
        }

        return text.ToString();

        static string Count(long count, string unit) => string.Create(CultureInfo.InvariantCulture, $"{count} {unit}{(Math.Abs(count) == 1 ? "" : "s")}");
    }

    /// <summary>The SQL argument: <c>INTERVAL '7 days'</c>, or the bare number for integer time columns.</summary>
    /// <returns>The SQL text.</returns>
    public string ToSql() => IsInteger ? ToString() : "INTERVAL '" + ToString() + "'";

    /// <summary>The interval as Npgsql's <see cref="NpgsqlInterval"/> (a parameter of type interval); throws for integer amounts.</summary>
    /// <returns>The Npgsql value.</returns>
    public NpgsqlInterval ToNpgsqlInterval()
        => IsInteger
            ? throw new InvalidOperationException($"The interval {this} is an integer amount, not a time length.")
            : new NpgsqlInterval(Months, 0, Microseconds);

    /// <summary>
    /// The first problem with this interval where <paramref name="use"/> takes it, as the end of
    /// "Feature on entity 'E', property 'P': …"; null when it fits.
    /// </summary>
    /// <param name="use">Where it is used.</param>
    /// <param name="display">How the problem names the value as the user wrote it.</param>
    /// <returns>The problem, or null.</returns>
    public string? Problem(IntervalUse use, string display)
    {
        if (IsInteger && !use.AllowsInteger)
        {
            return $"the {use.Name} {display} is a number, not a time interval";
        }

        if (HasMonths && !use.AllowsMonths)
        {
            return $"the {use.Name} {display} has months or years, and months and years have no fixed length, so use days, hours, minutes or seconds";
        }

        // Where negative lengths are allowed, so are mixed signs ("1 month -1 day"), which the server takes as well.
        if (IsZero ? !use.AllowsZero : !IsPositive && !use.AllowsNegative)
        {
            return $"the {use.Name} {display} is not positive";
        }

        return null;
    }

    [GeneratedRegex(@"^[+-]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerText();

    // .NET's "d.hh:mm:ss[.fffffff]" (what TimeSpan.ToString writes), which PostgreSQL does not read.
    [GeneratedRegex(@"^-?[0-9]+\.[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DotNetTimeSpanText();

    [GeneratedRegex(
        @"^(?:\s*(?<amount>[+-]?[0-9]+(?:\.[0-9]+)?)\s*(?<unit>[a-z]+)\s*,?)*(?:\s*(?<clock>(?<clocksign>[+-]?)(?<hours>[0-9]+):(?<minutes>[0-9]{2})(?::(?<seconds>[0-9]{2}(?:\.[0-9]{1,6})?))?))?\s*$",
        RegexOptions.CultureInvariant)]
    private static partial Regex IntervalText();

    // (true, months) for calendar units, (false, microseconds) for fixed ones.
    private static (bool Calendar, long Size)? Unit(string unit) => unit switch
    {
        "us" or "usec" or "usecs" or "microsecond" or "microseconds" => (false, 1),
        "ms" or "msec" or "msecs" or "millisecond" or "milliseconds" => (false, MicrosecondsPerMillisecond),
        "s" or "sec" or "secs" or "second" or "seconds" => (false, MicrosecondsPerSecond),
        "m" or "min" or "mins" or "minute" or "minutes" => (false, MicrosecondsPerMinute),
        "h" or "hr" or "hrs" or "hour" or "hours" => (false, MicrosecondsPerHour),
        "d" or "day" or "days" => (false, MicrosecondsPerDay),
        "w" or "week" or "weeks" => (false, 7 * MicrosecondsPerDay),
        "mon" or "mons" or "month" or "months" => (true, 1),
        "y" or "yr" or "yrs" or "year" or "years" => (true, 12),
        _ => null,
    };
}

/// <summary>Where an interval is used: its name in errors and what TimescaleDB accepts there.</summary>
/// <param name="Name">How errors call it: "chunk interval", "interval", "start offset".</param>
/// <param name="Fix">The fix an error suggests, with an example.</param>
public sealed record IntervalUse(string Name, string Fix)
{
    /// <summary>Whether calendar months and years are taken.</summary>
    public bool AllowsMonths { get; init; }

    /// <summary>Whether an integer amount (integer time columns) is taken.</summary>
    public bool AllowsInteger { get; init; } = true;

    /// <summary>Whether zero is taken.</summary>
    public bool AllowsZero { get; init; }

    /// <summary>Whether negative lengths (and mixed signs) are taken.</summary>
    public bool AllowsNegative { get; init; }

    /// <summary>Chunk intervals and range dimensions: a fixed positive length, or digits for integer columns.</summary>
    public static IntervalUse ChunkInterval { get; } = new("chunk interval", "give a positive interval such as TimeSpan.FromDays(1), \"1 day\" or \"12 hours\" (digits for integer time columns)");

    /// <summary>A policy's age argument (drop_after, compress_after): months and years are allowed.</summary>
    /// <param name="fix">The fix an error suggests.</param>
    /// <returns>The use.</returns>
    public static IntervalUse PolicyArgument(string fix) => new("interval", fix) { AllowsMonths = true };

    /// <summary>
    /// A continuous aggregate's refresh window offset: months and years allowed (TimescaleDB takes "3 months"), zero and
    /// negative (in the future) too.
    /// </summary>
    /// <param name="name">How errors call it.</param>
    /// <returns>The use.</returns>
    public static IntervalUse Offset(string name) => new(name, "give a time span of whole microseconds, e.g. TimeSpan.FromHours(1), or interval text such as \"3 months\" or \"1 hour\"") { AllowsInteger = false, AllowsMonths = true, AllowsZero = true, AllowsNegative = true };

    /// <summary>
    /// A job's schedule interval, max runtime or retry period: a positive length, months and years included, as
    /// TimescaleDB's alter_job takes them for all three (2.23 and 2.28 alike).
    /// </summary>
    /// <param name="name">How errors call it.</param>
    /// <param name="fix">The fix an error suggests.</param>
    /// <returns>The use.</returns>
    public static IntervalUse JobSetting(string name, string fix) => new(name, fix) { AllowsInteger = false, AllowsMonths = true };

    /// <summary>The interval, and its problem in this use (null when it fits).</summary>
    /// <param name="value">Text, a time span, an integer amount.</param>
    /// <returns>The interval and its problem.</returns>
    public (TimescaleInterval Value, string? Problem) Check(object value)
    {
        var display = value is string text ? $"\"{text}\"" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        if (TimescaleInterval.From(value, out var problem) is not { } interval)
        {
            return (default, $"the {Name} {problem}");
        }

        return (interval, interval.Problem(this, display));
    }
}

/// <summary>Intervals in JSON annotations as their canonical text; zero as "0 seconds".</summary>
internal sealed class TimescaleIntervalJsonConverter : JsonConverter<TimescaleInterval>
{
    public override TimescaleInterval Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return TimescaleInterval.FromInteger(reader.GetInt64());
        }

        var text = reader.GetString() ?? "";
        return TimescaleInterval.TryParse(text, out var value, out var problem) ? value : throw new JsonException($"The interval {problem}.");
    }

    public override void Write(Utf8JsonWriter writer, TimescaleInterval value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
