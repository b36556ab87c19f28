using System.Text.RegularExpressions;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Composition;

/// <summary>
/// The EF plugin reads TimescaleDB's catalog only through the Hourglass library (src/Hourglass): no catalog view, table or
/// extension lookup is named in its C# except in the SQL that migrations send to the server (SQL generators), where the
/// server itself has to find a job or a chunk while the migration runs.
/// </summary>
public partial class CatalogSqlLayoutTests
{
    // Files whose catalog names are inside migration SQL the server runs, not reads made from C#.
    private static readonly string[] s_migrationSql =
    [
        "Columnstore/ColumnstoreSqlGenerator.cs",
        "ContinuousAggregates/ContinuousAggregateSqlGenerator.cs",
        "Jobs/JobSqlGenerator.cs",
        "Policies/RecompressUnordered.cs",
        "Scheduling/PolicySchedules.cs",
    ];

    [Fact]
    public void The_EF_plugin_holds_no_catalog_SQL_outside_migration_SQL()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Hourglass.sln")))
        {
            directory = directory.Parent;
        }

        var plugin = Path.Combine(directory!.FullName, "src", "Hourglass.EntityFrameworkCore");
        var files = Directory.GetFiles(plugin, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count > 50, $"{files.Count} files under {plugin}");

        var offenders = new List<string>();
        var seenInMigrationSql = new HashSet<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(plugin, file).Replace(Path.DirectorySeparatorChar, '/');
            var code = string.Join('\n', File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
            foreach (Match match in CatalogName().Matches(code))
            {
                if (s_migrationSql.Contains(relative))
                {
                    seenInMigrationSql.Add(relative);
                }
                else
                {
                    offenders.Add($"{relative}: {match.Value}");
                }
            }
        }

        Assert.Empty(offenders);
        // The allowed list stays honest: each file on it still has migration SQL that names the catalog.
        Assert.Equal(s_migrationSql.Order(), seenInMigrationSql.Order());
    }

    [GeneratedRegex(@"\b(?:timescaledb_information|_timescaledb_catalog|_timescaledb_config|_timescaledb_internal|_timescaledb_functions)\.\w+|\bpg_extension\b|\bpg_available_extensions\b|current_setting\('timescaledb")]
    private static partial Regex CatalogName();
}
