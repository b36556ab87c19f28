using System.Globalization;
using System.Text.RegularExpressions;
using Hourglass.Cli.Connection;
using Spectre.Console;

namespace Hourglass.Cli.Maintenance;

/// <summary>Parsing and confirmation shared by the chunks, jobs and refresh commands.</summary>
internal static partial class MaintenanceArguments
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?|mon|months?|y|years?)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex AgePattern();

    /// <summary>
    /// "7d", "12h", "1y" (365 days), "2w", "30min" → an age before now; "2026-11-01" or "2026-11-01T06:00:00Z" → a point
    /// in time (UTC unless an offset is given); a plain integer → an integer time value.
    /// </summary>
    public static ChunkBound? ParseBound(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (TryAge(text, out var age))
        {
            return age;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        throw new CliException($"{option} '{text}': expected an age such as 7d, 12h, 1y, a date such as 2026-11-01 (UTC), or an integer for integer time columns.");
    }

    public static bool TryAge(string text, out TimeSpan age)
    {
        var match = AgePattern().Match(text);
        age = TimeSpan.Zero;
        if (!match.Success)
        {
            return false;
        }

        var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value.ToLowerInvariant();
        age = unit switch
        {
            _ when unit.StartsWith("mon", StringComparison.Ordinal) => TimeSpan.FromDays(30 * amount),
            _ when unit.StartsWith('s') => TimeSpan.FromSeconds(amount),
            _ when unit.StartsWith('m') => TimeSpan.FromMinutes(amount),
            _ when unit.StartsWith('h') => TimeSpan.FromHours(amount),
            _ when unit.StartsWith('d') => TimeSpan.FromDays(amount),
            _ when unit.StartsWith('w') => TimeSpan.FromDays(7 * amount),
            _ => TimeSpan.FromDays(365 * amount),
        };
        return true;
    }

    /// <summary>
    /// Asks before a destructive step. --yes answers for scripts; without it, a non-interactive run refuses rather than
    /// guess, so nothing is dropped by a script that forgot the flag.
    /// </summary>
    public static void Confirm(bool yes, string question)
    {
        if (yes)
        {
            return;
        }

        if (Console.IsInputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            throw new CliException($"{question} Refusing without confirmation: pass --yes to confirm from a script, or --dry-run to only list what would be done.");
        }

        if (!AnsiConsole.Confirm(Markup.Escape(question), defaultValue: false))
        {
            throw new CliException("Not confirmed; nothing was changed.");
        }
    }

    public static string When(DateTimeOffset? time) =>
        time is null ? "-" : time.Value.UtcDateTime.ToString(time.Value.UtcDateTime.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
