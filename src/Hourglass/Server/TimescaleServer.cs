namespace Hourglass;

/// <summary>The server and the database a client talks to, and the TimescaleDB installed there (if any).</summary>
/// <param name="PostgresVersion">PostgreSQL's version, e.g. 15.18.</param>
/// <param name="PostgresVersionText">PostgreSQL's version as the server reports it (server_version).</param>
/// <param name="Database">The connected database.</param>
/// <param name="User">The connected role.</param>
/// <param name="TimescaleVersion">The installed extension's version; null when TimescaleDB is not installed in this database.</param>
/// <param name="TimescaleVersionText">The installed version as the catalog has it, e.g. "2.23.0-dev".</param>
/// <param name="AvailableVersionText">The version the server's package offers (pg_available_extensions); newer than the installed one until ALTER EXTENSION timescaledb UPDATE.</param>
/// <param name="License">timescaledb.license: "timescale" (community) or "apache"; null without TimescaleDB.</param>
/// <param name="Edition">The edition that license means.</param>
/// <param name="PreloadLibraries">shared_preload_libraries; null when the role may not read it (only superusers and members of pg_read_all_settings may).</param>
/// <param name="IsPreloaded">Whether timescaledb is in shared_preload_libraries (needed for background workers); null when the role may not read it.</param>
/// <param name="MaxBackgroundWorkers">timescaledb.max_background_workers; null when the server has no such setting (no background workers, e.g. the embedded server).</param>
/// <param name="MaxWorkerProcesses">max_worker_processes.</param>
/// <param name="MaxParallelWorkers">max_parallel_workers.</param>
/// <param name="IsSchedulerRunning">Whether TimescaleDB's job scheduler runs for THIS database right now (pg_stat_activity).</param>
/// <param name="SchedulersOnServer">Schedulers running on the whole server: one per database that has the extension.</param>
/// <param name="SharedBuffersBytes">shared_buffers in bytes.</param>
/// <param name="EffectiveCacheSizeBytes">effective_cache_size in bytes.</param>
public sealed record TimescaleServer(
    Version PostgresVersion,
    string PostgresVersionText,
    string Database,
    string User,
    Version? TimescaleVersion,
    string? TimescaleVersionText,
    string? AvailableVersionText,
    string? License,
    TimescaleEdition Edition,
    string? PreloadLibraries,
    bool? IsPreloaded,
    int? MaxBackgroundWorkers,
    int MaxWorkerProcesses,
    int MaxParallelWorkers,
    bool IsSchedulerRunning,
    int SchedulersOnServer,
    long SharedBuffersBytes,
    long EffectiveCacheSizeBytes)
{
    /// <summary>The schemas TimescaleDB creates for itself (catalog, internals, views), across 2.13 to 2.29.</summary>
    public static IReadOnlyList<string> OwnSchemas => Infrastructure.ServerCatalog.OwnSchemas;

    /// <summary>Whether the timescaledb extension is installed in this database.</summary>
    public bool IsInstalled => TimescaleVersion is not null;

    /// <summary>PostgreSQL's major version (15, 16, 17...).</summary>
    public int PostgresMajor => PostgresVersion.Major;

    /// <summary>
    /// Whether <paramref name="job"/> cannot succeed under this server's license, so its failures are the license's, not
    /// something to fix and rerun: on the Apache edition TimescaleDB's own job-history retention job is
    /// community-licensed and fails at every run ("not supported under the current "apache" license").
    /// </summary>
    /// <param name="job">A job of this database.</param>
    /// <returns>True when the license forbids the job.</returns>
    public bool LicenseForbids(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Edition == TimescaleEdition.Apache && job.Kind == JobKind.JobHistoryRetention;
    }
}

/// <summary>The TimescaleDB edition, from timescaledb.license.</summary>
public enum TimescaleEdition
{
    /// <summary>TimescaleDB is not installed in this database.</summary>
    None,

    /// <summary>License "timescale": columnstore, policies, continuous aggregates and jobs are available.</summary>
    Community,

    /// <summary>License "apache": hypertables only; columnstore, policies, continuous aggregates and gapfill are not.</summary>
    Apache,

    /// <summary>A license value this library does not know.</summary>
    Unknown,
}
