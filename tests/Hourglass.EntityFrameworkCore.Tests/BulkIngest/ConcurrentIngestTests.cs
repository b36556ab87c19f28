using System.Collections.Concurrent;
using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

/// <summary>
/// Eight sessions at once on one hypertable, as several ingest workers and a dashboard would: bulk inserts of rows of
/// their own, upserts of one shared key set each in another order (DO UPDATE, DO NOTHING, one transaction or a commit
/// every few thousand rows), and queries meanwhile. Only a native server runs sessions side by side.
/// </summary>
public sealed class ConcurrentIngestTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const int SharedKeys = 20_000;
    private const int InsertedPerWriter = 30_000;
    private const int Rounds = 2;

    private TestDatabase Db => fixture.Database;

    /// <summary>Key i: one of 10 devices, a reading every 2 minutes (about three 1-day chunks).</summary>
    private static Metric SharedRow(int i, int writer) => new()
    {
        Time = Rows.Start.AddMinutes(i / 10 * 2),
        DeviceId = $"device-{i % 10}",
        MetricType = "power",
        Value = writer * 1_000_000 + i,
        Unit = $"w{writer}",
    };

    private static int KeyIndex(Metric m) => (int)((m.Time - Rows.Start).TotalMinutes / 2) * 10 + int.Parse(m.DeviceId["device-".Length..], System.Globalization.CultureInfo.InvariantCulture);

    [NativeTimescaleFact("eight sessions running side by side")]
    public async Task Eight_sessions_inserting_upserting_overlapping_keys_and_querying_end_exact_without_duplicates()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        var suffix = Rows.Suffix();
        await using (var setup = IngestContext.Create(Db.ConnectionString, suffix))
        {
            await setup.CreateTablesAsync(hypertables: true);
        }

        var upserts = new ConcurrentBag<BulkUpsertResult>();
        var observedCounts = new ConcurrentQueue<int>();
        using var writersDone = new CancellationTokenSource();

        // Four upserting sessions: the same 20,000 keys, each session in its own shuffled order, twice.
        var upserters = Enumerable.Range(1, 4).Select(writer => Task.Run(async () =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                var order = Enumerable.Range(0, SharedKeys).ToArray();
                new Random(writer * 10 + round).Shuffle(order);
                await using var context = IngestContext.Create(Db.ConnectionString, suffix);
                var rows = order.Select(i => SharedRow(i, writer));
                var options = writer % 2 == 0 ? new BulkInsertOptions { CommitEvery = 5_000 } : null;
                upserts.Add(writer == 4
                    ? await context.BulkUpsertAsync(rows, c => c.DoNothing(), options)
                    : await context.BulkUpsertAsync(rows, c => c.DoUpdate(m => new { m.Value, m.Unit }), options));
            }
        })).ToList();

        // Three inserting sessions, each with devices of its own.
        var inserters = Enumerable.Range(0, 3).Select(writer => Task.Run(async () =>
        {
            await using var context = IngestContext.Create(Db.ConnectionString, suffix);
            var rows = Enumerable.Range(0, InsertedPerWriter).Select(i => new Metric
            {
                Time = Rows.Start.AddMinutes(i / 5),
                DeviceId = $"inserter-{writer}-{i % 5}",
                MetricType = "power",
                Value = i,
                Unit = "W",
            });
            return await context.BulkInsertAsync(rows, writer == 0 ? new BulkInsertOptions { CommitEvery = 7_000 } : null);
        })).ToList();

        // One session querying while the others write: counts only grow, and the per-device aggregate always answers.
        var reader = Task.Run(async () =>
        {
            await using var context = IngestContext.Create(Db.ConnectionString, suffix);
            while (!writersDone.IsCancellationRequested)
            {
                observedCounts.Enqueue(await context.Metrics.CountAsync());
                var perDevice = await context.Metrics.GroupBy(m => m.DeviceId).Select(g => new { g.Key, Rows = g.Count(), Max = g.Max(m => m.Value) }).ToListAsync();
                Assert.All(perDevice, d => Assert.True(d.Rows > 0));
                await Task.Delay(20);
            }
        });

        var inserted = await Task.WhenAll(inserters);
        await Task.WhenAll(upserters);
        await writersDone.CancelAsync();
        await reader;

        Assert.All(inserted, n => Assert.Equal(InsertedPerWriter, n));
        Assert.Equal(4 * Rounds, upserts.Count);
        Assert.All(upserts, r => Assert.Equal(SharedKeys, r.Inserted + r.Updated + r.Skipped));

        // Each shared key was inserted by exactly one call; every other call found it.
        Assert.Equal(SharedKeys, upserts.Sum(r => r.Inserted));

        await using var check = IngestContext.Create(Db.ConnectionString, suffix);
        var total = SharedKeys + (3 * InsertedPerWriter);
        Assert.Equal(total, await check.Metrics.CountAsync());
        Assert.Equal(total, await check.Metrics.Select(m => new { m.Time, m.DeviceId, m.MetricType }).Distinct().CountAsync());

        // Every shared row holds one writer's whole row for that key: value and unit from the same writer, never mixed.
        var shared = await check.Metrics.Where(m => m.DeviceId.StartsWith("device-")).ToListAsync();
        Assert.Equal(SharedKeys, shared.Count);
        Assert.All(shared, m =>
        {
            var writer = (int)(m.Value / 1_000_000);
            Assert.InRange(writer, 1, 4);
            Assert.Equal(KeyIndex(m), (int)(m.Value % 1_000_000));
            Assert.Equal($"w{writer}", m.Unit);
        });

        var counts = observedCounts.ToArray();
        Assert.NotEmpty(counts);
        Assert.True(counts.Zip(counts.Skip(1)).All(p => p.First <= p.Second), "a query saw the row count go down: " + string.Join(", ", counts));
        Assert.All(counts, c => Assert.InRange(c, 0, total));
    }

    [NativeTimescaleFact("two sessions holding locks at the same time")]
    public async Task A_deadlock_the_upsert_cannot_resolve_is_retried_then_reported_and_the_other_session_goes_ahead()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        var suffix = Rows.Suffix();
        await using (var setup = IngestContext.Create(Db.ConnectionString, suffix))
        {
            await setup.CreateTablesAsync(hypertables: true);

            // The chunk exists and is committed: a session creating it would hold it until its transaction ends.
            await setup.BulkInsertAsync([SharedRow(100, 9)]);
        }

        // Each session upserts one key inside its own transaction, then the other's key: a deadlock through rows
        // written before the upsert, which retrying the upsert alone cannot resolve.
        await using var first = IngestContext.Create(Db.ConnectionString, suffix);
        await using var second = IngestContext.Create(Db.ConnectionString, suffix);
        await using var firstTransaction = await first.Database.BeginTransactionAsync();
        await using var secondTransaction = await second.Database.BeginTransactionAsync();
        await first.BulkUpsertAsync([SharedRow(1, 1)]);
        await second.BulkUpsertAsync([SharedRow(2, 2)]);
        var deadlocksBefore = await DeadlocksAsync();

        var firstCrossing = Task.Run(() => first.BulkUpsertAsync([SharedRow(2, 1)]));
        var secondCrossing = Task.Run(() => second.BulkUpsertAsync([SharedRow(1, 2)]));
        var failed = await Task.WhenAny(firstCrossing, secondCrossing);
        var error = await Assert.ThrowsAsync<BulkIngestException>(() => failed);
        Assert.Contains("deadlocked with other sessions writing the same keys 5 times in a row [SQLSTATE 40P01]", error.Message, StringComparison.Ordinal);
        Assert.Contains("run the call again", error.Message, StringComparison.Ordinal);

        // The deadlocked session's transaction ends, its first row with it; the other one's upsert then inserts and commits.
        var (loser, winner) = failed == firstCrossing ? (firstTransaction, secondTransaction) : (secondTransaction, firstTransaction);
        await loser.RollbackAsync();
        var won = await (failed == firstCrossing ? secondCrossing : firstCrossing);
        Assert.Equal(new BulkUpsertResult(1, 0, 0), won);
        await winner.CommitAsync();

        await using var check = IngestContext.Create(Db.ConnectionString, suffix);
        var rows = await check.Metrics.Where(m => m.DeviceId != "device-0").OrderBy(m => m.DeviceId).ToListAsync();
        var winnerWriter = failed == firstCrossing ? 2 : 1;
        Assert.Equal([$"w{winnerWriter}", $"w{winnerWriter}"], rows.Select(r => r.Unit));

        // Every attempt of the reported call met the deadlock again, one server-counted deadlock each (the other session,
        // retrying too, may have been the victim of up to 4 more). The server's statistics arrive with a delay.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await DeadlocksAsync() - deadlocksBefore < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.InRange(await DeadlocksAsync() - deadlocksBefore, 5, 9);
    }

    private Task<long> DeadlocksAsync() => Db.ScalarAsync<long>("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
}
