using Hourglass.Testing;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef dbcontext scaffold` runs it

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>`dbcontext scaffold` reads continuous aggregates back as IsContinuousAggregate with their policy; materialization hypertables stay out.</summary>
public class ContinuousAggregateScaffoldingTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private ScaffoldedModel Scaffold(ModelContext context)
    {
        var services = DesignTime.Services(context);
        return DesignTime.Scaffold(services, fixture.Database.ConnectionString, fixture.Database.Schema, "_timescaledb_internal");
    }

    [Fact]
    public async Task Scaffolding_reads_the_aggregate_its_options_and_policy_and_the_result_migrates_again()
    {
        var db = fixture.Database;
        await using var context = CaggModels.Context(db.ConnectionString, CaggModels.Model("sc_metrics", "sc_hourly", c => c
            .WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromMinutes(30))
            .MaterializedOnly(false)));
        await context.ApplyAsync(context.DiffFrom(null));

        var scaffolded = Scaffold(context);
        var code = scaffolded.ContextFile.Code;

        // The definition as PostgreSQL prints it: before 16 it qualifies columns with their table (the view's query had
        // hidden OLD/NEW range-table entries), from 16 on it does not.
        var column = await db.ScalarAsync<int>("SELECT current_setting('server_version_num')::int") < 160000 ? "sc_metrics.\\\"time\\\"" : "\\\"time\\\"";
        Assert.Contains($".IsContinuousAggregate(\"sc_hourly\", \"SELECT time_bucket('01:00:00'::interval, {column}) AS bucket,", code, StringComparison.Ordinal);
        Assert.DoesNotContain(", \"public\")", code, StringComparison.Ordinal);
        Assert.Contains(".MaterializedOnly(false)", code, StringComparison.Ordinal);
        Assert.Contains(".WithRefreshPolicy(new TimeSpan(3, 0, 0, 0, 0), new TimeSpan(0, 1, 0, 0, 0), new TimeSpan(0, 0, 30, 0, 0))", code, StringComparison.Ordinal);
        Assert.Contains(".IsHypertable(\"Time\")", code, StringComparison.Ordinal);
        Assert.DoesNotContain("_materialized_hypertable", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Hourglass:Scaffold", code, StringComparison.Ordinal);
        Assert.Equal(["ScHourly.cs", "ScMetric.cs"], scaffolded.AdditionalFiles.Select(f => f.Path).Order());

        // The definition TimescaleDB stores is valid input: a second aggregate made from it migrates and matches.
        var definition = code[(code.IndexOf("\"SELECT time_bucket", StringComparison.Ordinal) + 1)..];
        definition = definition[..System.Text.RegularExpressions.Regex.Match(definition, @"(?<!\\)""").Index].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        await using var again = CaggModels.Context(db.ConnectionString, CaggModels.Model("sc_metrics", "sc_hourly_again", sql: definition, includeSource: false));
        await again.ApplyAsync(again.DiffFrom(null));
        Assert.Equal(
            await db.ScalarAsync<string>("SELECT view_definition FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'sc_hourly'"),
            await db.ScalarAsync<string>("SELECT view_definition FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = 'sc_hourly_again'"));
    }
}
