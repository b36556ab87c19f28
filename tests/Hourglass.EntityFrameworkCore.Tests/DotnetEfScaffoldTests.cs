using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>
/// The hand-configured database of <see cref="HandConfiguredDatabaseTests"/> through the real tools, as a new user goes:
/// `dotnet ef dbcontext scaffold` into an empty project (tests/Hourglass.Scaffold.TestApp), the project built,
/// `dotnet ef migrations add` from the scaffolded model, `dotnet ef database update` on the emptied schema, and the same
/// catalog as the hand-made one.
/// </summary>
public class DotnetEfScaffoldTests(TimescaleDatabaseFixture fixture, ITestOutputHelper output) : IClassFixture<TimescaleDatabaseFixture>
{
    private static readonly string s_project = Path.Combine(DotnetCli.Repository, "tests", "Hourglass.Scaffold.TestApp");
    private static readonly string s_scaffolded = Path.Combine(s_project, "Scaffolded");
    private static readonly string s_migrations = Path.Combine(s_project, "Migrations");

    [Fact]
    public async Task The_real_dotnet_ef_scaffold_of_a_hand_configured_database_migrates_to_the_same_catalog()
    {
        var db = fixture.Database;
        var (version, tablespace) = await HandConfiguredDatabaseTests.ConfigureByHandAsync(db);
        var handMade = await HandConfiguredDatabaseTests.CatalogAsync(db);
        HandConfiguredDatabaseTests.AssertHandMade(handMade, version, tablespace);
        var none = new Dictionary<string, string>();
        DeleteGenerated();
        try
        {
            await DotnetCli.RunAsync(output, none, true, "tool", "restore");
            // dotnet ef reads the project before it builds it, so the project must have been restored.
            await DotnetCli.RunAsync(output, none, true, "restore", s_project);
            // The scaffolded context keeps the connection string in OnConfiguring (EF's default), with UseTimescale().
            await EfAsync(
                "dbcontext", "scaffold", db.ConnectionString, "Npgsql.EntityFrameworkCore.PostgreSQL",
                "--schema", db.Schema, "--context", "HandContext", "--context-dir", "Scaffolded", "--output-dir", "Scaffolded",
                "--namespace", "Scaffolded", "--context-namespace", "Scaffolded", "--force");
            var context = File.ReadAllText(Path.Combine(s_scaffolded, "HandContext.cs"));
            Assert.Contains(".UseTimescale()", context, StringComparison.Ordinal);
            Assert.Contains(".IsHypertable(", context, StringComparison.Ordinal);
            Assert.Contains(".WithChunkSkipping(", context, StringComparison.Ordinal);
            Assert.Contains($".WithTablespaces(\"{tablespace}\")", context, StringComparison.Ordinal);
            Assert.Contains("IsContinuousAggregate(", context, StringComparison.Ordinal);

            await DotnetCli.RunAsync(output, none, true, "build", s_project, "--nologo", "-v", "q");
            await EfAsync("migrations", "add", "Recreate", "--no-build", "--context", "HandContext", "--output-dir", "Migrations", "--namespace", "Migrations");
            // migrations add builds nothing with --no-build: build again so the migration is in the assembly.
            await DotnetCli.RunAsync(output, none, true, "build", s_project, "--nologo", "-v", "q");
            var migration = File.ReadAllText(Directory.GetFiles(s_migrations, "*_Recreate.cs").Single());
            Assert.Contains("migrationBuilder.CreateHypertable(", migration, StringComparison.Ordinal);
            Assert.DoesNotContain("migrationBuilder.Sql(", migration, StringComparison.Ordinal);

            await HandConfiguredDatabaseTests.DropHandMadeAsync(db);
            await EfAsync("database", "update", "--no-build", "--context", "HandContext");
            Assert.Equal(handMade, await HandConfiguredDatabaseTests.CatalogAsync(db));
        }
        finally
        {
            DeleteGenerated();
            await HandConfiguredDatabaseTests.CleanUpAsync(db, tablespace);
        }
    }

    private Task<string> EfAsync(params string[] arguments)
        => DotnetCli.RunAsync(output, new Dictionary<string, string>(), true, ["ef", .. arguments, "--project", s_project, "--startup-project", s_project]);

    private static void DeleteGenerated()
    {
        foreach (var directory in new[] { s_scaffolded, s_migrations })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
