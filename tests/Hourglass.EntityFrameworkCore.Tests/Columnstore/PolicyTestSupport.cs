using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Hourglass.EntityFrameworkCore.Tests.Columnstore;

/// <summary>Models and catalog reads shared by the columnstore, retention and reorder tests.</summary>
internal static class PolicyTestSupport
{
    /// <summary>A Reading&lt;DateTime&gt; hypertable (7-day chunks) with an index on (DeviceId, Time).</summary>
    public static Action<ModelBuilder> Readings(string table, Action<HypertableBuilder<Reading<DateTime>>>? hypertable = null, Action<EntityTypeBuilder<Reading<DateTime>>>? entity = null)
        => b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable(table);
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.HasIndex(x => new { x.DeviceId, x.Time }).HasDatabaseName("ix_" + table + "_device_time");
            entity?.Invoke(e);
            if (hypertable is not null)
            {
                hypertable(e.IsHypertable(x => x.Time).WithChunkInterval("7 days"));
            }
        });

    public static async Task MigrateAsync(ModelContext? from, ModelContext to) => await to.ApplyAsync(to.DiffFrom(from));

    /// <summary>Rows every hour for the last <paramref name="days"/> days, one device per hour modulo 3.</summary>
    public static Task InsertHoursAsync(TestDatabase db, string table, int days)
        => db.ExecuteAsync($"""INSERT INTO "{table}" ("Time", "DeviceId", "Recorded", "Value") SELECT now() - i * interval '1 hour', i % 3, now(), i FROM generate_series(0, {days * 24 - 1}) i""");

    /// <summary>The policy job's config (jsonb text) of the table in the class's schema, or null.</summary>
    public static async Task<string?> JobConfigAsync(TestDatabase db, string table, string procName)
    {
        await using var connection = await db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT config::text FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}' AND proc_name = '{procName}'";
        return await command.ExecuteScalarAsync() as string;
    }

    public static Task<int> JobIdAsync(TestDatabase db, string table, string procName)
        => db.ScalarAsync<int>($"SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}' AND proc_name = '{procName}'");

    public static Task<long> JobCountAsync(TestDatabase db, string table)
        => db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'");

    /// <summary>Runs a job in the foreground (the embedded server has no scheduler); outside a transaction, as policies commit.</summary>
    public static async Task RunJobAsync(TestDatabase db, string table, string procName)
    {
        var id = await JobIdAsync(db, table, procName);

        // A native scheduler runs a new policy at once, and the table's other policies as well (a retention run by hand
        // met the scheduler's columnstore run in a deadlock): with all of them paused and idle, the run by hand is the
        // only one. Those that were scheduled are scheduled again afterwards, this one in any case.
        var scheduled = (await db.ScalarAsync<string>($"""
            SELECT coalesce(string_agg(job_id::text, ','), '') FROM timescaledb_information.jobs
            WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}' AND scheduled AND job_id <> {id}
            """)).Split(',', StringSplitOptions.RemoveEmptyEntries).Append(id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var jobs = string.Join(", ", scheduled);
        await PauseUntilIdleAsync(db, jobs);
        try
        {
            await db.ExecuteAsync($"CALL run_job({id})");
        }
        finally
        {
            await db.ExecuteAsync($"SELECT alter_job(j, scheduled => true) FROM unnest(ARRAY[{jobs}]) j");
        }
    }

    /// <summary>Pauses a policy for the rest of a test, once it is idle, so the scheduler cannot undo what the test set up.</summary>
    public static async Task PauseJobAsync(TestDatabase db, string table, string procName)
        => await PauseUntilIdleAsync(db, (await JobIdAsync(db, table, procName)).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Pauses the jobs (a comma-separated id list) and waits, at most a minute, until none of them is running.</summary>
    /// <remarks>
    /// A run counts from the moment the scheduler records its start, before the worker shows in pg_stat_activity
    /// (where job_stats' 'Running' comes from): a worker still starting up would otherwise run after the wait.
    /// </remarks>
    private static async Task PauseUntilIdleAsync(TestDatabase db, string jobs)
    {
        await db.ExecuteAsync($"SELECT alter_job(j, scheduled => false) FROM unnest(ARRAY[{jobs}]) j");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (await db.ScalarAsync<bool>(
                   $"""
                   SELECT EXISTS (SELECT FROM timescaledb_information.job_stats WHERE job_id IN ({jobs}) AND job_status = 'Running')
                       OR EXISTS (SELECT FROM _timescaledb_internal.bgw_job_stat WHERE job_id IN ({jobs}) AND last_start > last_finish)
                   """)
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>"segmentby|orderby" from hypertable_columnstore_settings, or null when the columnstore is disabled.</summary>
    public static async Task<string?> ColumnstoreSettingsAsync(TestDatabase db, string table)
    {
        await using var connection = await db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT coalesce(s.segmentby, '') || '|' || coalesce(s.orderby, '')
            FROM timescaledb_information.hypertables h
            JOIN timescaledb_information.hypertable_columnstore_settings s ON s.hypertable = format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass
            WHERE h.hypertable_schema = current_schema() AND h.hypertable_name = '{table}' AND h.compression_enabled
            """;
        return await command.ExecuteScalarAsync() as string;
    }

    public static Task<long> CompressedChunksAsync(TestDatabase db, string table)
        => db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}' AND is_compressed");

    public static Task<long> ChunksAsync(TestDatabase db, string table)
        => db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'");
}
