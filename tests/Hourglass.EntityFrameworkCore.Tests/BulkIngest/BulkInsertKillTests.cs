using System.Diagnostics;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

/// <summary>
/// A process streaming a single-transaction BulkInsert is killed with SIGKILL mid-stream: none of its rows may
/// remain, and the server must take new ingests afterwards.
/// </summary>
public abstract class BulkInsertKillTests(TestDatabase database)
{
    protected abstract bool Hypertable { get; }

    /// <summary>Whether another connection can watch the COPY while it runs (not on the one-session embedded server).</summary>
    protected abstract bool CanObserveConcurrently { get; }

    [Fact]
    public async Task Sigkill_of_the_ingesting_process_mid_stream_leaves_zero_rows()
    {
        var table = $"kill_{Rows.Suffix()}";
        await database.ExecuteAsync($"CREATE TABLE {table} (id bigint NOT NULL, time timestamptz NOT NULL, value float8 NOT NULL, PRIMARY KEY (id, time))");
        if (Hypertable)
        {
            await database.ExecuteAsync($"SELECT create_hypertable('{table}', by_range('time', INTERVAL '1 day'))");
        }

        var killed = database.TagSessions("killed-insert");
        using var child = Process.Start(KillTargets.Start("Hourglass.BulkIngest.KillTarget", killed.ConnectionString, table))!;
        var streamed = 0L;
        try
        {
            while (streamed < 40_000)
            {
                var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
                    ?? throw new InvalidOperationException($"The child exited early: {await child.StandardError.ReadToEndAsync()}");
                if (line.StartsWith("streaming ", StringComparison.Ordinal))
                {
                    streamed = long.Parse(line["streaming ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            if (CanObserveConcurrently)
            {
                Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE {killed.Backends} AND query LIKE 'COPY \"{table}\"%' AND state = 'active'"));
            }
        }
        finally
        {
            child.Kill(entireProcessTree: true); // SIGKILL on Linux: no chance to roll back or close cleanly
            await child.WaitForExitAsync();
        }

        Assert.True(child.HasExited);
        Assert.NotEqual(0, child.ExitCode);
        Assert.True(streamed >= 40_000);

        // The server notices the dead socket, aborts the COPY and its transaction; poll until the backend is gone.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        if (CanObserveConcurrently)
        {
            while (await database.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE {killed.Backends} AND query LIKE 'COPY \"{table}\"%'") > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }

        Assert.Equal(0L, await database.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
        await using var connection = await database.OpenAsync();
        await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1, now(), 1)", connection);
        Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        Assert.Equal(1L, await database.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

}

public sealed class BulkInsertKillPostgresTests(PostgresDatabaseFixture fixture)
    : BulkInsertKillTests(fixture.Database), IClassFixture<PostgresDatabaseFixture>
{
    protected override bool Hypertable => false;

    protected override bool CanObserveConcurrently => true;
}

public sealed class BulkInsertKillTimescaleTests(TimescaleDatabaseFixture fixture)
    : BulkInsertKillTests(fixture.Database), IClassFixture<TimescaleDatabaseFixture>
{
    protected override bool Hypertable => true;

    protected override bool CanObserveConcurrently => TestServers.UsingExternalTimescale;
}
