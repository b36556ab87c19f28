using Hourglass.Testing;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef dbcontext scaffold` runs it

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>Two databases with TimescaleDB on one native server: scaffolding one sees none of the other's objects.</summary>
public sealed class MultipleDatabaseScaffoldingTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static string Objects(string prefix) => $"""
        CREATE TABLE {prefix}_readings ("Time" timestamptz NOT NULL, "DeviceId" int NOT NULL, "Value" float8);
        SELECT create_hypertable('{prefix}_readings', by_range('Time', INTERVAL '1 day'));
        INSERT INTO {prefix}_readings SELECT timestamptz '2026-01-01' + i * INTERVAL '6 hours', i % 3, i FROM generate_series(1, 20) i;
        SELECT add_retention_policy('{prefix}_readings', drop_after => INTERVAL '30 days');
        CREATE PROCEDURE {prefix}_job(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$;
        SELECT add_job('{prefix}_job', INTERVAL '1 hour', scheduled => false);
        """;

    [NativeTimescaleFact("several databases with TimescaleDB on one server")]
    public async Task Scaffolding_one_database_reads_only_its_own_hypertables_policies_aggregates_and_jobs()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Databases);
        var mine = fixture.Database;
        await using var other = await (await TestServers.Timescale).CreateDatabaseAsync("otherdb");
        Assert.NotEqual(mine.DatabaseName, other.DatabaseName);

        await mine.ExecuteAsync(Objects("mine"));
        await other.ExecuteAsync(Objects("theirs"));
        foreach (var (db, prefix) in new[] { (mine, "mine"), (other, "theirs") })
        {
            await db.ExecuteAsync($"""CREATE MATERIALIZED VIEW {prefix}_daily WITH (timescaledb.continuous) AS SELECT time_bucket('1 day', "Time") AS "Bucket", count(*) AS "Count" FROM {prefix}_readings GROUP BY 1 WITH NO DATA""");
        }

        await using var context = ModelContext.Create(mine.ConnectionString, _ => { });
        var services = DesignTime.Services(context);
        var scaffolded = DesignTime.Scaffold(services, mine.ConnectionString);

        var code = scaffolded.ContextFile.Code + string.Concat(scaffolded.AdditionalFiles.Select(f => f.Code));
        Assert.Contains("mine_readings", code, StringComparison.Ordinal);
        Assert.Contains(".IsHypertable(\"Time\")", code, StringComparison.Ordinal);
        Assert.Contains(".WithRetentionPolicy(", code, StringComparison.Ordinal);
        Assert.Contains("mine_daily", code, StringComparison.Ordinal);
        Assert.Contains("mine_job", code, StringComparison.Ordinal);
        Assert.DoesNotContain("theirs", code, StringComparison.Ordinal);
    }
}
