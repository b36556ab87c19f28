using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

/// <summary>Upsert behaviour on the embedded TimescaleDB (hypertables) and native PostgreSQL (plain tables).</summary>
public abstract class BulkUpsertTests(TestDatabase database)
{
    protected abstract bool Hypertables { get; }

    private async Task<IngestContext> NewTablesAsync()
    {
        var context = IngestContext.Create(database.ConnectionString, Rows.Suffix());
        await context.CreateTablesAsync(Hypertables);
        return context;
    }

    [Fact]
    public async Task Upsert_of_the_same_100k_rows_three_times_keeps_100k_rows_and_counts_right()
    {
        await using var context = await NewTablesAsync();

        var first = await context.BulkUpsertAsync(Rows.Metrics(100_000));
        var second = await context.BulkUpsertAsync(Rows.Metrics(100_000, valueOffset: 0.25, unit: "kW"), c => c.DoUpdate(m => m.Value));
        var third = await context.BulkUpsertAsync(Rows.Async(Rows.Metrics(100_000, valueOffset: 7, unit: "MW")), c => c.DoNothing());

        Assert.Equal(new BulkUpsertResult(100_000, 0, 0), first);
        Assert.Equal(new BulkUpsertResult(0, 100_000, 0), second);
        Assert.Equal(new BulkUpsertResult(0, 0, 100_000), third);
        Assert.Equal(100_000, await context.Metrics.CountAsync());
        // DO UPDATE changed only the named column: values moved by 0.25, units stayed "W".
        Assert.Equal(Enumerable.Range(0, 100_000).Sum(i => i + 0.25), await context.Metrics.SumAsync(m => m.Value));
        Assert.Equal(100_000, await context.Metrics.CountAsync(m => m.Unit == "W"));
    }

    [Fact]
    public async Task Update_of_all_non_key_columns_is_the_default()
    {
        await using var context = await NewTablesAsync();
        await context.BulkUpsertAsync(Rows.Metrics(1_000));

        var result = await context.BulkUpsertAsync(Rows.Metrics(1_500, valueOffset: 1, unit: "kW"));

        Assert.Equal(new BulkUpsertResult(500, 1_000, 0), result);
        Assert.Equal(1_500, await context.Metrics.CountAsync(m => m.Unit == "kW"));
        Assert.Equal(Enumerable.Range(0, 1_500).Sum(i => i + 1.0), await context.Metrics.SumAsync(m => m.Value));
    }

    [Fact]
    public async Task Rows_that_would_not_change_are_skipped_and_left_untouched()
    {
        await using var context = await NewTablesAsync();
        await context.BulkUpsertAsync(Rows.Metrics(1_000));
        var before = await RowVersionsAsync(context);

        // The same 1,000 rows, except 10 with a new value and 10 whose tags go from null to a value, plus 5 new rows.
        var incoming = Rows.Metrics(1_005).Select((m, i) =>
        {
            if (i < 10)
            {
                m.Value += 0.5;
            }
            else if (i % 3 == 0 && i < 40)
            {
                m.Tags = "{\"room\": \"moved\"}";
            }

            return m;
        });
        var result = await context.BulkUpsertAsync(incoming);

        Assert.Equal(new BulkUpsertResult(5, 20, 980), result);
        var after = await RowVersionsAsync(context);
        var rewritten = before.Keys.Where(key => before[key] != after[key]).ToList();
        Assert.Equal(20, rewritten.Count);
        Assert.Equal(10, await context.Metrics.CountAsync(m => m.Tags == "{\"room\": \"moved\"}"));
        Assert.Equal(Enumerable.Range(0, 1_005).Sum(i => (double)i) + 5, await context.Metrics.SumAsync(m => m.Value));
    }

    [Fact]
    public async Task Rewrite_unchanged_rows_updates_every_conflicting_row()
    {
        await using var context = await NewTablesAsync();
        await context.BulkUpsertAsync(Rows.Metrics(500));
        var before = await RowVersionsAsync(context);

        var result = await context.BulkUpsertAsync(Rows.Metrics(500), c => c.DoUpdate(m => new { m.Value, m.Unit }).RewriteUnchangedRows());

        Assert.Equal(new BulkUpsertResult(0, 500, 0), result);
        var after = await RowVersionsAsync(context);
        Assert.All(before, row => Assert.NotEqual(row.Value, after[row.Key]));
    }

    /// <summary>Each row's xmin, which changes exactly when the row is rewritten.</summary>
    private static async Task<Dictionary<(DateTime, string), string>> RowVersionsAsync(IngestContext context)
    {
        var sql = "SELECT time AS \"Time\", device_id AS \"DeviceId\", xmin::text AS \"Xmin\" FROM metrics_" + context.Suffix;
        var rows = await context.Database.SqlQueryRaw<RowVersion>(sql).ToListAsync();
        return rows.ToDictionary(r => (r.Time, r.DeviceId), r => r.Xmin);
    }

    private sealed class RowVersion
    {
        public DateTime Time { get; set; }

        public string DeviceId { get; set; } = "";

        public string Xmin { get; set; } = "";
    }

    [Fact]
    public async Task Duplicates_within_one_batch_resolve_to_the_last_row()
    {
        await using var context = await NewTablesAsync();
        var rows = Rows.Metrics(100).Concat(Rows.Metrics(100, valueOffset: 1_000)).Concat(Rows.Metrics(50, valueOffset: 2_000));

        var result = await context.BulkUpsertAsync(rows);

        Assert.Equal(new BulkUpsertResult(100, 0, 150), result);
        var values = await context.Metrics.OrderBy(m => m.Value).Select(m => m.Value).ToListAsync();
        Assert.Equal(Enumerable.Range(50, 50).Select(i => i + 1_000.0).Concat(Enumerable.Range(0, 50).Select(i => i + 2_000.0)), values);
    }

    [Fact]
    public async Task Do_nothing_keeps_the_first_row_of_a_key_repeated_within_one_batch()
    {
        await using var context = await NewTablesAsync();

        var result = await context.BulkUpsertAsync(Rows.Metrics(100).Concat(Rows.Metrics(100, valueOffset: 1_000)), c => c.DoNothing());

        Assert.Equal(new BulkUpsertResult(100, 0, 100), result);
        Assert.Equal(Enumerable.Range(0, 100).Sum(i => (double)i), await context.Metrics.SumAsync(m => m.Value));
    }

    [Fact]
    public async Task Seed_001_idempotent_ingest_on_the_natural_key_is_one_call()
    {
        await using var context = await NewTablesAsync();
        IEnumerable<Observation> Release(double value) => Enumerable.Range(0, 2_000).Select(i => new Observation
        {
            Time = Rows.Start.AddDays(i / 4),
            SeriesCode = $"series-{i % 4}",
            Value = value + i,
        });

        var first = await context.BulkUpsertAsync(Release(0), c => c.On(o => new { o.SeriesCode, o.Time }).DoNothing());
        var again = await context.BulkUpsertAsync(Release(100), c => c.On(o => new { o.SeriesCode, o.Time }).DoNothing());
        var revised = await context.BulkUpsertAsync(Release(0.5).Take(10), c => c.OnIndex($"uq_observations_{context.Suffix}_natural").DoUpdate(o => o.Value));

        Assert.Equal(new BulkUpsertResult(2_000, 0, 0), first);
        Assert.Equal(new BulkUpsertResult(0, 0, 2_000), again);
        Assert.Equal(new BulkUpsertResult(0, 10, 0), revised);
        Assert.Equal(2_000, await context.Observations.CountAsync());
        Assert.Equal(Enumerable.Range(0, 2_000).Sum(i => (double)i) + 5, await context.Observations.SumAsync(o => o.Value));
        Assert.Equal(2_000, await context.Observations.Select(o => o.Id).Distinct().CountAsync());
    }

    [Fact]
    public async Task Upserts_inside_an_open_transaction_commit_or_roll_back_with_it()
    {
        await using var context = await NewTablesAsync();
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            Assert.Equal(new BulkUpsertResult(1_000, 0, 0), await context.BulkUpsertAsync(Rows.Metrics(1_000)));
            Assert.Equal(new BulkUpsertResult(500, 1_000, 0), await context.BulkUpsertAsync(Rows.Metrics(1_500, valueOffset: 1)));
            Assert.Equal(new BulkUpsertResult(0, 0, 1_500), await context.BulkUpsertAsync(Rows.Metrics(1_500), c => c.DoNothing()));
            await transaction.CommitAsync();
        }

        Assert.Equal(Enumerable.Range(0, 1_500).Sum(i => i + 1.0), await context.Metrics.SumAsync(m => m.Value));
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            await context.BulkUpsertAsync(Rows.Metrics(3_000, valueOffset: 5));
            await transaction.RollbackAsync();
        }

        Assert.Equal(1_500, await context.Metrics.CountAsync());
        Assert.Equal(Enumerable.Range(0, 1_500).Sum(i => i + 1.0), await context.Metrics.SumAsync(m => m.Value));
    }

    [Fact]
    public async Task Commit_every_n_rows_upserts_batch_by_batch()
    {
        await using var context = await NewTablesAsync();
        await context.BulkUpsertAsync(Rows.Metrics(2_500));

        var result = await context.BulkUpsertAsync(Rows.Metrics(10_000, valueOffset: 3), options: new BulkInsertOptions { CommitEvery = 3_000 });

        Assert.Equal(new BulkUpsertResult(7_500, 2_500, 0), result);
        Assert.Equal(10_000, await context.Metrics.CountAsync());
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname LIKE 'hourglass_stage_%'"));
    }
}

public sealed class BulkUpsertTimescaleTests(TimescaleDatabaseFixture fixture)
    : BulkUpsertTests(fixture.Database), IClassFixture<TimescaleDatabaseFixture>
{
    protected override bool Hypertables => true;
}

public sealed class BulkUpsertPostgresTests(PostgresDatabaseFixture fixture)
    : BulkUpsertTests(fixture.Database), IClassFixture<PostgresDatabaseFixture>
{
    protected override bool Hypertables => false;
}
