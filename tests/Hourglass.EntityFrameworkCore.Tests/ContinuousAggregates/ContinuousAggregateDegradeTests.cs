using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>Continuous aggregates on native PostgreSQL 15, which has no TimescaleDB.</summary>
public class ContinuousAggregateDegradeTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    private const string PlainSql = "SELECT date_trunc('hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM {0} GROUP BY 1, 2";

    private static readonly DateTime Start = new(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Plain_sql_becomes_a_plain_materialized_view_that_refreshes_and_queries()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var context = CaggModels.Context(
            fixture.Database.ConnectionString,
            CaggModels.Model("dg_plain", "dg_plain_hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).MaterializedOnly(false), sql: PlainSql),
            loggerFactory);

        await context.ApplyAsync(context.DiffFrom(null));

        Assert.Equal(1, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pg_matviews WHERE matviewname = 'dg_plain_hourly'"));
        var warnings = logs.Messages.Where(m => m.Level == LogLevel.Warning && m.Message.StartsWith("TimescaleDB is not installed", StringComparison.Ordinal)).Select(m => m.Message).ToList();
        Assert.Contains(warnings, w => w.Contains("continuous aggregate \"dg_plain_hourly\" is created as a plain PostgreSQL materialized view", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("skipped the refresh policy of continuous aggregate \"dg_plain_hourly\"", StringComparison.Ordinal));

        var rows = CaggModels.Rows(Start, hours: 4);
        context.Set<Metric>().AddRange(rows);
        await context.SaveChangesAsync();
        await context.RefreshContinuousAggregateAsync<HourlyMetric>(null, null);

        var hourly = await context.Set<HourlyMetric>().OrderBy(m => m.Bucket).ThenBy(m => m.DeviceId).ToListAsync();
        var expected = CaggModels.Expected(rows);
        Assert.Equal(expected.Select(e => (e.Bucket, e.DeviceId, Math.Round(e.AvgValue, 9))), hourly.Select(h => (h.Bucket.ToUniversalTime(), h.DeviceId, Math.Round(h.AvgValue, 9))));

        // A renamed output column is renamed in the plain view too, its rows kept.
        await using var renamed = CaggModels.Context(
            fixture.Database.ConnectionString,
            b =>
            {
                CaggModels.Model("dg_plain", "dg_plain_hourly", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).MaterializedOnly(false), sql: PlainSql.Replace("avg_value", "mean_value", StringComparison.Ordinal))(b);
                b.Entity<HourlyMetric>().Property(h => h.AvgValue).HasColumnName("mean_value");
            },
            loggerFactory);
        var rename = renamed.DiffFrom(context);
        Assert.IsType<RenameContinuousAggregateColumnOperation>(Assert.Single(rename));
        await renamed.ApplyAsync(rename);
        Assert.Contains(logs.Messages, m => m.Message.Contains("column avg_value of continuous aggregate \"dg_plain_hourly\" is renamed to mean_value in the plain materialized view", StringComparison.Ordinal));
        var afterRename = await renamed.Set<HourlyMetric>().OrderBy(m => m.Bucket).ThenBy(m => m.DeviceId).ToListAsync();
        Assert.Equal(expected.Select(e => (e.Bucket, e.DeviceId, Math.Round(e.AvgValue, 9))), afterRename.Select(h => (h.Bucket.ToUniversalTime(), h.DeviceId, Math.Round(h.AvgValue, 9))));

        // Removing it drops the plain view.
        await using var empty = CaggModels.Context(fixture.Database.ConnectionString, CaggModels.Model("dg_plain", "dg_plain_hourly", includeAggregate: false));
        await empty.ApplyAsync(empty.DiffFrom(renamed));
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pg_matviews WHERE matviewname = 'dg_plain_hourly'"));
    }

    [Fact]
    public async Task Sql_with_timescale_functions_is_skipped_with_a_warning()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var context = CaggModels.Context(fixture.Database.ConnectionString, CaggModels.Model("dg_bucket", "dg_bucket_hourly"), loggerFactory);

        await context.ApplyAsync(context.DiffFrom(null));

        Assert.Equal(1, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'dg_bucket'"));
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'dg_bucket_hourly'"));
        Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("skipped continuous aggregate \"dg_bucket_hourly\": its query calls time_bucket()", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Strict_refuses_before_changing_anything()
    {
        await using var context = CaggModels.Context(
            fixture.Database.ConnectionString,
            CaggModels.Model("dg_strict", "dg_strict_hourly", sql: PlainSql),
            timescale: t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.ApplyAsync(context.DiffFrom(null)));

        Assert.Contains("continuous aggregate \"dg_strict_hourly\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'dg_strict'"));
    }

    [Theory]
    [InlineData("SELECT time_bucket('1 hour', time) FROM m GROUP BY 1", "time_bucket")]
    [InlineData("SELECT public.time_bucket_gapfill('1 hour', time) FROM m GROUP BY 1", "time_bucket_gapfill")]
    [InlineData("SELECT device, last(value, time) FROM m GROUP BY 1", "last")]
    [InlineData("SELECT date_trunc('hour', time), avg(value) FROM m GROUP BY 1", null)]
    [InlineData("SELECT date_trunc('hour', time), avg(value) AS last_value FROM m GROUP BY 1", null)]
    public void Timescale_functions_are_recognised(string sql, string? function)
        => Assert.Equal(function, ContinuousAggregateSql.TimescaleFunction(sql));

    [Fact]
    public void Every_operation_is_a_community_feature_so_the_apache_edition_skips_or_refuses_it()
    {
        MigrationOperation[] operations =
        [
            new CreateContinuousAggregateOperation(), new DropContinuousAggregateOperation(), new AddContinuousAggregatePolicyOperation(),
            new RemoveContinuousAggregatePolicyOperation(), new SetContinuousAggregateMaterializedOnlyOperation(), new RefreshContinuousAggregateOperation(),
            new RenameContinuousAggregateColumnOperation(),
        ];

        Assert.All(operations, o => Assert.True(((TimescaleMigrationOperation)o).RequiresCommunityFeatures, o.GetType().Name));
    }
}
