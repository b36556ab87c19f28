using System.Globalization;
using Hourglass.Cli.Info;
using Npgsql;

namespace Hourglass.Cli.Doctor;

/// <summary>The checks of <c>hourglass doctor</c>, judged on one read of the catalog through the Hourglass library.</summary>
internal static class DoctorChecks
{
    public static async Task<List<CheckResult>> RunAsync(NpgsqlConnection connection, IReadOnlyList<string> schemas, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>();
        var snapshot = await CatalogSnapshot.ReadAsync(connection, schemas, cancellationToken);
        var server = snapshot.Server;
        if (!server.IsInstalled)
        {
            results.Add(CheckResult.Fail(CheckIds.Extension, server.AvailableVersionText is null
                ? "TimescaleDB is not available on this server: install the timescaledb package for this PostgreSQL version, add it to shared_preload_libraries, restart, then CREATE EXTENSION timescaledb."
                : $"TimescaleDB {server.AvailableVersionText} is installable on this server but not created in database '{server.Database}': run CREATE EXTENSION timescaledb; in that database."));
            return results;
        }

        results.Add(CheckResult.Pass(CheckIds.Extension, $"TimescaleDB {server.TimescaleVersionText} is installed."));
        results.Add(CheckVersion(server));
        results.Add(CheckLicense(server.License));
        results.Add(server.IsPreloaded is null
            ? CheckResult.Warn(CheckIds.Preload, $"shared_preload_libraries cannot be read by role '{server.User}' (it needs superuser or pg_read_all_settings), so whether timescaledb is preloaded is unknown. Run doctor as such a role, or GRANT pg_read_all_settings TO {server.User}.")
            : server.IsPreloaded is true
            ? CheckResult.Pass(CheckIds.Preload, $"shared_preload_libraries = '{server.PreloadLibraries}'.")
            : CheckResult.Warn(CheckIds.Preload, $"timescaledb is not in shared_preload_libraries ('{server.PreloadLibraries}'): its background workers cannot start. Add it in postgresql.conf and restart. (The embedded server loads TimescaleDB without it and has no background workers.)"));
        results.Add(CheckWorkers(server, snapshot.Jobs));
        results.Add(await CheckJobsAsync(connection, server, snapshot.Jobs, cancellationToken));
        results.Add(CheckPolicies(snapshot));
        results.Add(CheckChunkSize(snapshot));
        results.Add(CheckAggregates(snapshot.Aggregates, snapshot.Jobs, server, await connection.Timescale().GetPendingMigrationRefreshesAsync(schemas, cancellationToken)));
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

    /// <summary>Advice that fits the server: never a TimescaleDB release that does not support its PostgreSQL major.</summary>
    internal static CheckResult CheckVersion(TimescaleServer server)
    {
        var installed = server.TimescaleVersion;
        var available = ParseVersion(server.AvailableVersionText);
        if (installed is null)
        {
            return CheckResult.Warn(CheckIds.Version, $"TimescaleDB version '{server.TimescaleVersionText}' could not be read.");
        }

        if (available is not null && available > installed)
        {
            return CheckResult.Warn(CheckIds.Version, $"TimescaleDB {server.TimescaleVersionText} is installed but the server has {server.AvailableVersionText}: run ALTER EXTENSION timescaledb UPDATE as the first command of a new session.");
        }

        var pg = server.PostgresMajor;
        var newest = TimescaleReleases.Newest;
        var newestForPostgres = TimescaleReleases.NewestFor(pg);
        if (newestForPostgres is null)
        {
            return CheckResult.Warn(CheckIds.Version, $"No TimescaleDB release this tool knows supports PostgreSQL {pg} (newest known: {newest.ToString(3)}, for PostgreSQL {TimescaleReleases.NewestSupports.Min}–{TimescaleReleases.NewestSupports.Max}).");
        }

        var line = newestForPostgres.ToString(2);
        var beyond = newest > newestForPostgres
            ? $" TimescaleDB {newest.ToString(2)} needs PostgreSQL {TimescaleReleases.NewestNeedsPostgres} or later (it supports {TimescaleReleases.NewestSupports.Min}–{TimescaleReleases.NewestSupports.Max}): {line}.x is the last release line for PostgreSQL {pg}, so upgrade PostgreSQL first to go beyond {line}."
            : "";
        var installedRelease = new Version(installed.Major, installed.Minor, Math.Max(0, installed.Build));
        if (new Version(installed.Major, installed.Minor) < new Version(newestForPostgres.Major, newestForPostgres.Minor))
        {
            return CheckResult.Warn(CheckIds.Version, $"TimescaleDB {server.TimescaleVersionText} is older than {newestForPostgres.ToString(3)}, the newest release for PostgreSQL {pg} ({line} line): install its package, then ALTER EXTENSION timescaledb UPDATE.{beyond}");
        }

        if (installedRelease < newestForPostgres)
        {
            return CheckResult.Warn(CheckIds.Version, $"TimescaleDB {server.TimescaleVersionText} is older than {newestForPostgres.ToString(3)}, the newest patch release of the {line} line (bug and security fixes): install its package, then ALTER EXTENSION timescaledb UPDATE.{beyond}");
        }

        return installedRelease > newestForPostgres
            ? CheckResult.Pass(CheckIds.Version, $"TimescaleDB {server.TimescaleVersionText} is newer than {newestForPostgres.ToString(3)}, the newest release for PostgreSQL {pg} that this tool knows.{beyond}")
            : CheckResult.Pass(CheckIds.Version, $"TimescaleDB {server.TimescaleVersionText} is the newest release for PostgreSQL {pg} that this tool knows ({newestForPostgres.ToString(3)}).{beyond}");
    }

    private static CheckResult CheckLicense(string? license) => license switch
    {
        "timescale" => CheckResult.Pass(CheckIds.License, "License 'timescale' (community): policies, columnstore and continuous aggregates are available."),
        "apache" => CheckResult.Warn(CheckIds.License, "License 'apache': columnstore, retention/columnstore policies, continuous aggregates and gapfill are unavailable. Set timescaledb.license = 'timescale' to use them."),
        _ => CheckResult.Warn(CheckIds.License, $"License '{license ?? "unknown"}' is not one this tool knows ('timescale' or 'apache')."),
    };

    /// <summary>
    /// Counts what needs a worker: one scheduler per database that has the extension (the schedulers running on the
    /// server; this database at least) plus the jobs that may run at once.
    /// </summary>
    private static CheckResult CheckWorkers(TimescaleServer server, IReadOnlyList<Job> jobs)
    {
        var scheduled = jobs.Count(j => j.Scheduled);
        if (server.MaxBackgroundWorkers is null)
        {
            return CheckResult.Warn(CheckIds.Workers, $"This server has no TimescaleDB background workers, so {scheduled} scheduled job(s) never run by themselves: run them with CALL run_job(id) (hourglass jobs run ID), or use a server with timescaledb in shared_preload_libraries.");
        }

        if (server.MaxBackgroundWorkers.Value == 0)
        {
            return CheckResult.Warn(CheckIds.Workers, "timescaledb.max_background_workers = 0: no job will run. Set it to at least the number of databases with TimescaleDB plus the jobs you expect to run at once.");
        }

        var databases = Math.Max(1, server.SchedulersOnServer);
        var needed = databases + Math.Min(scheduled, 4);
        if (server.MaxBackgroundWorkers.Value < needed)
        {
            return CheckResult.Warn(CheckIds.Workers, $"timescaledb.max_background_workers = {server.MaxBackgroundWorkers} is low for {databases} database(s) with TimescaleDB (one scheduler each) and {scheduled} scheduled job(s): raise it to at least {needed}.");
        }

        if (server.MaxWorkerProcesses < server.MaxBackgroundWorkers.Value + server.MaxParallelWorkers + 1)
        {
            return CheckResult.Warn(CheckIds.Workers, $"max_worker_processes = {server.MaxWorkerProcesses} is below timescaledb.max_background_workers ({server.MaxBackgroundWorkers}) + max_parallel_workers ({server.MaxParallelWorkers}) + 1: raise it and restart.");
        }

        if (scheduled > 0 && !server.IsSchedulerRunning)
        {
            return CheckResult.Warn(CheckIds.Workers, $"{scheduled} job(s) are scheduled but no TimescaleDB scheduler runs for database '{server.Database}' (pg_stat_activity): check the server log and shared_preload_libraries.");
        }

        return CheckResult.Pass(CheckIds.Workers, $"timescaledb.max_background_workers = {server.MaxBackgroundWorkers} for {databases} database(s) with TimescaleDB (one scheduler each) and {scheduled} scheduled job(s) here; the scheduler of '{server.Database}' is {(server.IsSchedulerRunning ? "running" : "idle")}.");
    }

    private static async Task<CheckResult> CheckJobsAsync(NpgsqlConnection connection, TimescaleServer server, IReadOnlyList<Job> allJobs, CancellationToken cancellationToken)
    {
        // Jobs the license cannot run (the Apache edition's job-history retention) fail at every run; the license check
        // already says what the edition lacks, so they are named here but are no failure to fix and rerun. Neither is the
        // telemetry job that cannot send its report (a server without internet): a warning while telemetry is on, saying
        // how to turn it off; once it is off the scheduler no longer starts the job, so its last failure is only noted.
        var forbidden = allJobs.Where(server.LicenseForbids).ToList();
        var telemetry = allJobs.Where(server.IsTelemetryFailure).ToList();
        var jobs = allJobs.Except(forbidden).Except(telemetry).ToList();
        var licenseNote = forbidden.Count == 0 ? "" : $" Not counted: {string.Join(", ", forbidden.Select(j => $"job {j.Id} ({j.Name})"))}, TimescaleDB's own, which the '{server.License}' license cannot run.";
        var telemetryJobs = string.Join(", ", telemetry.Select(j => $"job {j.Id} ({j.Name})"));
        var telemetryNote = telemetry.Count == 0 ? ""
            : server.IsTelemetryOn
                ? $" TimescaleDB's telemetry job, {telemetryJobs}, fails: it cannot send its report (usually the server cannot reach the internet). Harmless to the database and not counted as a failing job; to stop it, turn telemetry off: {TimescaleServer.TelemetryOffAdvice}."
                : $" Not counted: {telemetryJobs}, TimescaleDB's telemetry job, failed before telemetry was turned off (timescaledb.telemetry_level = {server.TelemetryLevel}); it no longer runs.";
        var notes = licenseNote + telemetryNote;
        var failing = jobs.Where(j => j.IsFailing).ToList();
        if (failing.Count > 0)
        {
            var details = new List<string>();
            foreach (var job in failing)
            {
                var error = await LastErrorAsync(connection, job.Id, cancellationToken);
                details.Add($"job {job.Id} ({job.Procedure}) failed {job.TotalFailures} time(s){(error is null ? "" : $": {error}")}");
            }

            return CheckResult.Fail(CheckIds.Jobs, $"Failing jobs: {string.Join("; ", details)}. See `hourglass jobs errors`; fix the cause and run it again (hourglass jobs run ID).{notes}");
        }

        // Paused jobs and TimescaleDB's telemetry job (never started when telemetry is off) are not "never ran".
        var now = DateTimeOffset.UtcNow;
        var neverRun = jobs.Where(j => j.Scheduled && j.Kind != JobKind.Telemetry && j.NeverRan
            && (j.NextStart is null || j.NextStart < now.AddMinutes(-5))).ToList();
        if (neverRun.Count > 0)
        {
            var why = server.MaxBackgroundWorkers is null
                ? "This server has no background workers, so they run only by hand"
                : "The scheduler has not started them (see the workers check)";
            return CheckResult.Warn(CheckIds.Jobs, $"Jobs that never ran although due: {string.Join(", ", neverRun.Select(j => $"{j.Id} ({j.Name})"))}. {why}: run them now ({string.Join(", ", neverRun.Select(j => $"`hourglass jobs run {j.Id}`"))}); a run by hand also moves a job's next start one schedule interval ahead, as the scheduler does after a run.{notes}");
        }

        var recovered = jobs.Where(j => j.TotalFailures > 0 && j.Kind != JobKind.Telemetry).ToList();
        var paused = jobs.Count(j => !j.Scheduled);
        if (recovered.Count > 0)
        {
            return CheckResult.Warn(CheckIds.Jobs, $"Jobs that failed before but succeeded last: {string.Join(", ", recovered.Select(j => $"{j.Id} ({j.TotalFailures} failure(s))"))}.{notes}");
        }

        var summary = $"{jobs.Count} job(s), none failing{(paused > 0 ? $", {paused} paused" : "")}.{notes}";
        return telemetry.Count > 0 && server.IsTelemetryOn ? CheckResult.Warn(CheckIds.Jobs, summary) : CheckResult.Pass(CheckIds.Jobs, summary);
    }

    private static async Task<string?> LastErrorAsync(NpgsqlConnection connection, int jobId, CancellationToken cancellationToken)
    {
        try
        {
            var errors = await connection.Timescale().GetJobErrorsAsync(jobId, 1, cancellationToken);
            return errors.Count == 0 ? null : errors[0].Description;
        }
        catch (TimescaleException)
        {
            return null; // job_errors exists from 2.15; older servers just lose the detail.
        }
    }

    private static CheckResult CheckPolicies(CatalogSnapshot snapshot)
    {
        var unmanaged = new List<string>();
        var compressNow = new List<string>();
        var checkedCount = 0;
        foreach (var h in snapshot.Hypertables)
        {
            if (h.PrimaryDimension is not { Interval: { } interval })
            {
                continue; // integer time: "older than its interval" needs the integer now function; not judged here
            }

            checkedCount++;
            var managed = snapshot.Jobs.Any(j => j.RelationSchema == h.Schema && j.RelationName == h.Name && j.Kind is JobKind.Columnstore or JobKind.Retention);
            var cutoff = DateTimeOffset.UtcNow - interval;
            // Chunks already in the columnstore are what the advice asks for; only old rowstore chunks grow uncompressed.
            var old = snapshot.Chunks.TryGetValue(h.QualifiedName, out var chunks) && chunks.Any(c => c.RangeEnd < cutoff && !c.IsColumnstore);
            if (!managed && old)
            {
                unmanaged.Add(h.QualifiedName);
                compressNow.Add(h.ColumnstoreEnabled
                    ? $"`hourglass chunks {h.QualifiedName} --compress --older-than {Math.Max(1, (long)Math.Ceiling(interval.TotalHours))}h`"
                    : $"`ALTER TABLE {h.QualifiedName} SET (timescaledb.enable_columnstore)`, then `hourglass chunks {h.QualifiedName} --compress --older-than {Math.Max(1, (long)Math.Ceiling(interval.TotalHours))}h`");
            }
        }

        // The Apache edition has no columnstore and no policies: only dropping old chunks by hand (or a cron of one's own) bounds the growth.
        var fix = snapshot.Server.Edition == TimescaleEdition.Apache
            ? $"The '{snapshot.Server.License}' license has no columnstore or policies: drop old chunks on a schedule of your own (hourglass chunks TABLE --drop --older-than 90d, or drop_chunks()), or set timescaledb.license = 'timescale' for policies."
            : $"Add a columnstore or retention policy (WithColumnstorePolicy(...)/WithRetentionPolicy(...) in the EF model, or add_columnstore_policy/add_retention_policy), or convert the old chunks now: {string.Join("; ", compressNow)}.";
        return unmanaged.Count > 0
            ? CheckResult.Warn(CheckIds.Policies, $"Hypertables with chunks older than their interval but no columnstore or retention policy (they grow uncompressed forever): {string.Join(", ", unmanaged)}. {fix}")
            : CheckResult.Pass(CheckIds.Policies, $"{checkedCount} time-partitioned hypertable(s): none keeps chunks older than its interval without a columnstore or retention policy.");
    }

    private static CheckResult CheckChunkSize(CatalogSnapshot snapshot)
    {
        long total = 0;
        var largest = ("", 0L);
        foreach (var h in snapshot.Hypertables)
        {
            // The newest chunks (all hash partitions of the latest range) are the ones inserts and recent queries keep in memory.
            var rowstore = snapshot.Chunks.TryGetValue(h.QualifiedName, out var chunks) ? chunks.Where(c => !c.IsColumnstore).ToList() : [];
            if (rowstore.Count == 0)
            {
                continue;
            }

            var newest = rowstore.Max(c => c.RangeEnd?.UtcTicks ?? c.RangeEndInteger ?? long.MinValue);
            var bytes = rowstore.Where(c => (c.RangeEnd?.UtcTicks ?? c.RangeEndInteger ?? long.MinValue) == newest).Sum(c => c.Size.TotalBytes);
            total += bytes;
            if (bytes > largest.Item2)
            {
                largest = (h.QualifiedName, bytes);
            }
        }

        var server = snapshot.Server;
        var memory = Math.Max(server.EffectiveCacheSizeBytes, server.SharedBuffersBytes * 4);
        var budget = memory / 4;
        var basis = $"25% of memory ≈ {InfoCommand.Bytes(budget)}; memory estimated as max(effective_cache_size {InfoCommand.Bytes(server.EffectiveCacheSizeBytes)}, 4 × shared_buffers {InfoCommand.Bytes(server.SharedBuffersBytes)}) since SQL cannot see the machine's RAM";
        return total > budget
            ? CheckResult.Warn(CheckIds.ChunkSize, $"The newest chunks of all hypertables take {InfoCommand.Bytes(total)} (largest: {largest.Item1}, {InfoCommand.Bytes(largest.Item2)}), more than {basis}. Shorten chunk intervals with set_partitioning_interval.")
            : CheckResult.Pass(CheckIds.ChunkSize, $"The newest chunks of all hypertables take {InfoCommand.Bytes(total)}, within {basis}.");
    }

    private static CheckResult CheckAggregates(IReadOnlyList<ContinuousAggregate> aggregates, IReadOnlyList<Job> jobs, TimescaleServer server, IReadOnlyList<PendingMigrationRefresh> pendingRefreshes)
    {
        if (pendingRefreshes.Count > 0)
        {
            return CheckResult.Warn(CheckIds.Aggregates,
                $"Continuous aggregate refreshes that applied migrations asked for and that have not run yet (a `database update` was interrupted, or the refresh failed): "
                + $"{string.Join(", ", pendingRefreshes.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.QualifiedName} (pending since {p.RequestedAt:u})")))}. Run the migrations again (dotnet ef database update, or the application's Database.Migrate()): they finish pending refreshes first.");
        }

        var stale = aggregates.Where(a => !a.IsRefreshed).ToList();
        return stale.Count > 0
            ? CheckResult.Warn(CheckIds.Aggregates, $"Continuous aggregates never refreshed (queries see only real-time data, or nothing with materialized_only): {string.Join("; ", stale.Select(a => NeverRefreshed(a, jobs, server)))}.")
            : CheckResult.Pass(CheckIds.Aggregates, $"{aggregates.Count} continuous aggregate(s), all refreshed.");
    }

    /// <summary>What to do about one never-refreshed aggregate: its policy's first run if it has one, and how to refresh now.</summary>
    private static string NeverRefreshed(ContinuousAggregate aggregate, IReadOnlyList<Job> jobs, TimescaleServer server)
    {
        var refreshNow = $"refresh now with `hourglass refresh {aggregate.QualifiedName}`";
        var policy = jobs.FirstOrDefault(j => j.Kind == JobKind.ContinuousAggregateRefresh && j.Relation == aggregate.QualifiedName);
        if (policy is null)
        {
            return $"{aggregate.QualifiedName} has no refresh policy: {refreshNow}, and add one (WithRefreshPolicy(...) in the EF model, or add_continuous_aggregate_policy) to keep it fresh";
        }

        var first = !policy.Scheduled
            ? $"its refresh policy (job {policy.Id}) is paused"
            : server.MaxBackgroundWorkers is null
            ? $"its refresh policy (job {policy.Id}) never runs by itself on this server without background workers"
            : policy.NextStart is { } next && next > DateTimeOffset.UtcNow
            ? string.Create(CultureInfo.InvariantCulture, $"its refresh policy (job {policy.Id}) first runs at {next:u}")
            : $"its refresh policy (job {policy.Id}) is due and waits for the scheduler";
        return $"{aggregate.QualifiedName}: {first}; {refreshNow}, or run the policy with `hourglass jobs run {policy.Id}`";
    }
}
