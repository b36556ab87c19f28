using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Columnstore;

internal static class PolicyModels
{
    public static Action<ModelBuilder> Full(string table) => Readings(table, h => h
        .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy("Time DESC"))
        .WithColumnstorePolicy(after: TimeSpan.FromDays(7))
        .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(90))
        .WithReorderPolicy("ix_" + table + "_device_time"));
}

/// <summary>Columnstore and policies on native PostgreSQL 15, which has no TimescaleDB: skipped with a warning each.</summary>
public class PolicyDegradeTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Degrade_skips_columnstore_and_policies_with_a_warning_each_and_keeps_the_table()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var full = ModelContext.Create(fixture.Database.ConnectionString, PolicyModels.Full("degraded_policies"), loggerFactory: loggerFactory);
        await using var bare = ModelContext.Create(fixture.Database.ConnectionString, Readings("degraded_policies", h => h.AllowDataRewrite()), loggerFactory: loggerFactory);

        await full.ApplyAsync(full.DiffFrom(null));

        Assert.Equal(1, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE tablename = 'degraded_policies' AND indexname = 'ix_degraded_policies_device_time'"));
        var warnings = logs.Messages.Where(m => m.Level == LogLevel.Warning && m.Message.Contains("TimescaleDB is not installed", StringComparison.Ordinal)).Select(m => m.Message).ToList();
        Assert.Equal(5, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("skipped columnstore settings of hypertable \"degraded_policies\"", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("skipped columnstore policy (after 7 days)", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("skipped retention policy (drop after 90 days)", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("skipped reorder policy (index \"ix_degraded_policies_device_time\")", StringComparison.Ordinal));

        // Removing them is skipped the same way.
        logs.Messages.Clear();
        await bare.ApplyAsync(bare.DiffFrom(full));
        Assert.Equal(4, logs.Messages.Count(m => m.Level == LogLevel.Warning && m.Message.Contains("TimescaleDB is not installed", StringComparison.Ordinal)));
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM degraded_policies"));
    }

    [Fact]
    public async Task Strict_refuses_policies_before_creating_anything()
    {
        await using var context = ModelContext.Create(
            fixture.Database.ConnectionString,
            PolicyModels.Full("strict_policies"),
            t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.ApplyAsync(context.DiffFrom(null)));

        Assert.Contains("retention policy (drop after 90 days) of hypertable \"strict_policies\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'strict_policies'"));
    }
}

/// <summary>
/// The Apache edition of TimescaleDB has hypertables but no columnstore or policies: on a native TimescaleDB started with
/// timescaledb.license = 'apache', the model's policies are dropped from the SQL before anything runs.
/// (The full migration, with aggregates and jobs, through <c>MigrateAsync</c>: <see cref="ApacheEditionServerTests"/>.)
/// </summary>
public class ApacheEditionTests
{
    private const string Why = "a second native TimescaleDB started with timescaledb.license=apache (HOURGLASS_TIMESCALEDB_HOME)";

    private static async Task<TestDatabase> DatabaseAsync(string hint) => await (await TestServers.RequireNativeApacheAsync()).CreateDatabaseAsync(hint);

    [ApacheEditionFact(Why)]
    public async Task Degrade_creates_the_hypertable_and_skips_columnstore_and_policies_with_warnings()
    {
        await using var db = await DatabaseAsync("apachepolicies");
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var context = ModelContext.Create(db.ConnectionString, PolicyModels.Full("apache_policies"), loggerFactory: loggerFactory);
        var operations = context.DiffFrom(null);

        var sql = context.Sql(operations);
        Assert.Contains("create_hypertable(", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("columnstore", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("_policy(", sql, StringComparison.Ordinal);

        logs.Messages.Clear();
        await context.ApplyAsync(operations);
        var warnings = logs.Messages.Where(m => m.Level == LogLevel.Warning && m.Message.Contains("Apache edition", StringComparison.Ordinal)).Select(m => m.Message).ToList();
        Assert.Equal(4, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("skipped columnstore policy (after 7 days) of hypertable \"apache_policies\"", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("skipped reorder policy (index \"ix_apache_policies_device_time\")", StringComparison.Ordinal));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = 'apache_policies'"));
        Assert.Equal(0, await JobCountAsync(db, "apache_policies"));
        Assert.Null(await ColumnstoreSettingsAsync(db, "apache_policies"));
    }

    [ApacheEditionFact(Why)]
    public async Task Strict_refuses_columnstore_and_policies_before_creating_anything()
    {
        await using var db = await DatabaseAsync("apachestrictpol");
        await using var context = ModelContext.Create(db.ConnectionString, PolicyModels.Full("apache_strict"), t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.ApplyAsync(context.DiffFrom(null)));

        Assert.Contains("Apache edition (timescaledb.license = 'apache')", error.Message, StringComparison.Ordinal);
        Assert.Contains("columnstore settings of hypertable \"apache_strict\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("retention policy (drop after 90 days) of hypertable \"apache_strict\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'apache_strict'"));
    }
}
