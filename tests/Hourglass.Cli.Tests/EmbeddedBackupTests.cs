using System.Diagnostics;
using System.Text.Json.Nodes;
using Hourglass.Embedded;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// `hourglass backup` of a database of the embedded engine (what `hourglass dev` serves) with client tools found through --pg-bin,
/// HOURGLASS_PG_BIN or PATH, and the error that names the PostgreSQL major and the three ways when none fit.
/// </summary>
public sealed class EmbeddedBackupTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-embedded-backup-").FullName;

    [NativeTimescaleFact("a native TimescaleDB tree's pg_dump/pg_restore beside a hourglass dev server, and a database to restore into")]
    public async Task A_backup_of_hourglass_dev_uses_the_tools_of_its_major_and_records_checksums_or_says_which_major_is_needed()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ClientTools | NativeNeeds.Databases | NativeNeeds.Superuser);
        var toolsMajor = (await server.GetCapabilitiesAsync()).PostgresMajor;
        // The engine `hourglass dev` serves, with room to start on a loaded machine.
        await using var dev = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { StartTimeout = TimeSpan.FromMinutes(4) });
        var devConnection = dev.ConnectionString;
        int devMajor;
        string devTimescale;
        long readings, devices;
        await using (var connection = new NpgsqlConnection(devConnection))
        {
            await connection.OpenAsync();
            await using var seed = new NpgsqlCommand("""
                CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value float8);
                SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
                INSERT INTO readings SELECT t, i % 7, i * 0.5 FROM generate_series(timestamptz '2026-01-01', timestamptz '2026-01-05', INTERVAL '5 minutes') WITH ORDINALITY g(t, i);
                CREATE TABLE devices (id int PRIMARY KEY, name text NOT NULL);
                INSERT INTO devices SELECT i, 'device ' || i FROM generate_series(0, 6) i;
                """, connection);
            await seed.ExecuteNonQueryAsync();
            await using var versions = new NpgsqlCommand(
                "SELECT current_setting('server_version_num')::int / 10000, (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'), (SELECT count(*) FROM readings), (SELECT count(*) FROM devices)",
                connection);
            await using var reader = await versions.ExecuteReaderAsync();
            await reader.ReadAsync();
            (devMajor, devTimescale, readings, devices) = (reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3));
        }

        var dump = Path.Combine(_folder, "dev.dump");
        if (toolsMajor < devMajor)
        {
            // The tree's tools are older than the engine: the error names the major needed and the three ways to point at it.
            var (refusedExit, refusedOutput) = await CliProcess.RunAsync(["backup", dump, "--pg-bin", server.BinDirectory!, "--connection", devConnection]);
            var refused = OneLine(refusedOutput);
            Assert.True(refusedExit == 2, refused);
            Assert.Contains($"pg_dump of PostgreSQL {devMajor} or later is needed", refused, StringComparison.Ordinal);
            Assert.Contains("--pg-bin <folder>", refused, StringComparison.Ordinal);
            Assert.Contains("HOURGLASS_PG_BIN=<folder>", refused, StringComparison.Ordinal);
            Assert.Contains("on PATH", refused, StringComparison.Ordinal);
            Assert.False(File.Exists(dump));
            return;
        }

        // The tools found through HOURGLASS_PG_BIN (no --pg-bin); checksums on a server whose clients take turns on one session.
        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, "--checksums", "--connection", devConnection],
            new Dictionary<string, string?> { ["HOURGLASS_PG_BIN"] = server.BinDirectory });
        Assert.True(backupExit == 0, backupOutput);
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(dump + ".meta.json"))!;
        Assert.Equal(devTimescale, (string?)metadata["timescaledbVersion"]);
        Assert.Equal(readings, (long)metadata["checksums"]!["public.readings"]!["rows"]!);
        Assert.Equal(devices, (long)metadata["checksums"]!["public.devices"]!["rows"]!);

        // A second backup from the same running server (pg_dump's SQL PREPAREs once outlived the first run's connection).
        var (againExit, againOutput) = await CliProcess.RunAsync(["backup", dump + ".again", "--checksums", "--connection", devConnection],
            new Dictionary<string, string?> { ["HOURGLASS_PG_BIN"] = server.BinDirectory });
        Assert.True(againExit == 0, againOutput);
        var again = JsonNode.Parse(await File.ReadAllTextAsync(dump + ".again.meta.json"))!;
        Assert.Equal((string?)metadata["checksums"]!["public.readings"]!["checksum"], (string?)again["checksums"]!["public.readings"]!["checksum"]);

        // Restoring over the running server with --clean would drop TimescaleDB, which its one session cannot create again:
        // refused before anything changes.
        var (cleanExit, cleanOutput) = await CliProcess.RunAsync(["restore", dump, "--clean", "--connection", devConnection],
            new Dictionary<string, string?> { ["HOURGLASS_PG_BIN"] = server.BinDirectory });
        Assert.True(cleanExit == 2, cleanOutput);
        Assert.Contains("--clean cannot be used on this server", OneLine(cleanOutput), StringComparison.Ordinal);
        await using (var connection = new NpgsqlConnection(devConnection))
        {
            await connection.OpenAsync();
            await using var kept = new NpgsqlCommand("SELECT (SELECT count(*) FROM readings), (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb')", connection);
            await using var reader = await kept.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(readings, reader.GetInt64(0));
            Assert.Equal(devTimescale, reader.GetString(1));
        }

        // The archive is whole: pg_restore of the same tree lists both tables' data and the chunks'.
        var listing = await RunAsync(Path.Combine(server.BinDirectory!, "pg_restore"), "--list", dump);
        Assert.Contains("TABLE DATA public readings", listing, StringComparison.Ordinal);
        Assert.Contains("TABLE DATA public devices", listing, StringComparison.Ordinal);
        Assert.Contains("TABLE DATA _timescaledb_internal _hyper_", listing, StringComparison.Ordinal);

        await using var target = await server.CreateDatabaseAsync("devrestore");
        var targetTimescale = await target.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        var (restoreExit, restoreOutput) = await CliProcess.RunAsync(["restore", dump, "--pg-bin", server.BinDirectory!, "--connection", target.ConnectionString], timeout: TimeSpan.FromMinutes(5));
        NpgsqlConnection.ClearAllPools();
        if (targetTimescale == devTimescale)
        {
            Assert.True(restoreExit == 0, restoreOutput);
            Assert.Contains("Verified 2 table(s): row counts and checksums match the backup", restoreOutput, StringComparison.Ordinal);
            return;
        }

        // TimescaleDB's catalog differs between versions (its post-restore check refuses another version's): restore says
        // so before it changes anything.
        Assert.True(restoreExit == 2, restoreOutput);
        Assert.Contains($"The backup was made with TimescaleDB {devTimescale}, but database {target.DatabaseName} has TimescaleDB {targetTimescale}", OneLine(restoreOutput), StringComparison.Ordinal);
        Assert.Equal(0L, await target.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname IN ('readings', 'devices')"));
    }

    [Fact]
    public async Task Without_fitting_client_tools_backup_names_the_major_and_the_three_ways()
    {
        var server = await TestServers.Postgres;
        await using var source = await server.CreateDatabaseAsync("bknotools");
        var major = (await server.GetCapabilitiesAsync()).PostgresMajor;
        var empty = Directory.CreateDirectory(Path.Combine(_folder, "no-tools")).FullName;

        var (exitCode, printed) = await CliProcess.RunAsync(["backup", Path.Combine(_folder, "x.dump"), "--connection", source.ConnectionString],
            new Dictionary<string, string?> { ["HOURGLASS_PG_BIN"] = empty });
        var output = OneLine(printed);

        Assert.True(exitCode == 2, output);
        Assert.Contains(NoSpace($"pg_dump was not found in HOURGLASS_PG_BIN={empty}"), NoSpace(printed), StringComparison.Ordinal);
        Assert.Contains($"pg_dump of PostgreSQL {major} or later", output, StringComparison.Ordinal);
        Assert.Contains("--pg-bin <folder>, the environment variable HOURGLASS_PG_BIN=<folder>, or that folder on PATH", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "x.dump")));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // The console wraps long messages at its width.
    private static string OneLine(string output) => System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");

    private static string NoSpace(string output) => System.Text.RegularExpressions.Regex.Replace(output, @"\s+", "");

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        return output;
    }
}
