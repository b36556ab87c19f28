using System.Text.Json;
using System.Text.Json.Nodes;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// backup → restore round trips on native PostgreSQL without TimescaleDB — where the pre/post restore calls are
/// skipped — and, on a native TimescaleDB (HOURGLASS_TIMESCALEDB_HOME or HOURGLASS_TEST_CONNECTION), also there, with
/// hypertables, a policy and a continuous aggregate; each with the client tools of its server (<see cref="TestServer.BinDirectory"/>).
/// </summary>
public sealed class BackupRestoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-backup-").FullName;

    public static TheoryData<string> Servers()
    {
        var servers = new TheoryData<string> { "native-postgres-15" };
        if (TestServers.UsingExternalTimescale)
        {
            servers.Add("HOURGLASS_TEST_CONNECTION");
        }

        return servers;
    }

    // The client tools of the server's own PostgreSQL major (a native tree's bin folder), when the harness has them.
    private static string[] Tools(TestServer server) => server.BinDirectory is { } bin ? ["--pg-bin", bin] : [];

    private static async Task<TestServer> ServerAsync(string name) =>
        name == "native-postgres-15" ? await TestServers.Postgres : await TestServers.Timescale;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Backup_then_restore_into_a_fresh_database_keeps_every_row(string serverName)
    {
        var server = await ServerAsync(serverName);
        await using var source = await server.CreateDatabaseAsync("bksource");
        await SeedAsync(source, server.HasTimescale);

        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", Path.Combine(_folder, "app_{timestamp}.dump"), "--checksums", .. Tools(server), "--connection", source.ConnectionString]);
        Assert.True(backupExit == 0, backupOutput);
        var dump = Directory.GetFiles(_folder, "app_*.dump").Single();
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(dump + ".meta.json"))!;
        Assert.Equal(source.DatabaseName, (string?)metadata["database"]);
        Assert.Equal(server.HasTimescale, metadata["timescaledbVersion"] is not null);

        await using var target = await server.CreateDatabaseAsync("bktarget");
        var (restoreExit, restoreOutput) = await CliProcess.RunAsync(["restore", dump, .. Tools(server), "--connection", target.ConnectionString]);
        Assert.True(restoreExit == 0, restoreOutput);

        // Sessions that were open during a TimescaleDB restore may hold stale catalog caches: read in new ones.
        NpgsqlConnection.ClearAllPools();

        Assert.Contains($"Verified {(server.HasTimescale ? 4 : 3)} table(s): row counts and checksums match the backup", restoreOutput, StringComparison.Ordinal);
        var expected = await ChecksumsAsync(source);
        Assert.Equal(expected, await ChecksumsAsync(target));
        Assert.Contains("sales.notes", expected.Keys);
        if (server.HasTimescale)
        {
            Assert.Contains("pre_restore", restoreOutput, StringComparison.Ordinal);
            Assert.Equal(["readings"], await target.ColumnAsync<string>("SELECT hypertable_name::text FROM timescaledb_information.hypertables"));
            Assert.Equal(["readings_hourly"], await target.ColumnAsync<string>("SELECT view_name::text FROM timescaledb_information.continuous_aggregates"));
            Assert.Equal(["policy_refresh_continuous_aggregate", "policy_retention"],
                await target.ColumnAsync<string>("SELECT proc_name::text FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1"));
            Assert.Equal(await source.ScalarAsync<long>("SELECT count(*) FROM readings_hourly"), await target.ScalarAsync<long>("SELECT count(*) FROM readings_hourly"));
        }

        var (refusedExit, refusedOutput) = await CliProcess.RunAsync(["restore", dump, .. Tools(server), "--connection", target.ConnectionString]);
        Assert.True(refusedExit == 2, refusedOutput);
        Assert.Contains("is not empty", refusedOutput, StringComparison.Ordinal);
        Assert.Contains("--clean", refusedOutput, StringComparison.Ordinal);

        await target.ExecuteAsync("DELETE FROM sales.notes WHERE id <= 10");
        var (cleanExit, cleanOutput) = await CliProcess.RunAsync(["restore", dump, "--clean", .. Tools(server), "--connection", target.ConnectionString]);
        Assert.True(cleanExit == 0, cleanOutput);
        if (server.HasTimescale)
        {
            // pg_restore --clean recreated the extension: this process's pooled sessions must reconnect, as restore says.
            Assert.Contains("sessions opened before the restore must reconnect", cleanOutput, StringComparison.Ordinal);
            NpgsqlConnection.ClearAllPools();
        }
        Assert.Equal(expected, await ChecksumsAsync(target));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Restore_refuses_a_backup_from_another_timescaledb_version_unless_forced(string serverName)
    {
        var server = await ServerAsync(serverName);
        await using var source = await server.CreateDatabaseAsync("bkversion");
        await source.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)");
        var dump = Path.Combine(_folder, "versioned.dump");
        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, .. Tools(server), "--connection", source.ConnectionString]);
        Assert.True(backupExit == 0, backupOutput);

        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(dump + ".meta.json"))!.AsObject();
        metadata["timescaledbVersion"] = "1.7.5";
        await File.WriteAllTextAsync(dump + ".meta.json", metadata.ToJsonString());

        await using var target = await server.CreateDatabaseAsync("bkversiontarget");
        var (refusedExit, refused) = await CliProcess.RunAsync(["restore", dump, .. Tools(server), "--connection", target.ConnectionString]);
        Assert.True(refusedExit == 2, refused);
        Assert.Contains("was made with TimescaleDB 1.7.5", refused, StringComparison.Ordinal);
        Assert.Contains("--force", refused, StringComparison.Ordinal);
        Assert.Equal(0L, await target.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 't'"));

        var (forcedExit, forced) = await CliProcess.RunAsync(["restore", dump, "--force", .. Tools(server), "--connection", target.ConnectionString]);
        Assert.True(forcedExit == 0, forced);
        Assert.Equal(100L, await target.ScalarAsync<long>("SELECT count(*) FROM t"));
    }

    [Theory]
    [MemberData(nameof(WithoutTimescale.Cases), MemberType = typeof(WithoutTimescale))]
    public async Task Restoring_a_timescaledb_backup_says_whether_the_target_could_install_timescaledb(string withoutTimescale)
    {
        await using var target = await WithoutTimescale.CreateDatabaseAsync(withoutTimescale, "bkinstall");
        var server = withoutTimescale == WithoutTimescale.NotAvailable ? await TestServers.Postgres : await TestServers.Timescale;
        var dump = Path.Combine(_folder, "timescale.dump");
        if (withoutTimescale == WithoutTimescale.NotAvailable)
        {
            // A backup that records a TimescaleDB version, as one from a TimescaleDB server does; PostgreSQL 15 has no TimescaleDB to restore it into.
            await using var source = await (await TestServers.Postgres).CreateDatabaseAsync("bkinstallsrc");
            await source.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)");
            var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, .. Tools(server), "--connection", source.ConnectionString]);
            Assert.True(backupExit == 0, backupOutput);
            Assert.Contains("TimescaleDB not available on this server", backupOutput, StringComparison.Ordinal);
            var metadata = JsonNode.Parse(await File.ReadAllTextAsync(dump + ".meta.json"))!.AsObject();
            metadata["timescaledbVersion"] = "2.28.3";
            await File.WriteAllTextAsync(dump + ".meta.json", metadata.ToJsonString());

            var (exitCode, output) = await CliProcess.RunAsync(["restore", dump, .. Tools(server), "--connection", target.ConnectionString]);

            Assert.True(exitCode == 2, output);
            Assert.Contains("TimescaleDB is not available on this server", output, StringComparison.Ordinal);
            Assert.Contains($"neither created in database {target.DatabaseName} nor installable", output, StringComparison.Ordinal);
            Assert.Equal(0L, await target.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 't'"));
            return;
        }

        await using (var source = await (await TestServers.Timescale).CreateDatabaseAsync("bkinstallsrc"))
        {
            await source.ExecuteAsync("""
                CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value float8);
                SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
                INSERT INTO readings SELECT t, i % 5, i FROM generate_series(timestamptz '2026-01-01', timestamptz '2026-01-04', INTERVAL '10 minutes') WITH ORDINALITY g(t, i);
                """);
            var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, .. Tools(server), "--connection", source.ConnectionString]);
            Assert.True(backupExit == 0, backupOutput);
        }

        var version = await target.ScalarAsync<string>("SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'");
        var (restoreExit, restoreOutput) = await CliProcess.RunAsync(["restore", dump, .. Tools(server), "--connection", target.ConnectionString]);

        Assert.True(restoreExit == 0, restoreOutput);
        Assert.Contains($"TimescaleDB is installable on this server but was not created in database {target.DatabaseName}: created it (version {version}) before restoring.", restoreOutput, StringComparison.Ordinal);
        Assert.Contains($"TimescaleDB {version}.", restoreOutput, StringComparison.Ordinal);
        Assert.Equal(version, await target.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"));
        Assert.Equal(["readings"], await target.ColumnAsync<string>("SELECT hypertable_name::text FROM timescaledb_information.hypertables"));
        Assert.Equal(433L, await target.ScalarAsync<long>("SELECT count(*) FROM readings"));
    }

    [Fact]
    public async Task Restore_reports_data_that_differs_from_the_recorded_checksums()
    {
        var server = await TestServers.Postgres;
        await using var source = await server.CreateDatabaseAsync("bkverify");
        await source.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 1000) i");
        var dump = Path.Combine(_folder, "verify.dump");
        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, "--checksums", .. Tools(server), "--connection", source.ConnectionString]);
        Assert.True(backupExit == 0, backupOutput);
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(dump + ".meta.json"))!;
        Assert.Equal(1000L, (long)metadata["checksums"]!["public.t"]!["rows"]!);
        metadata["checksums"]!["public.t"]!["checksum"] = "12345";
        await File.WriteAllTextAsync(dump + ".meta.json", metadata.ToJsonString());

        await using var target = await server.CreateDatabaseAsync("bkverifytarget");
        var (exitCode, output) = await CliProcess.RunAsync(["restore", dump, .. Tools(server), "--connection", target.ConnectionString]);

        Assert.True(exitCode == 2, output);
        Assert.Contains("public.t has 1000 rows as in the backup, but different content", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keep_prunes_the_oldest_backups_of_the_same_database_only()
    {
        var server = await TestServers.Postgres;
        await using var source = await server.CreateDatabaseAsync("bkkeep");
        await source.ExecuteAsync("CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
        var unrelated = Path.Combine(_folder, "notes.txt");
        await File.WriteAllTextAsync(unrelated, "not a backup");

        foreach (var name in new[] { "b1.dump", "b2.dump", "b3.dump" })
        {
            var (exitCode, output) = await CliProcess.RunAsync(["backup", Path.Combine(_folder, name), "--keep", "2", .. Tools(server), "--connection", source.ConnectionString]);
            Assert.True(exitCode == 0, output);
        }

        Assert.Equal(["b2.dump", "b2.dump.meta.json", "b3.dump", "b3.dump.meta.json", "notes.txt"],
            Directory.GetFiles(_folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Backup_explains_that_pg_dump_is_older_than_the_server()
    {
        var server = await TestServers.Postgres;
        await using var source = await server.CreateDatabaseAsync("bkold");
        var fakeBin = Directory.CreateDirectory(Path.Combine(_folder, "old-bin")).FullName;
        var fakeDump = Path.Combine(fakeBin, "pg_dump");
        await File.WriteAllTextAsync(fakeDump, "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n");
        File.SetUnixFileMode(fakeDump, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

        var (exitCode, output) = await CliProcess.RunAsync(["backup", Path.Combine(_folder, "x.dump"), "--pg-bin", fakeBin, "--connection", source.ConnectionString]);

        Assert.True(exitCode == 2, output);
        Assert.Contains("pg_dump 9.6.24", output, StringComparison.Ordinal);
        Assert.Contains($"is older than the server (PostgreSQL {(await server.GetCapabilitiesAsync()).PostgresMajor})", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "x.dump")));
    }

    private static async Task SeedAsync(TestDatabase db, bool timescale)
    {
        await db.ExecuteAsync("""
            CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, created timestamptz NOT NULL);
            INSERT INTO customers SELECT i, 'customer ' || i, timestamptz '2025-01-01' + i * INTERVAL '1 hour' FROM generate_series(1, 500) i;
            CREATE TABLE orders (customer_id int REFERENCES customers, line int, amount numeric(10, 2), note text, PRIMARY KEY (customer_id, line));
            INSERT INTO orders SELECT c, l, (c * l) / 7.0, CASE WHEN l % 3 = 0 THEN NULL ELSE 'n' || l END FROM generate_series(1, 500) c, generate_series(1, 4) l;
            CREATE SCHEMA sales;
            CREATE TABLE sales.notes (id serial PRIMARY KEY, body text);
            INSERT INTO sales.notes (body) SELECT md5(i::text) FROM generate_series(1, 300) i;
            """);
        if (!timescale)
        {
            return;
        }

        await db.ExecuteAsync("""
            CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
            INSERT INTO readings SELECT t, i % 5, i FROM generate_series(now() - INTERVAL '5 days', now(), INTERVAL '5 minutes') WITH ORDINALITY g(t, i);
            SELECT add_retention_policy('readings', INTERVAL '90 days');
            """);
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW readings_hourly WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', time) AS bucket, device, avg(value) FROM readings GROUP BY 1, 2 WITH NO DATA");
        await db.ExecuteAsync("CALL refresh_continuous_aggregate('readings_hourly', NULL, NULL)");
        await db.ExecuteAsync("SELECT add_continuous_aggregate_policy('readings_hourly', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour')");
    }

    /// <summary>
    /// Every user table: row count and md5 of its rows as text, in key order. Read from pg_class: on a native
    /// TimescaleDB the scheduler's jobs create and drop relations meanwhile, and information_schema.tables opens
    /// every relation it lists (is_insertable_into), failing with "could not open relation with OID".
    /// </summary>
    private static async Task<Dictionary<string, string>> ChecksumsAsync(TestDatabase db)
    {
        var tables = await db.ColumnAsync<string>("""
            SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
              AND n.nspname NOT LIKE '\_timescaledb%' AND n.nspname NOT LIKE 'timescaledb\_%'
            ORDER BY 1
            """);
        var result = new Dictionary<string, string>();
        await using var connection = await db.OpenAsync();
        foreach (var table in tables)
        {
            var keys = await KeyOrderAsync(connection, table);
            await using var command = new NpgsqlCommand($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY {keys})), '') FROM {table} t", connection);
            result[table.Replace("public.", "", StringComparison.Ordinal)] = (string)(await command.ExecuteScalarAsync())!;
        }

        return result;
    }

    private static async Task<string> KeyOrderAsync(NpgsqlConnection connection, string table)
    {
        await using var command = new NpgsqlCommand("""
            SELECT string_agg(format('t.%I', a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum))
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = @table::regclass AND i.indisprimary
            """, connection);
        command.Parameters.AddWithValue("table", table);
        return await command.ExecuteScalarAsync() is string keys ? keys : "t::text";
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
