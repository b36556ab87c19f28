using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// backup → restore of a whole TimescaleDB database on a native server, with its own pg_dump/pg_restore:
/// hypertables in two schemas with chunks in the columnstore, continuous aggregates (one on another), every kind
/// of policy and a user job. The restored copy must hold the same rows, answer the aggregates' queries the same,
/// and its scheduler must run the restored jobs.
/// </summary>
public sealed class TimescaleBackupRestoreTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-tsbackup-").FullName;

    [NativeTimescaleFact("pg_dump/pg_restore matching the server, background workers and a database per backup")]
    public async Task Backup_then_restore_into_a_fresh_database_keeps_data_aggregates_policies_and_jobs()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler | NativeNeeds.Databases | NativeNeeds.Superuser | NativeNeeds.ClientTools);
        await using var source = await server.CreateDatabaseAsync("tsbksource");
        await SeedAsync(source);
        var sourceTables = await UserTableChecksumsAsync(source);
        var sourceAggregates = await AggregateAnswersAsync(source);
        var sourceJobs = await JobsAsync(source);
        var sourceCompressed = await CompressedChunksAsync(source);
        Assert.True(sourceCompressed >= 10, $"only {sourceCompressed} chunks in the columnstore");
        Assert.Equal(7, sourceJobs.Count);

        var dump = Path.Combine(_folder, "ts.dump");
        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, "--checksums", "--pg-bin", server.BinDirectory!, "--connection", source.ConnectionString]);
        Assert.True(backupExit == 0, backupOutput);

        // A fresh database: not even the extension in it; restore installs the backup's version.
        await using var target = await server.CreateDatabaseAsync("tsbktarget");
        await target.ExecuteAsync("DROP EXTENSION timescaledb");
        var (restoreExit, restoreOutput) = await CliProcess.RunAsync(["restore", dump, "--pg-bin", server.BinDirectory!, "--connection", target.ConnectionString], timeout: TimeSpan.FromMinutes(5));
        Assert.True(restoreExit == 0, restoreOutput);

        // Sessions that were open during a TimescaleDB restore may hold stale catalog caches: read in new ones.
        NpgsqlConnection.ClearAllPools();
        Assert.Contains("Ran timescaledb_pre_restore() before and timescaledb_post_restore() after pg_restore.", restoreOutput, StringComparison.Ordinal);
        Assert.Contains($"Verified {sourceTables.Count} table(s): row counts and checksums match the backup", restoreOutput, StringComparison.Ordinal);

        Assert.Equal("off", await target.ScalarAsync<string>("SELECT coalesce(current_setting('timescaledb.restoring', true), 'off')"));
        // Restored jobs have no run history, so the scheduler runs them all once right after the restore; the user
        // job's log is the one table that changes by that. Its rows can only come from runs on the target.
        var restoredTables = await UserTableChecksumsAsync(target);
        Assert.Equal("0:", sourceTables["public.job_log"]);
        Assert.Equal(sourceTables.Keys, restoredTables.Keys);
        Assert.Equal(sourceTables.Where(t => t.Key != "public.job_log"), restoredTables.Where(t => t.Key != "public.job_log"));
        Assert.Equal(sourceAggregates, await AggregateAnswersAsync(target));
        Assert.Equal(sourceJobs, await JobsAsync(target));
        Assert.Equal(sourceCompressed, await CompressedChunksAsync(target));
        Assert.Equal(
            ["public.metrics", "telemetry.events"],
            await target.ColumnAsync<string>("SELECT hypertable_schema || '.' || hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_schema NOT LIKE '\\_timescaledb%' ORDER BY 1"));

        // Every restored job runs by the restored database's scheduler, the user job with its side effect.
        foreach (var job in sourceJobs)
        {
            await RunByTheSchedulerAsync(target, job.Id);
        }

        var rollups = await target.ScalarAsync<long>("SELECT count(*) FROM job_log WHERE note = 'rolled up 3 days'");
        Assert.InRange(rollups, 1, 2);
        Assert.Equal(rollups, await target.ScalarAsync<long>("SELECT count(*) FROM job_log"));
        Assert.Equal(0, await source.ScalarAsync<long>("SELECT count(*) FROM job_log"));

        // New rows after the restore reach both aggregate levels through the restored refresh policies.
        await target.ExecuteAsync("INSERT INTO metrics SELECT date_trunc('hour', now()) - interval '3 hours' + i * interval '1 minute', 99, i FROM generate_series(0, 59) i");
        foreach (var job in sourceJobs.Where(j => j.Proc == "policy_refresh_continuous_aggregate").OrderBy(j => j.Id))
        {
            await RunByTheSchedulerAsync(target, job.Id);
        }

        Assert.Equal(1, await target.ScalarAsync<long>("SELECT count(*) FROM metrics_hourly WHERE device = 99"));
        Assert.Equal(1, await target.ScalarAsync<long>("SELECT count(*) FROM telemetry.metrics_daily WHERE device = 99"));
    }

    [NativeTimescaleFact("non-superuser roles and a database per backup")]
    public async Task Restore_as_an_application_role_says_that_it_needs_a_superuser_and_restores_nothing()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Databases | NativeNeeds.Superuser | NativeNeeds.ClientTools);
        await using var source = await server.CreateDatabaseAsync("tsbkrolesrc");
        await source.ExecuteAsync("""
            CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value float8);
            SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
            INSERT INTO readings SELECT t, 1, 1 FROM generate_series(now() - INTERVAL '2 days', now(), INTERVAL '1 hour') t;
            """);
        var dump = Path.Combine(_folder, "role.dump");
        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, "--pg-bin", server.BinDirectory!, "--connection", source.ConnectionString]);
        Assert.True(backupExit == 0, backupOutput);

        await using var target = await server.CreateDatabaseAsync("tsbkroletgt");
        var role = await target.CreateRoleAsync("restorer");

        // Without TimescaleDB in the database: the role cannot create it.
        await target.ExecuteAsync("DROP EXTENSION timescaledb");
        var (noExtensionExit, noExtension) = await CliProcess.RunAsync(["restore", dump, "--pg-bin", server.BinDirectory!, "--connection", role.ConnectionString]);
        Assert.True(noExtensionExit == 2, noExtension);
        Assert.Contains("may not create it", noExtension, StringComparison.Ordinal);
        Assert.Contains("only a superuser can. Have one run CREATE EXTENSION IF NOT EXISTS timescaledb VERSION", noExtension, StringComparison.Ordinal);
        Assert.Contains("Nothing was restored.", noExtension, StringComparison.Ordinal);

        // With TimescaleDB: timescaledb_pre_restore() is what needs the superuser.
        await target.ExecuteAsync("CREATE EXTENSION timescaledb");
        var (deniedExit, denied) = await CliProcess.RunAsync(["restore", dump, "--pg-bin", server.BinDirectory!, "--connection", role.ConnectionString]);
        Assert.True(deniedExit == 2, denied);
        Assert.Contains($"Restoring a TimescaleDB backup needs a superuser: timescaledb_pre_restore() failed for {role.Name}", denied, StringComparison.Ordinal);
        Assert.Contains("Run restore with a superuser connection", denied, StringComparison.Ordinal);
        Assert.Contains("Nothing was restored.", denied, StringComparison.Ordinal);

        Assert.Equal(0, await target.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'readings'"));
        Assert.Equal(0, await target.ScalarAsync<long>("SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()"));

        // The same backup restores with the superuser connection.
        var (restoreExit, restored) = await CliProcess.RunAsync(["restore", dump, "--pg-bin", server.BinDirectory!, "--connection", target.ConnectionString]);
        Assert.True(restoreExit == 0, restored);
        NpgsqlConnection.ClearAllPools();
        Assert.Equal(49, await target.ScalarAsync<long>("SELECT count(*) FROM readings"));
    }

    private static async Task SeedAsync(TestDatabase db)
    {
        // 40 days of metrics every 5 minutes in 1-day chunks, chunks older than 7 days converted to the columnstore.
        await db.ExecuteAsync("""
            CREATE TABLE metrics (time timestamptz NOT NULL, device int NOT NULL, value float8, PRIMARY KEY (device, time));
            SELECT create_hypertable('metrics', by_range('time', INTERVAL '1 day'));
            INSERT INTO metrics SELECT t, d, round((random() * 100)::numeric, 3)
              FROM generate_series(date_trunc('hour', now()) - INTERVAL '40 days', date_trunc('hour', now()) - INTERVAL '2 hours', INTERVAL '5 minutes') t, generate_series(1, 4) d;
            ALTER TABLE metrics SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device', timescaledb.orderby = 'time DESC');
            SELECT count(compress_chunk(c)) FROM show_chunks('metrics', older_than => INTERVAL '7 days') c;
            CALL add_columnstore_policy('metrics', after => INTERVAL '7 days');
            SELECT add_retention_policy('metrics', INTERVAL '365 days');
            CREATE INDEX metrics_time_device ON metrics (time, device);

            CREATE SCHEMA telemetry;
            CREATE TABLE telemetry.sources (id int PRIMARY KEY, name text NOT NULL);
            INSERT INTO telemetry.sources SELECT i, 'source ' || i FROM generate_series(1, 20) i;
            CREATE TABLE telemetry.events (time timestamptz NOT NULL, source int NOT NULL REFERENCES telemetry.sources, payload jsonb);
            SELECT create_hypertable('telemetry.events', by_range('time', INTERVAL '7 days'));
            CREATE INDEX events_source_time ON telemetry.events (source, time);
            INSERT INTO telemetry.events SELECT now() - i * INTERVAL '17 minutes', 1 + i % 20, jsonb_build_object('n', i, 'tag', md5(i::text)) FROM generate_series(1, 5000) i;
            SELECT add_reorder_policy('telemetry.events', 'events_source_time');
            SELECT add_retention_policy('telemetry.events', INTERVAL '180 days');

            CREATE TABLE job_log (id serial PRIMARY KEY, job_id int, note text, at timestamptz DEFAULT now());
            CREATE PROCEDURE rollup(job_id int, config jsonb) LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO job_log (job_id, note) VALUES (job_id, 'rolled up ' || (config ->> 'days') || ' days');
            END $$;
            """);
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW metrics_hourly WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', time) AS bucket, device, avg(value) AS avg_value, count(*) AS n FROM metrics GROUP BY 1, 2 WITH NO DATA");
        await db.ExecuteAsync("CREATE MATERIALIZED VIEW telemetry.metrics_daily WITH (timescaledb.continuous) AS SELECT time_bucket('1 day', bucket) AS day, device, sum(n) AS n, max(avg_value) AS peak FROM metrics_hourly GROUP BY 1, 2 WITH NO DATA");
        await db.ExecuteAsync("CALL refresh_continuous_aggregate('metrics_hourly', NULL, NULL)");
        await db.ExecuteAsync("CALL refresh_continuous_aggregate('telemetry.metrics_daily', NULL, NULL)");
        await db.ExecuteAsync("""
            SELECT add_continuous_aggregate_policy('metrics_hourly', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour');
            SELECT add_continuous_aggregate_policy('telemetry.metrics_daily', start_offset => INTERVAL '10 days', end_offset => NULL, schedule_interval => INTERVAL '1 day');
            SELECT add_job('rollup', INTERVAL '1 day', config => '{"days": 3}', initial_start => now() + INTERVAL '1 day');
            """);
    }

    /// <summary>Row count and md5 of the rows in a fixed order, for every user table (hypertables read through their parent).</summary>
    private static async Task<Dictionary<string, string>> UserTableChecksumsAsync(TestDatabase db)
    {
        var tables = await db.ColumnAsync<string>("""
            SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('public', 'telemetry') ORDER BY 1
            """);
        var result = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            result[table] = await db.ScalarAsync<string>($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t");
        }

        return result;
    }

    private static async Task<Dictionary<string, string>> AggregateAnswersAsync(TestDatabase db) => new()
    {
        ["hourly"] = await db.ScalarAsync<string>("SELECT count(*) || ':' || md5(string_agg(format('%s %s %s %s', bucket, device, round(avg_value::numeric, 9), n), '|' ORDER BY bucket, device)) FROM metrics_hourly"),
        ["daily"] = await db.ScalarAsync<string>("SELECT count(*) || ':' || md5(string_agg(format('%s %s %s %s', day, device, n, peak), '|' ORDER BY day, device)) FROM telemetry.metrics_daily"),
        ["hourly per device"] = await db.ScalarAsync<string>("SELECT string_agg(format('%s=%s', device, total), ',' ORDER BY device) FROM (SELECT device, sum(n) AS total FROM metrics_hourly WHERE bucket >= now() - INTERVAL '20 days' GROUP BY device) s"),
        ["daily peak"] = await db.ScalarAsync<string>("SELECT max(peak)::text FROM telemetry.metrics_daily"),
    };

    private sealed record Job(int Id, string Proc, string? Hypertable, TimeSpan Schedule, string? Config, string Owner, bool Scheduled);

    private static async Task<List<Job>> JobsAsync(TestDatabase db)
    {
        await using var connection = await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT job_id, proc_name, hypertable_schema || '.' || hypertable_name, schedule_interval, config::text, owner::text, scheduled
            FROM timescaledb_information.jobs WHERE job_id >= 1000 ORDER BY job_id
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var jobs = new List<Job>();
        while (await reader.ReadAsync())
        {
            jobs.Add(new Job(reader.GetInt32(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<TimeSpan>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetBoolean(6)));
        }

        return jobs;
    }

    private static Task<long> CompressedChunksAsync(TestDatabase db)
        => db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics' AND is_compressed");

    /// <summary>Moves the job's next start to now and waits until the scheduler finished a run that began after that.</summary>
    private static async Task RunByTheSchedulerAsync(TestDatabase db, int job)
    {
        var asked = await db.ScalarAsync<DateTime>($"SELECT clock_timestamp() FROM alter_job({job}, next_start => now())");
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            await using var connection = await db.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT job_status, last_run_status, last_run_started_at, last_run_duration FROM timescaledb_information.job_stats WHERE job_id = {job}", connection);
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync() && !reader.IsDBNull(2) && reader.GetDateTime(2) >= asked && !reader.IsDBNull(3) && reader.GetString(0) != "Running")
            {
                var result = reader.GetString(1);
                await reader.DisposeAsync();
                if (result != "Success")
                {
                    var errors = await db.ColumnAsync<string>($"SELECT coalesce(err_message, '') FROM timescaledb_information.job_errors WHERE job_id = {job} ORDER BY start_time DESC LIMIT 1");
                    Assert.Fail($"Restored job {job} ran but ended with '{result}': {string.Join("; ", errors)}");
                }

                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Restored job {job} did not run within {RunTimeout.TotalSeconds:0} s of moving next_start to now.");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
