using System.Text.Json.Nodes;
using Hourglass.Embedded;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>
/// `hourglass backup --checksums` of the embedded engine (what `hourglass dev` serves), then `hourglass restore --across-versions`
/// into a native server with another TimescaleDB version: the same rows (checksums), hypertables, dimensions, columnstore
/// settings and converted chunks, jobs (kinds, schedules, configurations) and aggregate rows.
/// </summary>
public sealed class AcrossVersionsRestoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-across-versions-").FullName;

    [NativeTimescaleFact("a native TimescaleDB of another version to restore into, with client tools of the embedded engine's PostgreSQL major")]
    public async Task A_backup_of_hourglass_dev_restores_into_another_TimescaleDB_version_with_equal_checksums_hypertables_jobs_and_aggregates()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ClientTools | NativeNeeds.Databases | NativeNeeds.Superuser);
        // The client tools: those named by HOURGLASS_PG_BIN when the run sets it (how a user points Hourglass at them), else the server's own.
        var tools = Environment.GetEnvironmentVariable("HOURGLASS_PG_BIN") is { Length: > 0 } named ? named : server.BinDirectory!;
        var environment = new Dictionary<string, string?> { ["HOURGLASS_PG_BIN"] = tools };
        // Roles belong to the server, not to a backup: the role the grants name exists on the target as on the source.
        await using var target = await server.CreateDatabaseAsync("xrestore");
        var reader = (await target.CreateRoleAsync("xreader")).Name;
        await using var dev = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { StartTimeout = TimeSpan.FromMinutes(4) });
        await using (var seed = new NpgsqlConnection(dev.ConnectionString))
        {
            await seed.OpenAsync();
            await ExecuteAsync(seed, """
                CREATE SCHEMA app;
                CREATE TYPE app.kind AS ENUM ('low', 'high');
                CREATE TABLE app.metrics (time timestamptz NOT NULL, device int NOT NULL, value float8, kind app.kind NOT NULL DEFAULT 'low', PRIMARY KEY (device, time));
                SELECT create_hypertable('app.metrics', by_range('time', INTERVAL '1 day'));
                SELECT add_dimension('app.metrics', by_hash('device', 2));
                ALTER TABLE app.metrics SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device', timescaledb.orderby = 'time DESC');
                INSERT INTO app.metrics
                SELECT t, i % 5, i * 0.25, CASE WHEN i % 3 = 0 THEN 'high' ELSE 'low' END::app.kind
                FROM generate_series(date_trunc('hour', now()) - INTERVAL '10 days', date_trunc('hour', now()), INTERVAL '10 minutes') WITH ORDINALITY g(t, i);
                SELECT count(compress_chunk(c)) FROM show_chunks('app.metrics', older_than => INTERVAL '6 days') c;
                -- One hash partition of a time range alone: the copy must convert that partition, not its neighbour.
                SELECT compress_chunk(c) FROM show_chunks('app.metrics', newer_than => INTERVAL '3 days') c ORDER BY c::text LIMIT 1;
                CREATE MATERIALIZED VIEW app.metrics_hourly WITH (timescaledb.continuous) AS
                    SELECT time_bucket('1 hour', time) AS bucket, device, avg(value) AS avg_value, max(value) AS max_value, count(*) AS readings
                    FROM app.metrics GROUP BY 1, 2 WITH NO DATA;
                """);
            // A refresh runs alone (not in a batch), as TimescaleDB requires.
            await ExecuteAsync(seed, "CALL refresh_continuous_aggregate('app.metrics_hourly', NULL, date_trunc('hour', now()) - INTERVAL '1 day')");
            await ExecuteAsync(seed, """
                SELECT add_continuous_aggregate_policy('app.metrics_hourly', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour');
                SELECT add_retention_policy('app.metrics', drop_after => INTERVAL '1 year', schedule_interval => INTERVAL '2 days');
                CALL add_columnstore_policy('app.metrics', after => INTERVAL '30 days');
                CREATE TABLE public.notes (id serial PRIMARY KEY, note text NOT NULL, shout text GENERATED ALWAYS AS (upper(note)) STORED);
                INSERT INTO public.notes (note) VALUES ('first'), ('second'), ('third');
                CREATE PROCEDURE app.note(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.notes (note) VALUES (config ->> 'note'); END $$;
                SELECT add_job('app.note', INTERVAL '6 hours', config => '{"note": "from the job"}', scheduled => false);
                COMMENT ON TABLE app.metrics IS 'readings every 10 minutes';
                COMMENT ON VIEW app.metrics_hourly IS 'hourly readings';
                -- What the aggregate's definition does not hold: its own chunk interval, columnstore order and an index made by hand.
                ALTER MATERIALIZED VIEW app.metrics_hourly SET (timescaledb.chunk_interval = '5 days');
                ALTER MATERIALIZED VIEW app.metrics_hourly SET (timescaledb.enable_columnstore, timescaledb.segmentby = 'device', timescaledb.orderby = 'bucket');
                CREATE INDEX metrics_hourly_max_value_idx ON app.metrics_hourly (max_value DESC) WHERE readings > 1;
                """);
            await ExecuteAsync(seed, $"CREATE ROLE \"{reader}\"; GRANT USAGE ON SCHEMA app TO \"{reader}\"; GRANT SELECT ON app.metrics, app.metrics_hourly TO \"{reader}\"");
        }

        var devTimescale = await ScalarAsync<string>(dev.ConnectionString, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        var dump = Path.Combine(_folder, "dev.dump");
        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, "--checksums", "--connection", dev.ConnectionString], environment, timeout: TimeSpan.FromMinutes(5));
        var devMajor = await ScalarAsync<int>(dev.ConnectionString, "SELECT current_setting('server_version_num')::int / 10000");
        if (!backupOutput.Contains("Backed up", StringComparison.Ordinal))
        {
            // The tools are older than the engine (the PostgreSQL 15 tree without HOURGLASS_PG_BIN): the backup says which major it needs.
            Assert.True(backupExit == 2, backupOutput);
            Assert.Contains($"of PostgreSQL {devMajor} or later is needed", OneLine(backupOutput), StringComparison.Ordinal);
            return;
        }

        Assert.True(backupExit == 0, backupOutput);
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(dump + ".meta.json"))!;
        Assert.Equal(devTimescale, (string?)metadata["timescaledbVersion"]);

        var targetTimescale = await target.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        Assert.NotEqual(devTimescale, targetTimescale);

        // Without the flag, restore refuses the other version before changing anything, and names the flag.
        var (refusedExit, refusedOutput) = await CliProcess.RunAsync(["restore", dump, "--connection", target.ConnectionString], environment);
        Assert.True(refusedExit == 2, refusedOutput);
        Assert.Contains("--across-versions", OneLine(refusedOutput), StringComparison.Ordinal);

        var (restoreExit, restoreOutput) = await CliProcess.RunAsync(["restore", dump, "--across-versions", "--connection", target.ConnectionString], environment, timeout: TimeSpan.FromMinutes(8));
        NpgsqlConnection.ClearAllPools();
        Assert.True(restoreExit == 0, restoreOutput);
        Assert.Contains("Verified 2 table(s): row counts and checksums match the backup", OneLine(restoreOutput), StringComparison.Ordinal);
        Assert.Equal(targetTimescale, await target.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"));

        // Rows: counts and ordered content of both tables.
        foreach (var (table, key) in new[] { ("app.metrics", "device, time"), ("public.notes", "id") })
        {
            var sql = $"SELECT count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY {key})) FROM {table} t";
            Assert.Equal(await ScalarAsync<string>(dev.ConnectionString, sql), await target.ScalarAsync<string>(sql));
        }

        // The sequence continues where the source's was.
        Assert.Equal(await ScalarAsync<long>(dev.ConnectionString, "SELECT last_value FROM notes_id_seq"), await target.ScalarAsync<long>("SELECT last_value FROM notes_id_seq"));

        // Hypertables, dimensions and columnstore settings, read through the library on both sides.
        var sourceLayouts = await LayoutsAsync(dev.ConnectionString);
        var targetLayouts = await LayoutsAsync(target.ConnectionString);
        Assert.Equal(["app.metrics"], sourceLayouts.Select(l => $"{l.Schema}.{l.Name}"));
        Assert.Equal(sourceLayouts.Select(Describe), targetLayouts.Select(Describe));

        // The same chunks in the columnstore: each by its time range and the devices in it (so the hash partition counts).
        const string chunks = """
            SELECT string_agg(format('%s/%s/%s', c.range_start, d.devices, c.is_compressed), ', ' ORDER BY c.range_start, d.devices)
            FROM timescaledb_information.chunks c
            JOIN (SELECT tableoid::regclass AS chunk, string_agg(DISTINCT device::text, '+') AS devices FROM app.metrics GROUP BY 1) d
              ON d.chunk = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
            WHERE c.hypertable_schema = 'app' AND c.hypertable_name = 'metrics'
            """;
        var sourceChunks = await ScalarAsync<string>(dev.ConnectionString, chunks);
        Assert.Contains("/t", sourceChunks, StringComparison.Ordinal);
        Assert.Contains("/f", sourceChunks, StringComparison.Ordinal);
        Assert.Equal(sourceChunks, await target.ScalarAsync<string>(chunks));

        // Jobs: kinds, relations, schedules and configurations (the internal hypertable ids are each side's own).
        var sourceJobs = await JobsAsync(dev.ConnectionString);
        Assert.Equal(4, sourceJobs.Count);
        Assert.Equal(sourceJobs, await JobsAsync(target.ConnectionString));

        // The aggregate: same definition switches, and the same buckets up to the backup's watermark (the restored refresh
        // policy may already have run on the target and materialized newer buckets).
        var watermark = await ScalarAsync<DateTime>(dev.ConnectionString, "SELECT max(bucket) + INTERVAL '1 hour' FROM app.metrics_hourly");
        var aggregate = $"SELECT count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY bucket, device)) FROM app.metrics_hourly t WHERE bucket < '{watermark:yyyy-MM-dd HH:mm:ss}+00'";
        var sourceAggregate = await ScalarAsync<string>(dev.ConnectionString, aggregate);
        Assert.StartsWith($"{await ScalarAsync<long>(dev.ConnectionString, "SELECT count(*) FROM app.metrics_hourly")}:", sourceAggregate, StringComparison.Ordinal);
        Assert.Equal(sourceAggregate, await target.ScalarAsync<string>(aggregate));
        Assert.True(await target.ScalarAsync<bool>("SELECT materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_name = 'metrics_hourly'"));

        // The aggregate's storage: chunk interval, columnstore settings, group indexes and the index made by hand.
        var sourceStorage = await StorageAsync(dev.ConnectionString);
        Assert.Equal("app.metrics_hourly 5.00:00:00 segmentby device orderby bucket groups True", sourceStorage);
        Assert.Equal(sourceStorage, await StorageAsync(target.ConnectionString));
        const string indexes = """
            SELECT string_agg(d, '; ' ORDER BY d) FROM (
                SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '_materialized_hypertable_[0-9]+', '_materialized_hypertable_N', 'g') AS d
                FROM _timescaledb_catalog.continuous_agg ca
                JOIN _timescaledb_catalog.hypertable mat ON mat.id = ca.mat_hypertable_id
                JOIN pg_index i ON i.indrelid = format('%I.%I', mat.schema_name, mat.table_name)::regclass
                WHERE ca.user_view_name = 'metrics_hourly') x
            """;
        var sourceIndexes = await ScalarAsync<string>(dev.ConnectionString, indexes);
        Assert.Contains("metrics_hourly_max_value_idx ON _timescaledb_internal._materialized_hypertable_N USING btree (max_value DESC) WHERE (readings > 1)", sourceIndexes, StringComparison.Ordinal);
        Assert.Equal(sourceIndexes, await target.ScalarAsync<string>(indexes));

        // Grants and comments, on the hypertable and on the aggregate.
        var privileges = $"SELECT string_agg(format('%s %s %s', c.relname, has_table_privilege('{reader}', c.oid, 'SELECT'), obj_description(c.oid, 'pg_class')), ', ' ORDER BY c.relname) "
            + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app' AND c.relname IN ('metrics', 'metrics_hourly')";
        var sourcePrivileges = await ScalarAsync<string>(dev.ConnectionString, privileges);
        Assert.Equal("metrics t readings every 10 minutes, metrics_hourly t hourly readings", sourcePrivileges);
        Assert.Equal(sourcePrivileges, await target.ScalarAsync<string>(privileges));

        // Into a database that is no longer empty: refused before anything changes.
        var (againExit, againOutput) = await CliProcess.RunAsync(["restore", dump, "--across-versions", "--connection", target.ConnectionString], environment);
        Assert.True(againExit == 2, againOutput);
        Assert.Contains("copies into an empty database only", OneLine(againOutput), StringComparison.Ordinal);
    }

    [NativeTimescaleFact("a native TimescaleDB of another version to restore into, with client tools of the embedded engine's PostgreSQL major")]
    public async Task A_copy_that_fails_leaves_the_database_as_it_was_and_can_be_run_again()
    {
        var server = await TestServers.RequireNativeTimescaleAsync(NativeNeeds.ClientTools | NativeNeeds.Databases | NativeNeeds.Superuser);
        var tools = Environment.GetEnvironmentVariable("HOURGLASS_PG_BIN") is { Length: > 0 } named ? named : server.BinDirectory!;
        var environment = new Dictionary<string, string?> { ["HOURGLASS_PG_BIN"] = tools };
        var role = $"hg_missing_{Guid.NewGuid():N}"[..30];
        await using var dev = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { StartTimeout = TimeSpan.FromMinutes(4) });
        await using (var seed = new NpgsqlConnection(dev.ConnectionString))
        {
            await seed.OpenAsync();
            await ExecuteAsync(seed, $"""
                CREATE TABLE readings (time timestamptz NOT NULL, value float8);
                SELECT create_hypertable('readings', by_range('time', INTERVAL '1 day'));
                INSERT INTO readings SELECT t, 1.5 FROM generate_series(now() - INTERVAL '3 days', now(), INTERVAL '1 hour') t;
                CREATE ROLE "{role}";
                GRANT SELECT ON readings TO "{role}";
                """);
        }

        var dump = Path.Combine(_folder, "grants.dump");
        var (backupExit, backupOutput) = await CliProcess.RunAsync(["backup", dump, "--checksums", "--connection", dev.ConnectionString], environment, timeout: TimeSpan.FromMinutes(5));
        if (!backupOutput.Contains("Backed up", StringComparison.Ordinal))
        {
            // Tools older than the engine: the other test checks that message.
            Assert.True(backupExit == 2, backupOutput);
            return;
        }

        // A fresh database without the extension; the backup grants to a role this server lacks, so the copy fails at the grant.
        await using var target = await server.CreateDatabaseAsync("xfail");
        await target.ExecuteAsync("DROP EXTENSION timescaledb");
        var (failedExit, failedOutput) = await CliProcess.RunAsync(["restore", dump, "--across-versions", "--connection", target.ConnectionString], environment, timeout: TimeSpan.FromMinutes(8));
        NpgsqlConnection.ClearAllPools();
        Assert.True(failedExit == 2, failedOutput);
        var failed = OneLine(failedOutput);
        Assert.Contains("failed and was rolled back: nothing was changed (the timescaledb extension it created was dropped again)", failed, StringComparison.Ordinal);
        Assert.Contains($"role \"{role}\" does not exist", failed, StringComparison.Ordinal);
        Assert.Equal(0L, await target.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'readings'"));
        Assert.Equal(0L, await target.ScalarAsync<long>("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'"));

        // With the role created, the same command completes.
        await target.ExecuteAsync($"CREATE ROLE \"{role}\"");
        try
        {
            var (exit, output) = await CliProcess.RunAsync(["restore", dump, "--across-versions", "--connection", target.ConnectionString], environment, timeout: TimeSpan.FromMinutes(8));
            NpgsqlConnection.ClearAllPools();
            Assert.True(exit == 0, output);
            Assert.Contains("Verified 1 table(s): row counts and checksums match the backup", OneLine(output), StringComparison.Ordinal);
            Assert.True(await target.ScalarAsync<bool>($"SELECT has_table_privilege('{role}', 'readings', 'SELECT')"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            // Roles are the server's: revoke what the copy granted in this database, then drop the role.
            await target.ExecuteAsync($"DROP OWNED BY \"{role}\"");
            await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" }.ConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP ROLE IF EXISTS \"{role}\"", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Describe(HypertableLayout layout) =>
        $"{layout.Schema}.{layout.Name} [{string.Join("; ", layout.Dimensions.Select(d => $"{d.Number} {d.Column} {d.ColumnType} {d.Kind} {d.Interval} {d.IntegerInterval} {d.Partitions} {d.IntegerNowFunction}"))}] "
        + $"segmentby {layout.Columnstore?.SegmentByText} orderby {layout.Columnstore?.OrderByText} merged {layout.Columnstore?.MergedChunkInterval}";

    private static async Task<string> StorageAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return string.Join(", ", (await connection.Timescale().GetContinuousAggregateStorageAsync()).Select(s =>
            $"{s.Schema}.{s.Name} {s.ChunkInterval} segmentby {s.Columnstore?.SegmentByText} orderby {s.Columnstore?.OrderByText} groups {s.HasGroupIndexes}"));
    }

    private static async Task<IReadOnlyList<HypertableLayout>> LayoutsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return (await connection.Timescale().GetHypertableLayoutsAsync()).Where(l => !l.Schema.StartsWith("_timescaledb", StringComparison.Ordinal)).ToList();
    }

    private static async Task<List<string>> JobsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var jobs = await connection.Timescale().GetJobSettingsAsync();
        return jobs.Where(j => j.Kind is JobKind.Columnstore or JobKind.Retention or JobKind.ContinuousAggregateRefresh or JobKind.Custom)
            .Select(j =>
            {
                var config = j.Config is null ? null : JsonNode.Parse(j.Config)!.AsObject();
                config?.Remove("hypertable_id");
                config?.Remove("mat_hypertable_id");
                return $"{j.Kind} {j.ProcedureSchema}.{j.ProcedureName} on {j.RelationSchema}.{j.RelationName}: {j.Schedule.Serialize()} config {config?.ToJsonString()}";
            })
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    // The console wraps long messages at its width.
    private static string OneLine(string output) => System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
}
