using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// `dotnet ef migrations script --idempotent` output run statement by statement: the refresh leaves the transaction
/// (COMMIT before it) and runs inside EF's DO block, which TimescaleDB accepts at top level; running it twice changes nothing.
/// </summary>
public class ContinuousAggregateScriptTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Idempotent_script_runs_twice_and_fills_the_aggregate()
    {
        var db = fixture.Database;
        var options = new DbContextOptionsBuilder<CaggMigrateContext>()
            .UseNpgsql(db.ConnectionString, o => o.UseTimescale())
            .UseSnakeCaseNamingConvention()
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;
        await using var context = new CaggMigrateContext(options);
        var script = context.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        var refresh = script.IndexOf("CALL refresh_continuous_aggregate('mig_hourly', NULL, NULL);", StringComparison.Ordinal);
        Assert.True(refresh > 0);
        Assert.True(script.LastIndexOf("COMMIT;", refresh, StringComparison.Ordinal) > script.LastIndexOf("START TRANSACTION;", refresh, StringComparison.Ordinal));

        await RunScriptAsync(db, script);
        Assert.Equal(24, await db.ScalarAsync<long>("SELECT count(*) FROM mig_hourly"));
        Assert.Equal(1.0, await db.ScalarAsync<double>("SELECT max(max_value) FROM mig_hourly"));
        await RunScriptAsync(db, script);
        Assert.Equal(24, await db.ScalarAsync<long>("SELECT count(*) FROM mig_hourly"));
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
    }

    /// <summary>
    /// Sends the script one top-level statement at a time on one connection, as psql does. (psql itself cannot be used on
    /// the embedded server: its search_path would not survive other test classes' turns on the shared session.)
    /// </summary>
    private static async Task RunScriptAsync(TestDatabase db, string script)
    {
        await using var connection = await db.OpenAsync();
        foreach (var statement in Statements(script))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync();
        }
    }

    private static IEnumerable<string> Statements(string script)
    {
        var current = new System.Text.StringBuilder();
        foreach (var line in script.Split('\n'))
        {
            current.AppendLine(line);
            var text = current.ToString();
            var dollarQuotes = text.Split("$EF$").Length - 1;
            var open = text.Count(c => c == '(') - text.Count(c => c == ')');
            if (line.TrimEnd().EndsWith(';') && dollarQuotes % 2 == 0 && open == 0)
            {
                yield return text.Trim();
                current.Clear();
            }
        }

        Assert.True(string.IsNullOrWhiteSpace(current.ToString()), "unterminated statement: " + current);
    }
}
