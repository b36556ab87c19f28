using System.Globalization;
using Hourglass.Cli.Info;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass.Cli.Doctor;

/// <summary>The checks of <c>hourglass doctor</c>, each a query against the connected database.</summary>
internal static class DoctorChecks
{
    /// <summary>The newest TimescaleDB release this tool knows; bump it with each release.</summary>
    public static readonly Version NewestKnownTimescale = new(2, 29, 0);

    public static async Task<List<CheckResult>> RunAsync(NpgsqlConnection connection, IReadOnlyList<string> schemas, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>();
        var timescale = await InfoQuery.ReadTimescaleAsync(connection, cancellationToken);
        if (!timescale.Installed)
        {
            results.Add(CheckResult.Fail(CheckIds.Extension, timescale.AvailableVersion is null
                ? "TimescaleDB is not available on this server: install the timescaledb package for this PostgreSQL version, add it to shared_preload_libraries, restart, then CREATE EXTENSION timescaledb."
                : $"TimescaleDB {timescale.AvailableVersion} is installable on this server but not created in database '{connection.Database}': run CREATE EXTENSION timescaledb; in that database."));
            return results;
        }

        results.Add(CheckResult.Pass(CheckIds.Extension, $"TimescaleDB {timescale.Version} is installed."));
        results.Add(CheckVersion(timescale));
        results.Add(CheckLicense(timescale.License));

        var settings = await ReadSettingsAsync(connection, cancellationToken);
        results.Add(settings.PreloadLibraries.Split(',').Any(l => l.Trim().Trim('"').StartsWith("timescaledb", StringComparison.Ordinal))
            ? CheckResult.Pass(CheckIds.Preload, $"shared_preload_libraries = '{settings.PreloadLibraries}'.")
            : CheckResult.Warn(CheckIds.Preload, $"timescaledb is not in shared_preload_libraries ('{settings.PreloadLibraries}'): its background workers cannot start. Add it in postgresql.conf and restart. (The embedded server loads TimescaleDB without it and has no background workers.)"));

        var report = await InfoQuery.ReadAsync(connection, schemas, cancellationToken);
        results.Add(CheckWorkers(settings, report.Jobs));
        results.Add(await CheckJobsAsync(connection, report.Jobs, cancellationToken));
        results.Add(await CheckPoliciesAsync(connection, report.Hypertables, cancellationToken));
        results.Add(await CheckChunkSizeAsync(connection, report.Hypertables, settings, cancellationToken));
        results.Add(CheckAggregates(report.ContinuousAggregates));
        return results;
    }

    internal static Version? ParseVersion(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var numeric = new string(text.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').ToArray()).TrimEnd('.');
        return Version.TryParse(!numeric.Contains('.', StringComparison.Ordinal) ? numeric + ".0" : numeric, out var version) ? version : null;
    }

    private static CheckResult CheckVersion(TimescaleInfo timescale)
    {
        var installed = ParseVersion(timescale.Version);
        var available = ParseVersion(timescale.AvailableVersion);
        if (installed is null)
        {
            return CheckResult.Warn(CheckIds.Version, $"TimescaleDB version '{timescale.Version}' could not be read.");
        }

        if (available is not null && available > installed)
        {
            return CheckResult.Warn(CheckIds.Version, $"TimescaleDB {timescale.Version} is installed but the server has {timescale.AvailableVersion}: run ALTER EXTENSION timescaledb UPDATE as the first command of a new session.");
        }

        if (installed < NewestKnownTimescale)
        {
            return CheckResult.Warn(CheckIds.Version, $"TimescaleDB {timescale.Version} is older than {NewestKnownTimescale.ToString(3)}, the newest this tool knows: install the new package, then ALTER EXTENSION timescaledb UPDATE.");
        }

        return CheckResult.Pass(CheckIds.Version, $"TimescaleDB {timescale.Version} is current (newest known: {NewestKnownTimescale.ToString(3)}).");
    }

    private static CheckResult CheckLicense(string? license) => license switch
    {
        "timescale" => CheckResult.Pass(CheckIds.License, "License 'timescale' (community): policies, columnstore and continuous aggregates are available."),
        "apache" => CheckResult.Warn(CheckIds.License, "License 'apache': columnstore, retention/columnstore policies, continuous aggregates and gapfill are unavailable. Set timescaledb.license = 'timescale' to use them."),
        _ => CheckResult.Warn(CheckIds.License, $"License '{license ?? "unknown"}' is not one this tool knows ('timescale' or 'apache')."),
    };

    private sealed record ServerSettings(string PreloadLibraries, int? MaxBackgroundWorkers, int MaxWorkerProcesses, int MaxParallelWorkers, long EffectiveCacheBytes, long SharedBufferBytes, int Databases, int Schedulers);

    private static async Task<ServerSettings> ReadSettingsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT current_setting('shared_preload_libraries'),
                   nullif(current_setting('timescaledb.max_background_workers', true), '')::int,
                   current_setting('max_worker_processes')::int,
                   coalesce(nullif(current_setting('max_parallel_workers', true), ''), '0')::int,
                   pg_size_bytes(current_setting('effective_cache_size')),
                   pg_size_bytes(current_setting('shared_buffers')),
                   (SELECT count(*)::int FROM pg_database WHERE datallowconn AND NOT datistemplate),
                   (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type ILIKE '%TimescaleDB Background Worker Scheduler%' OR application_name ILIKE '%TimescaleDB Background Worker Scheduler%')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ServerSettings(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3),
            reader.GetInt64(4), reader.GetInt64(5), reader.GetInt32(6), reader.GetInt32(7));
    }

    private static CheckResult CheckWorkers(ServerSettings settings, IReadOnlyList<JobInfo> jobs)
    {
        var scheduled = jobs.Count(j => j.Scheduled);
        if (settings.MaxBackgroundWorkers is null)
        {
            return CheckResult.Warn(CheckIds.Workers, $"This server has no TimescaleDB background workers, so {scheduled} scheduled job(s) never run by themselves: run them with CALL run_job(id), or use a server with timescaledb in shared_preload_libraries.");
        }

        if (settings.MaxBackgroundWorkers.Value == 0)
        {
            return CheckResult.Warn(CheckIds.Workers, "timescaledb.max_background_workers = 0: no job will run. Set it to at least the number of databases plus the jobs you expect to run at once.");
        }

        // One scheduler per database plus the jobs themselves; the server-wide pool must also fit them.
        var needed = settings.Databases + Math.Min(scheduled, 4);
        if (settings.MaxBackgroundWorkers.Value < needed)
        {
            return CheckResult.Warn(CheckIds.Workers, $"timescaledb.max_background_workers = {settings.MaxBackgroundWorkers} is low for {settings.Databases} database(s) and {scheduled} scheduled job(s): raise it to at least {needed}.");
        }

        if (settings.MaxWorkerProcesses < settings.MaxBackgroundWorkers.Value + settings.MaxParallelWorkers + 1)
        {
            return CheckResult.Warn(CheckIds.Workers, $"max_worker_processes = {settings.MaxWorkerProcesses} is below timescaledb.max_background_workers ({settings.MaxBackgroundWorkers}) + max_parallel_workers ({settings.MaxParallelWorkers}) + 1: raise it and restart.");
        }

        if (scheduled > 0 && settings.Schedulers == 0)
        {
            return CheckResult.Warn(CheckIds.Workers, $"{scheduled} job(s) are scheduled but no TimescaleDB scheduler is running (pg_stat_activity): check the server log and shared_preload_libraries.");
        }

        return CheckResult.Pass(CheckIds.Workers, $"timescaledb.max_background_workers = {settings.MaxBackgroundWorkers} for {settings.Databases} database(s) and {scheduled} scheduled job(s).");
    }

    private static async Task<CheckResult> CheckJobsAsync(NpgsqlConnection connection, IReadOnlyList<JobInfo> jobs, CancellationToken cancellationToken)
    {
        var failing = jobs.Where(j => j.LastRunStatus == "Failed").ToList();
        if (failing.Count > 0)
        {
            var details = new List<string>();
            foreach (var job in failing)
            {
                var error = await LastErrorAsync(connection, job.Id, cancellationToken);
                details.Add($"job {job.Id} ({job.Procedure}) failed {job.TotalFailures} time(s){(error is null ? "" : $": {error}")}");
            }

            return CheckResult.Fail(CheckIds.Jobs, $"Failing jobs: {string.Join("; ", details)}. See timescaledb_information.job_errors; fix the cause and CALL run_job(id).");
        }

        var now = DateTimeOffset.UtcNow;
        var neverRun = jobs.Where(j => j.Scheduled && j.TotalRuns == 0 && j.LastRunStartedAt is null
            && (j.NextStart is null || DateTimeOffset.Parse(j.NextStart, CultureInfo.InvariantCulture) < now.AddMinutes(-5))).ToList();
        if (neverRun.Count > 0)
        {
            return CheckResult.Warn(CheckIds.Jobs, $"Jobs that never ran: {string.Join(", ", neverRun.Select(j => $"{j.Id} ({j.Name})"))}. Without background workers they run only with CALL run_job(id).");
        }

        var recovered = jobs.Where(j => j.TotalFailures > 0).ToList();
        return recovered.Count > 0
            ? CheckResult.Warn(CheckIds.Jobs, $"Jobs that failed before but succeeded last: {string.Join(", ", recovered.Select(j => $"{j.Id} ({j.TotalFailures} failure(s))"))}.")
            : CheckResult.Pass(CheckIds.Jobs, $"{jobs.Count} job(s), none failing.");
    }

    private static async Task<string?> LastErrorAsync(NpgsqlConnection connection, int jobId, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand(
                "SELECT coalesce(err_message, '') FROM timescaledb_information.job_errors WHERE job_id = @id ORDER BY start_time DESC LIMIT 1", connection);
            command.Parameters.AddWithValue("id", jobId);
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }
        catch (PostgresException)
        {
            return null; // job_errors exists from 2.15; older servers just lose the detail.
        }
    }

    private static async Task<CheckResult> CheckPoliciesAsync(NpgsqlConnection connection, IReadOnlyList<HypertableInfo> hypertables, CancellationToken cancellationToken)
    {
        var unmanaged = new List<string>();
        var checkedCount = 0;
        foreach (var h in hypertables)
        {
            var time = h.Dimensions.FirstOrDefault(d => d.Kind == "range");
            if (time is null || time.ColumnType is "smallint" or "integer" or "bigint")
            {
                continue;
            }

            checkedCount++;
            await using var command = new NpgsqlCommand(
                """
                SELECT NOT EXISTS (SELECT 1 FROM timescaledb_information.jobs j
                                   WHERE j.hypertable_schema = @schema AND j.hypertable_name = @name
                                     AND j.proc_name IN ('policy_compression', 'policy_retention'))
                   AND EXISTS (SELECT 1 FROM timescaledb_information.chunks c
                               WHERE c.hypertable_schema = @schema AND c.hypertable_name = @name
                                 AND c.range_end < now() - (SELECT d.time_interval FROM timescaledb_information.dimensions d
                                                           WHERE d.hypertable_schema = @schema AND d.hypertable_name = @name AND d.dimension_number = 1))
                """, connection);
            command.Parameters.AddWithValue("schema", h.Schema);
            command.Parameters.AddWithValue("name", h.Name);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                unmanaged.Add($"{h.Schema}.{h.Name}");
            }
        }

        return unmanaged.Count > 0
            ? CheckResult.Warn(CheckIds.Policies, $"Hypertables with chunks older than their interval but no columnstore or retention policy (they grow uncompressed forever): {string.Join(", ", unmanaged)}. Add add_columnstore_policy or add_retention_policy.")
            : CheckResult.Pass(CheckIds.Policies, $"{checkedCount} time-partitioned hypertable(s): none keeps chunks older than its interval without a columnstore or retention policy.");
    }

    private static async Task<CheckResult> CheckChunkSizeAsync(NpgsqlConnection connection, IReadOnlyList<HypertableInfo> hypertables, ServerSettings settings, CancellationToken cancellationToken)
    {
        var catalog = await TimescaleCatalog.DetectAsync(connection, cancellationToken);
        long total = 0;
        var largest = ("", 0L);
        foreach (var h in hypertables.Where(h => h.Chunks > 0))
        {
            // The newest chunks (all hash partitions of the latest range) are the ones inserts and recent queries keep in memory.
            await using var command = new NpgsqlCommand(
                $"""
                WITH c AS (SELECT chunk_schema, chunk_name, coalesce(extract(epoch FROM range_end)::numeric, range_end_integer::numeric) AS ending
                           FROM timescaledb_information.chunks WHERE hypertable_schema = @schema AND hypertable_name = @name AND NOT is_compressed)
                SELECT coalesce(sum(s.total_bytes), 0)::bigint
                FROM {catalog.ExtensionSchema}.chunks_detailed_size(format('%I.%I', @schema, @name)::regclass) s
                JOIN c ON c.chunk_schema = s.chunk_schema AND c.chunk_name = s.chunk_name
                WHERE c.ending = (SELECT max(ending) FROM c)
                """, connection);
            command.Parameters.AddWithValue("schema", NpgsqlDbType.Text, h.Schema);
            command.Parameters.AddWithValue("name", NpgsqlDbType.Text, h.Name);
            var bytes = (long)(await command.ExecuteScalarAsync(cancellationToken) ?? 0L);
            total += bytes;
            if (bytes > largest.Item2)
            {
                largest = ($"{h.Schema}.{h.Name}", bytes);
            }
        }

        var memory = Math.Max(settings.EffectiveCacheBytes, settings.SharedBufferBytes * 4);
        var budget = memory / 4;
        var basis = $"25% of memory ≈ {InfoCommand.Bytes(budget)}; memory estimated as max(effective_cache_size {InfoCommand.Bytes(settings.EffectiveCacheBytes)}, 4 × shared_buffers {InfoCommand.Bytes(settings.SharedBufferBytes)}) since SQL cannot see the machine's RAM";
        return total > budget
            ? CheckResult.Warn(CheckIds.ChunkSize, $"The newest chunks of all hypertables take {InfoCommand.Bytes(total)} (largest: {largest.Item1}, {InfoCommand.Bytes(largest.Item2)}), more than {basis}. Shorten chunk intervals with set_partitioning_interval.")
            : CheckResult.Pass(CheckIds.ChunkSize, $"The newest chunks of all hypertables take {InfoCommand.Bytes(total)}, within {basis}.");
    }

    private static CheckResult CheckAggregates(IReadOnlyList<ContinuousAggregateInfo> aggregates)
    {
        var stale = aggregates.Where(a => !a.Refreshed).Select(a => $"{a.Schema}.{a.Name}").ToList();
        return stale.Count > 0
            ? CheckResult.Warn(CheckIds.Aggregates, $"Continuous aggregates never refreshed (queries see only real-time data, or nothing with materialized_only): {string.Join(", ", stale)}. Add add_continuous_aggregate_policy or CALL refresh_continuous_aggregate.")
            : CheckResult.Pass(CheckIds.Aggregates, $"{aggregates.Count} continuous aggregate(s), all refreshed.");
    }
}
