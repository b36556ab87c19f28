using System.Text.RegularExpressions;

namespace Hourglass.Cli.Connection;

/// <summary>
/// Every password the process has seen, so that anything printed (tables, errors, pg_dump output) can be
/// scrubbed. Npgsql and libpq messages do not normally quote passwords, but a malformed connection string
/// echoed in an ArgumentException, or a tool's diagnostic, could: redacting by value covers all of them.
/// </summary>
internal static partial class Secrets
{
    public const string Mask = "********";

    private const int ShortSecret = 4;

    private static readonly List<string> s_values = [];

    public static void Register(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }

        lock (s_values)
        {
            foreach (var variant in new[] { secret, Uri.EscapeDataString(secret) })
            {
                if (!s_values.Contains(variant))
                {
                    s_values.Add(variant);
                }
            }

            // Longest first so that a password containing another one is masked whole.
            s_values.Sort((a, b) => b.Length.CompareTo(a.Length));
        }
    }

    /// <summary>Registers the password in a connection string or URL even when it does not parse.</summary>
    public static void RegisterFrom(string? connectionText)
    {
        if (string.IsNullOrEmpty(connectionText))
        {
            return;
        }

        foreach (Match match in PasswordKeyword().Matches(connectionText))
        {
            Register(match.Groups["value"].Value.Trim().Trim('\'', '"'));
        }

        var url = UrlPassword().Match(connectionText);
        if (url.Success)
        {
            Register(url.Groups["value"].Value);
            Register(Uri.UnescapeDataString(url.Groups["value"].Value));
        }
    }

    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        lock (s_values)
        {
            foreach (var secret in s_values)
            {
                // A password of a few characters would otherwise mask those letters inside every word ("x" in
                // "nonexistent"); short ones are masked where they stand alone, which is how a message quotes them.
                text = secret.Length >= ShortSecret
                    ? text.Replace(secret, Mask, StringComparison.Ordinal)
                    : Regex.Replace(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(secret)}(?![\p{{L}}\p{{N}}])", Mask, RegexOptions.CultureInvariant);
            }
        }

        // Belt and braces: a connection string that slips into a message keeps its keyword but loses the value.
        return PasswordKeyword().Replace(text, m => m.Groups["key"].Value + "=" + Mask);
    }

    [GeneratedRegex(@"(?<key>\b(?:password|pwd))\s*=\s*(?<value>'[^']*'|""[^""]*""|[^;]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordKeyword();

    [GeneratedRegex(@"^postgres(?:ql)?://[^:/@]*:(?<value>[^@]*)@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();
}
