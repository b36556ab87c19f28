using System.Diagnostics;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>`hourglass chunks TABLE --move-to TABLESPACE`: move_chunk on the selected chunks, checked in pg_class.</summary>
public sealed class MoveChunksCommandTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private async Task<string> TableAsync(string name)
    {
        // Six daily chunks (today and five days back), three devices; the oldest will also be in the columnstore.
        await Db.ExecuteAsync($"""
            CREATE TABLE {name} (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('{name}', by_range('time', INTERVAL '1 day'));
            INSERT INTO {name} SELECT date_trunc('day', now()) - d * INTERVAL '1 day' + i * INTERVAL '10 minutes', dev, i * dev
              FROM generate_series(0, 5) d, generate_series(0, 143) i, generate_series(1, 3) dev;
            """);
        return $"{Db.Schema}.{name}";
    }

    private Task<string> RowsAsync(string table) => Db.ScalarAsync<string>($"SELECT count(*) || '/' || sum(value) || '/' || sum(device) FROM {table}");

    private Task<List<string>> ChunksInAsync(string table, string tablespace) => Db.ColumnAsync<string>($"""
        SELECT c::text FROM show_chunks('{table}') c JOIN pg_class cl ON cl.oid = c
        WHERE cl.reltablespace = (SELECT oid FROM pg_tablespace WHERE spcname = '{tablespace}') ORDER BY 1
        """);

    [NativeTimescaleFact("CREATE TABLESPACE in a directory the native server's OS user owns")]
    public async Task Move_to_moves_exactly_the_old_chunks_reordered_with_rows_unchanged_and_skips_them_the_second_time()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Superuser);
        var table = await TableAsync("move_old");
        var tablespace = $"hg_cold_{Guid.NewGuid():N}"[..20];
        var directory = await ServerOwnedDirectoryAsync(server);
        try
        {
            await Db.ExecuteAsync($"CREATE TABLESPACE {tablespace} LOCATION '{directory}'");
            var oldChunks = await Db.ColumnAsync<string>($"SELECT c::text FROM show_chunks('{table}', older_than => INTERVAL '2 days') c ORDER BY 1");
            var allChunks = await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{table}')");
            Assert.True(oldChunks.Count >= 3 && oldChunks.Count < allChunks, $"{oldChunks.Count} of {allChunks} chunks are older than 2 days");

            // A columnstore chunk among them: move_chunk moves it (and its compressed data) without reordering.
            await Db.ExecuteAsync($"""
                ALTER TABLE {table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
                SELECT compress_chunk('{oldChunks[0]}');
                """);
            var rows = await RowsAsync(table);

            var (badIndex, badIndexOutput) = await CliProcess.RunAsync(["chunks", table, "--move-to", tablespace, "--older-than", "2d", "--reorder-index", "no_such_index", "--yes", "--connection", Db.ConnectionString]);
            Assert.Equal(2, badIndex);
            Assert.Contains("is not an index of", badIndexOutput, StringComparison.Ordinal);
            Assert.Empty(await ChunksInAsync(table, tablespace));

            var (unconfirmed, unconfirmedOutput) = await CliProcess.RunAsync(["chunks", table, "--move-to", tablespace, "--older-than", "2d", "--connection", Db.ConnectionString]);
            Assert.Equal(2, unconfirmed);
            Assert.Contains("--yes", unconfirmedOutput, StringComparison.Ordinal);
            Assert.Empty(await ChunksInAsync(table, tablespace));

            var (exit, json, output) = await CliJson.RunAsync("chunks", table, "--move-to", tablespace, "--older-than", "2d", "--yes", "--json", "--connection", Db.ConnectionString);
            Assert.True(exit == 0, output);
            Assert.Equal("move", json.GetProperty("action").GetString());
            Assert.Equal(tablespace, json.GetProperty("tablespace").GetString());
            Assert.Equal(oldChunks, json.GetProperty("done").EnumerateArray().Select(d => d.GetString()!).Order(StringComparer.Ordinal).ToList());

            Assert.Equal(oldChunks, await ChunksInAsync(table, tablespace));
            Assert.Equal(rows, await RowsAsync(table));
            // The compressed data of the columnstore chunk went along.
            // The compressed chunk's name and catalog link differ across versions (compress_hyper_N_M_chunk before 2.29,
            // <chunk>_compressed from 2.29); the tablespace is this test's alone, so its one table that is not a chunk of the
            // hypertable is that chunk's compressed data.
            Assert.Equal(1, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relkind = 'r' AND reltablespace = (SELECT oid FROM pg_tablespace WHERE spcname = '{tablespace}') AND oid NOT IN (SELECT show_chunks('{table}'))"));
            // Rowstore chunks were rewritten in the order of the time index, which move_chunk marks as clustered.
            Assert.True(await Db.ScalarAsync<bool>($"SELECT bool_and(i.indisclustered) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = '{oldChunks[1]}'::regclass AND ic.relname LIKE '%time_idx'"));

            var (textExit, text) = await CliProcess.RunAsync(["chunks", table, "--connection", Db.ConnectionString]);
            Assert.Equal(0, textExit);
            Assert.Contains(tablespace, text, StringComparison.Ordinal);

            var (againExit, again, againOutput) = await CliJson.RunAsync("chunks", table, "--move-to", tablespace, "--older-than", "2d", "--yes", "--json", "--connection", Db.ConnectionString);
            Assert.True(againExit == 0, againOutput);
            Assert.Equal(0, again.GetProperty("done").GetArrayLength());
            Assert.Equal(0, again.GetProperty("chunks").GetArrayLength());
            var (nothingExit, nothing) = await CliProcess.RunAsync(["chunks", table, "--move-to", tablespace, "--older-than", "2d", "--yes", "--connection", Db.ConnectionString]);
            Assert.Equal(0, nothingExit);
            Assert.Contains("all already there", nothing, StringComparison.Ordinal);
        }
        finally
        {
            // DROP TABLESPACE runs alone (not in a multi-statement batch) and only once the tablespace is empty.
            await Db.ExecuteAsync($"DROP TABLE IF EXISTS {table}");
            // TimescaleDB 2.28 leaves the compressed chunk table of a dropped hypertable behind (2.29 does not); drop it too.
            foreach (var left in await Db.ColumnAsync<string>($"SELECT oid::regclass::text FROM pg_class WHERE relkind = 'r' AND reltablespace = (SELECT oid FROM pg_tablespace WHERE spcname = '{tablespace}')"))
            {
                await Db.ExecuteAsync($"DROP TABLE IF EXISTS {left}");
            }

            await Db.ExecuteAsync($"DROP TABLESPACE IF EXISTS {tablespace}");
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// An in-place tablespace (allow_in_place_tablespaces, a superuser setting: the directory is created under pg_tblspc in
    /// the data directory) works on every engine. It is the only kind the embedded engine can create: its file system is
    /// not the host's, so CREATE TABLESPACE with a host directory fails there with 58P01 (directory does not exist).
    /// </summary>
    [Fact]
    public async Task Move_to_an_in_place_tablespace_moves_the_old_chunks_on_every_engine()
    {
        var server = await TestServers.Timescale;
        var table = await TableAsync("move_in_place");
        var tablespace = $"hg_inplace_{Guid.NewGuid():N}"[..22];
        if (server.Kind == TestServerKind.Embedded)
        {
            var hostDirectory = Directory.CreateTempSubdirectory("hourglass-tablespace-").FullName;
            try
            {
                var refused = await Assert.ThrowsAsync<PostgresException>(() => Db.ExecuteAsync($"CREATE TABLESPACE {tablespace} LOCATION '{hostDirectory}'"));
                Assert.Equal("58P01", refused.SqlState);
            }
            finally
            {
                Directory.Delete(hostDirectory);
            }
        }

        await using (var connection = await Db.OpenAsync())
        {
            foreach (var sql in new[] { "SET allow_in_place_tablespaces = on", $"CREATE TABLESPACE {tablespace} LOCATION ''" })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        try
        {
            var oldChunks = await Db.ColumnAsync<string>($"SELECT c::text FROM show_chunks('{table}', older_than => INTERVAL '2 days') c ORDER BY 1");
            var rows = await RowsAsync(table);

            var (exit, json, output) = await CliJson.RunAsync("chunks", table, "--move-to", tablespace, "--older-than", "2d", "--reorder-index", "move_in_place_time_idx", "--yes", "--json", "--connection", Db.ConnectionString);

            Assert.True(exit == 0, output);
            Assert.Equal(oldChunks, json.GetProperty("done").EnumerateArray().Select(d => d.GetString()!).Order(StringComparer.Ordinal).ToList());
            Assert.Equal(oldChunks, await ChunksInAsync(table, tablespace));
            Assert.Equal(rows, await RowsAsync(table));
        }
        finally
        {
            await Db.ExecuteAsync($"DROP TABLE IF EXISTS {table}");
            await Db.ExecuteAsync($"DROP TABLESPACE IF EXISTS {tablespace}");
        }
    }

    [Fact]
    public async Task Move_to_a_missing_tablespace_fails_naming_it_and_how_to_create_it_and_moves_nothing()
    {
        var table = await TableAsync("move_missing");
        var before = await Db.ColumnAsync<string>($"SELECT c::text || ':' || cl.reltablespace FROM show_chunks('{table}') c JOIN pg_class cl ON cl.oid = c ORDER BY 1");

        var (exit, output) = await CliProcess.RunAsync(["chunks", table, "--move-to", "hg_no_such_space", "--older-than", "2d", "--yes", "--connection", Db.ConnectionString]);

        Assert.Equal(2, exit);
        Assert.Contains("no tablespace 'hg_no_such_space'", output, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLESPACE", output, StringComparison.Ordinal);
        Assert.Equal(before, await Db.ColumnAsync<string>($"SELECT c::text || ':' || cl.reltablespace FROM show_chunks('{table}') c JOIN pg_class cl ON cl.oid = c ORDER BY 1"));

        var (noBound, noBoundOutput) = await CliProcess.RunAsync(["chunks", table, "--move-to", "pg_default", "--yes", "--connection", Db.ConnectionString]);
        Assert.Equal(2, noBound);
        Assert.Contains("never moves every chunk", noBoundOutput, StringComparison.Ordinal);

        // The chunks are already in the database's default tablespace: nothing to move, and nothing is asked.
        var (here, hereOutput) = await CliProcess.RunAsync(["chunks", table, "--move-to", await Db.ScalarAsync<string>("SELECT spcname::text FROM pg_tablespace t JOIN pg_database d ON d.dattablespace = t.oid WHERE d.datname = current_database()"), "--older-than", "2d", "--connection", Db.ConnectionString]);
        Assert.True(here == 0, hereOutput);
        Assert.Contains("all already there", hereOutput, StringComparison.Ordinal);
    }

    /// <summary>An empty directory owned by the OS user the server runs as (the owner of its data directory).</summary>
    private async Task<string> ServerOwnedDirectoryAsync(TestServer server)
    {
        var dataDirectory = await Db.ScalarAsync<string>("SELECT current_setting('data_directory')");
        var directory = Path.Combine(Path.GetTempPath(), $"hourglass-tablespace-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        using var chown = Process.Start(new ProcessStartInfo("chown", ["--reference", dataDirectory, directory]) { RedirectStandardError = true })!;
        var error = await chown.StandardError.ReadToEndAsync();
        await chown.WaitForExitAsync();
        Assert.True(chown.ExitCode == 0, $"chown --reference {dataDirectory} {directory} on {server.Description}: {error}");
        return directory;
    }
}
