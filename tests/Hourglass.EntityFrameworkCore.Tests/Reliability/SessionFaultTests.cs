using System.Globalization;
using System.Text.RegularExpressions;
using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.EntityFrameworkCore.Tests.BulkIngest;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Reliability;

/// <summary>Faults that need several sessions: concurrent upserts of overlapping keys, a connection killed mid-upsert.</summary>
[Collection(ReliabilityTests.Name)]
public sealed partial class SessionFaultTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const int Writers = 4;
    private const int KeysPerWriter = 40_000;
    private const int Rounds = 3;

    /// <summary>
    /// Writer w owns keys [w·K/2, w·K/2 + K): each key is written by one or two writers, every round, in ascending order
    /// by even writers and descending by odd ones, so that the sessions meet on the same keys in opposite orders.
    /// Every writer writes the same row for a key (value = key, unit = key % 7), so the final state is exact whatever the
    /// commit order; the writer is not part of the row.
    /// </summary>
    [NativeTimescaleFact("four sessions upserting at once")]
    public async Task Four_writers_upserting_overlapping_keys_leave_each_key_once_with_its_value()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        var database = fixture.Database;
        var suffix = "writers";
        await using (var setup = IngestContext.Create(database.ConnectionString, suffix))
        {
            await database.ExecuteAsync($"DROP TABLE IF EXISTS metrics_{suffix}, observations_{suffix}, keyless_{suffix}");
            await setup.CreateTablesAsync(hypertables: true);
        }

        var deadlocksBefore = await database.ScalarAsync<long>("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
        var results = new List<(int Writer, int Round, string Mode, Exception? Error)>();
        var tasks = Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            var own = new List<(int, int, string, Exception?)>();
            for (var round = 0; round < Rounds; round++)
            {
                await using var context = IngestContext.Create(database.ConnectionString, suffix);
                var keys = Enumerable.Range(writer * KeysPerWriter / 2, KeysPerWriter);
                var rows = (writer % 2 == 0 ? keys : keys.Reverse()).Select(k => Row(k, $"u{k % 7}"));
                var mode = round == 1 ? "DoNothing" : "DoUpdate";
                try
                {
                    if (round == 1)
                    {
                        await context.BulkUpsertAsync(rows, c => c.DoNothing());
                    }
                    else
                    {
                        await context.BulkUpsertAsync(rows);
                    }

                    own.Add((writer, round, mode, null));
                }
                catch (Exception ex)
                {
                    own.Add((writer, round, mode, ex));
                }
            }

            return own;
        })).ToList();
        foreach (var writerResults in await Task.WhenAll(tasks))
        {
            results.AddRange(writerResults);
        }

        var expectedKeys = (Writers + 1) * KeysPerWriter / 2;
        var stored = await database.ScalarAsync<long>($"SELECT count(*) FROM metrics_{suffix}");
        var distinct = await database.ScalarAsync<long>($"SELECT count(DISTINCT (time, device_id, metric_type)) FROM metrics_{suffix}");
        var wrongValue = await database.ScalarAsync<long>($"SELECT count(*) FROM metrics_{suffix} WHERE value <> (extract(epoch FROM time - timestamptz '2025-01-01 00:00:00+00') / 60)::int * 10 + right(device_id, 1)::int");
        var wrongUnit = await database.ScalarAsync<long>($"SELECT count(*) FROM metrics_{suffix} WHERE unit <> 'u' || (value::bigint % 7)");
        var failed = results.Where(r => r.Error is not null).ToList();

        // The server's statistics arrive with a delay; a deadlock the upsert retried would show here.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var deadlocks = await database.ScalarAsync<long>("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()") - deadlocksBefore;

        Assert.True(failed.Count == 0, string.Join("\n", failed.Select(f => $"writer {f.Writer} round {f.Round}: {f.Error}")));
        Assert.Equal(expectedKeys, stored);
        Assert.Equal(expectedKeys, distinct);
        Assert.Equal(0, wrongValue);
        Assert.Equal(0, wrongUnit);

        await ReliabilityDoc.MatchesAsync("concurrent-upsert", string.Join("\n",
            $"{Writers} writers, each in its own session, upserted {KeysPerWriter:N0} rows {Rounds} times (DoUpdate, DoNothing, DoUpdate) into one hypertable. " +
            $"Neighbouring writers share half their keys and send them in opposite orders.",
            "",
            ReliabilityDoc.Table(["measured", "value"],
            [
                ["upsert calls", results.Count.ToString(CultureInfo.InvariantCulture)],
                ["calls that failed (deadlock or otherwise)", failed.Count.ToString(CultureInfo.InvariantCulture)],
                ["distinct keys sent", expectedKeys.ToString("N0", CultureInfo.InvariantCulture)],
                ["rows stored", stored.ToString("N0", CultureInfo.InvariantCulture)],
                ["duplicate rows (stored − distinct keys)", (stored - distinct).ToString(CultureInfo.InvariantCulture)],
                ["lost rows (keys sent − distinct keys stored)", (expectedKeys - distinct).ToString(CultureInfo.InvariantCulture)],
                ["rows whose value or unit is not the one every writer sent", (wrongValue + wrongUnit).ToString(CultureInfo.InvariantCulture)],
                ["deadlocks the server detected (pg_stat_database)", deadlocks.ToString(CultureInfo.InvariantCulture)],
            ])));
    }

    /// <summary>
    /// The socket's own words for the cut (broken pipe, connection reset, …) depend on the moment the kill lands and on the
    /// operating system, so the measured text names them by their place only.
    /// </summary>
    [GeneratedRegex(@"\((Unable to write data to the transport connection|Unable to read data from the transport connection|Exception while (reading from|writing to) stream)[^)]*\)")]
    private static partial Regex SocketErrorText();

    /// <summary>Key k: device k % 10, time 2025-01-01 + k/10 minutes; value = the key itself.</summary>
    private static Metric Row(int key, string unit) => new()
    {
        Time = Rows.Start.AddMinutes(key / 10),
        DeviceId = $"device-{key % 10}",
        MetricType = "power",
        Value = key,
        Unit = unit,
    };

    [NativeTimescaleFact("pg_terminate_backend from a second session")]
    public async Task A_connection_killed_during_BulkUpsertAsync_writes_nothing_and_leaves_no_staging_table()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ConcurrentSessions);
        var database = fixture.Database;
        var suffix = "dropped";
        await using (var setup = IngestContext.Create(database.ConnectionString, suffix))
        {
            await database.ExecuteAsync($"DROP TABLE IF EXISTS metrics_{suffix}, observations_{suffix}, keyless_{suffix}");
            await setup.CreateTablesAsync(hypertables: true);
            await setup.BulkInsertAsync(Enumerable.Range(0, 1_000).Select(k => Row(k, "before")));
        }

        var before = await database.ScalarAsync<string>($"SELECT count(*) || ' rows, sum ' || sum(value) || ', units ' || string_agg(DISTINCT unit, ',') FROM metrics_{suffix}");
        var halfway = new TaskCompletionSource();
        var killed = new TaskCompletionSource();

        // 50,000 rows, the first 1,000 of them existing keys; after 20,000 the source waits until the session is killed.
        async IAsyncEnumerable<Metric> Source()
        {
            for (var k = 0; k < 50_000; k++)
            {
                if (k == 20_000)
                {
                    halfway.SetResult();
                    await killed.Task;
                }

                yield return Row(k, "after");
            }
        }

        var victim = database.TagSessions("upsert-victim");
        await using var context = IngestContext.Create(victim.ConnectionString, suffix);
        var upsert = Task.Run(() => context.BulkUpsertAsync(Source()));
        await halfway.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await using (var admin = await database.OpenAsync())
        {
            await using var find = new NpgsqlCommand($"SELECT pid FROM pg_stat_activity WHERE {victim.Backends} AND query LIKE 'COPY \"hourglass_stage_%'", admin);
            var pid = (int)(await find.ExecuteScalarAsync())!;
            await using var terminate = new NpgsqlCommand($"SELECT pg_terminate_backend({pid}, 10000)", admin);
            Assert.True((bool)(await terminate.ExecuteScalarAsync())!);
        }

        killed.SetResult();
        var error = await Assert.ThrowsAsync<BulkIngestException>(() => upsert);

        var after = await database.ScalarAsync<string>($"SELECT count(*) || ' rows, sum ' || sum(value) || ', units ' || string_agg(DISTINCT unit, ',') FROM metrics_{suffix}");
        var staging = await database.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname LIKE 'hourglass_stage_%'");
        Assert.Equal(before, after);
        Assert.Equal(0, staging);

        // The same upsert, run again in a new context, completes: nothing of the first attempt is in the way.
        await using var retry = IngestContext.Create(database.ConnectionString, suffix);
        var result = await retry.BulkUpsertAsync(Enumerable.Range(0, 50_000).Select(k => Row(k, "after")));
        Assert.Equal(49_000, result.Inserted);
        Assert.Equal(1_000, result.Updated);

        await ReliabilityDoc.MatchesAsync("connection-drop", string.Join("\n",
            "A `BulkUpsertAsync` of 50,000 rows (1,000 of them existing keys) into a hypertable was cut off after 20,000 rows had been " +
            "sent: a second session ran `pg_terminate_backend` on its backend while it was in the `COPY` into the staging table.",
            "",
            ReliabilityDoc.Table(["measured", "value"],
            [
                ["error the caller got", $"{error.GetType().Name}: {SocketErrorText().Replace(error.Message, "(the socket's error, in the operating system's words)")}"],
                ["table before", before],
                ["table after", after],
                ["staging tables left (pg_class hourglass_stage_%)", staging.ToString(CultureInfo.InvariantCulture)],
                ["the same upsert run again", $"{result.Inserted:N0} inserted, {result.Updated:N0} updated, {result.Skipped:N0} skipped"],
            ])));
    }
}
