using System.Text;
namespace Hourglass.Testing;

/// <summary>
/// docs/reliability.md is made of sections that tests measure. Each test renders its section from what it measured and
/// asserts that the document says exactly that; with HOURGLASS_WRITE_RELIABILITY=1 it writes the section instead. So the
/// document cannot claim a figure that the last run did not measure. Shared by the test projects that measure a section.
/// </summary>
public static class ReliabilityDoc
{
    public const string WriteVariable = "HOURGLASS_WRITE_RELIABILITY";

    private static readonly SemaphoreSlim s_file = new(1, 1);

    public static string Path
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Hourglass.sln")))
            {
                directory = directory.Parent;
            }

            return System.IO.Path.Combine(directory?.FullName ?? throw new InvalidOperationException("Hourglass.sln not found above the test binaries."), "docs", "reliability.md");
        }
    }

    /// <summary>Checks (or, with <see cref="WriteVariable"/>, writes) the section between its markers.</summary>
    public static async Task MatchesAsync(string section, string measured)
    {
        var begin = $"<!-- measured: {section} -->";
        var end = $"<!-- end: {section} -->";
        measured = measured.ReplaceLineEndings("\n").TrimEnd('\n');
        await s_file.WaitAsync();
        try
        {
            var text = File.Exists(Path) ? (await File.ReadAllTextAsync(Path)).ReplaceLineEndings("\n") : "";
            var start = text.IndexOf(begin, StringComparison.Ordinal);
            var stop = text.IndexOf(end, StringComparison.Ordinal);
            var current = start >= 0 && stop > start ? text[(start + begin.Length)..stop].Trim('\n') : null;
            if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
            {
                var block = $"{begin}\n{measured}\n{end}";
                text = current is null ? text.TrimEnd('\n') + $"\n\n{block}\n" : text[..start] + block + text[(stop + end.Length)..];
                await File.WriteAllTextAsync(Path, text);
                return;
            }

            if (current is null)
            {
                throw new InvalidOperationException($"docs/reliability.md has no section '{section}'. Run the test with {WriteVariable}=1 to write it.");
            }

            if (current != measured)
            {
                throw new InvalidOperationException($"docs/reliability.md, section '{section}', does not say what the test measured. Run it with {WriteVariable}=1 to write the measured text.\n--- measured ---\n{measured}\n--- document ---\n{current}");
            }
        }
        finally
        {
            s_file.Release();
        }
    }

    /// <summary>A table cell: one line, pipes escaped.</summary>
    public static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal).Trim();

    public static string Table(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        var headers = header.ToList();
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", headers)).Append(" |\n");
        sb.Append('|').Append(string.Concat(headers.Select(_ => "---|"))).Append('\n');
        foreach (var row in rows)
        {
            sb.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
        }

        return sb.ToString();
    }
}
