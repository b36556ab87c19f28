using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>
/// The same migrations on a database without TimescaleDB: on native PostgreSQL 15, which has no TimescaleDB, and (on a
/// native TimescaleDB run) in a database of a TimescaleDB server where the extension was never created.
/// </summary>
public class DegradeStrictTests
{
    private static Action<ModelBuilder> Model(string table) => b => b.Entity<Reading<DateTime>>(e =>
    {
        e.ToTable(table);
        e.HasKey(x => new { x.Time, x.DeviceId });
        e.IsHypertable(x => x.Time).WithChunkInterval("1 day").PartitionByHash(x => x.DeviceId, 4);
    });

    [Theory]
    [MemberData(nameof(WithoutTimescale.Cases), MemberType = typeof(WithoutTimescale))]
    public async Task Degrade_creates_plain_tables_and_warns_once_per_skipped_feature(string withoutTimescale)
    {
        await using var database = await WithoutTimescale.CreateDatabaseAsync(withoutTimescale, "degrade");
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var context = ModelContext.Create(database.ConnectionString, Model("degraded"), loggerFactory: loggerFactory);

        await context.ApplyAsync(context.DiffFrom(null));

        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM degraded"));
        var warnings = logs.Messages.Where(m => m.Level == LogLevel.Warning && m.Message.Contains("TimescaleDB is not installed", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Message.Contains("skipped hypertable \"degraded\" (time column \"Time\")", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("skipped hash dimension \"DeviceId\"", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(WithoutTimescale.Cases), MemberType = typeof(WithoutTimescale))]
    public async Task Strict_fails_before_changing_anything(string withoutTimescale)
    {
        await using var database = await WithoutTimescale.CreateDatabaseAsync(withoutTimescale, "strict");
        await using var context = ModelContext.Create(
            database.ConnectionString,
            Model("strict"),
            t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.ApplyAsync(context.DiffFrom(null)));

        Assert.Contains("TimescaleDB is not installed in this database", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
        Assert.Contains("hypertable \"strict\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: run CREATE EXTENSION timescaledb", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'strict'"));
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'"));
    }

    [Theory]
    [MemberData(nameof(WithoutTimescale.Cases), MemberType = typeof(WithoutTimescale))]
    public async Task Ensure_created_without_timescale_degrades_to_plain_tables(string withoutTimescale)
    {
        await using var database = await WithoutTimescale.CreateDatabaseAsync(withoutTimescale, "ensurecreated");
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var context = ModelContext.Create(database.ConnectionString, Model("ensured"), loggerFactory: loggerFactory);

        Assert.True(await context.Database.EnsureCreatedAsync());

        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'ensured'"));
        Assert.Equal(2, logs.Messages.Count(m => m.Level == LogLevel.Warning && m.Message.Contains("TimescaleDB is not installed", StringComparison.Ordinal)));
    }
}
