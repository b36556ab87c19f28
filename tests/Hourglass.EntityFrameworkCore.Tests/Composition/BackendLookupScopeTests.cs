using System.Text.RegularExpressions;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Composition;

/// <summary>
/// Test classes run in parallel on one server. A test that finds a backend in <c>pg_stat_activity</c> by its query text,
/// or signals the backends such a lookup finds, must scope the lookup to its own sessions (an <c>Application Name</c> of
/// its own: <c>TestDatabase.TagSessions</c>), or it may cancel or terminate another test class's session (seen in CI: a
/// fault test terminated another class's staging <c>COPY</c>).
/// </summary>
public partial class BackendLookupScopeTests
{
    [Fact]
    public void Every_lookup_of_a_backend_by_query_text_in_the_tests_is_scoped_to_the_tests_own_sessions()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Hourglass.sln")))
        {
            directory = directory.Parent;
        }

        var tests = Path.Combine(directory!.FullName, "tests");
        var separator = Path.DirectorySeparatorChar;
        var files = Directory.GetFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal) && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal))
            .Where(f => !f.EndsWith(nameof(BackendLookupScopeTests) + ".cs", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count > 50, $"{files.Count} files under {tests}");

        var lookups = 0;
        var offenders = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            foreach (var statement in StatementsReading(lines))
            {
                lookups++;
                if (Unscoped(statement.Text))
                {
                    offenders.Add($"{Path.GetRelativePath(tests, file)}:{statement.Line}: {statement.Text.Trim()}");
                }
            }
        }

        // The check has something to check: the suite's fault tests do look backends up.
        Assert.True(lookups >= 5, $"only {lookups} statements read pg_stat_activity");
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_check_refuses_the_lookup_that_terminated_another_classs_session()
    {
        // The fault test's lookup before the fix, and one only scoped to the database (another test of the same class
        // may run a similar statement there), are refused; the tagged form is accepted.
        Assert.True(Unscoped("""new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY \"hourglass_stage_%' AND pid <> pg_backend_pid()", admin);"""));
        Assert.True(Unscoped("""ScalarAsync<long>("SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'");"""));
        Assert.False(Unscoped("""new NpgsqlCommand($"SELECT pid FROM pg_stat_activity WHERE {victim.Backends} AND query LIKE 'COPY \"hourglass_stage_%'", admin);"""));
        Assert.False(Unscoped("""ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND backend_type ILIKE '%Scheduler%')");"""));
    }

    // A lookup that picks backends by what they run, or signals what it finds, needs the tag of the test's own sessions.
    private static bool Unscoped(string statement) =>
        ByQueryTextOrSignal().IsMatch(statement) && !statement.Contains(".Backends}", StringComparison.Ordinal);

    // The C# statement around each mention of pg_stat_activity: from the line after the previous statement's end to the
    // first line that ends one.
    private static IEnumerable<(int Line, string Text)> StatementsReading(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].Contains("pg_stat_activity", StringComparison.Ordinal) || lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var start = i;
            while (start > 0 && !EndsStatement(lines[start - 1]))
            {
                start--;
            }

            var end = i;
            while (end < lines.Length - 1 && !EndsStatement(lines[end]))
            {
                end++;
            }

            yield return (i + 1, string.Join('\n', lines[start..(end + 1)]));
        }
    }

    private static bool EndsStatement(string line) => line.TrimEnd() is var trimmed && (trimmed.EndsWith(';') || trimmed.EndsWith('{') || trimmed.EndsWith('}'));

    [GeneratedRegex(@"\bquery\s+(?:I?LIKE|~|=)|pg_terminate_backend|pg_cancel_backend", RegexOptions.IgnoreCase)]
    private static partial Regex ByQueryTextOrSignal();
}
