using Npgsql;

namespace Hourglass.Infrastructure;

/// <summary>
/// What one database offers: versions, settings, and which TimescaleDB names exist there. Read in one round trip at the
/// start of each call, so an extension upgrade between calls is seen at once.
/// </summary>
internal sealed record ServerCatalog(
    string PostgresVersionText,
    int PostgresVersionNumber,
    string Database,
    string User,
    string? TimescaleVersionText,
    string? ExtensionSchema,
    string? AvailableVersionText,
    string? License,
    string? PreloadLibraries,
    int? MaxBackgroundWorkers,
    int MaxWorkerProcesses,
    int MaxParallelWorkers,
    long EffectiveCacheBytes,
    long SharedBufferBytes,
    int SchedulersInDatabase,
    int SchedulersOnServer,
    IReadOnlySet<string> Functions,
    IReadOnlySet<string> Views,
    IReadOnlySet<string> HypertableColumns,
    bool ShowChunksHasCreatedBefore,
    string? TelemetryLevel = null,
    bool AlterJobHasConfigMerge = false)
{
    private const string Sql = """
        SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_database()::text, current_user::text,
               e.extversion::text, quote_ident(n.nspname),
               (SELECT default_version::text FROM pg_catalog.pg_available_extensions WHERE name = 'timescaledb'),
               current_setting('timescaledb.license', true),
               -- Only superusers and pg_read_all_settings may read it; pg_settings leaves it out for others.
               (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'shared_preload_libraries'),
               nullif(current_setting('timescaledb.max_background_workers', true), '')::int,
               current_setting('max_worker_processes')::int,
               coalesce(nullif(current_setting('max_parallel_workers', true), ''), '0')::int,
               pg_catalog.pg_size_bytes(current_setting('effective_cache_size')),
               pg_catalog.pg_size_bytes(current_setting('shared_buffers')),
               (SELECT count(*)::int FROM pg_catalog.pg_stat_activity a
                 WHERE a.datname = current_database() AND (a.backend_type ILIKE '%TimescaleDB Background Worker Scheduler%' OR a.application_name ILIKE '%TimescaleDB Background Worker Scheduler%')),
               (SELECT count(*)::int FROM pg_catalog.pg_stat_activity a
                 WHERE a.backend_type ILIKE '%TimescaleDB Background Worker Scheduler%' OR a.application_name ILIKE '%TimescaleDB Background Worker Scheduler%'),
               coalesce((SELECT array_agg(DISTINCT p.proname::text) FROM pg_catalog.pg_proc p WHERE p.pronamespace = e.extnamespace), '{}'),
               coalesce((SELECT array_agg(c.relname::text) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace vn ON vn.oid = c.relnamespace
                          WHERE vn.nspname = 'timescaledb_information'), '{}'),
               coalesce((SELECT array_agg(a.attname::text) FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid = to_regclass('timescaledb_information.hypertables') AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
               EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = e.extnamespace AND p.proname = 'show_chunks' AND 'created_before' = ANY(p.proargnames)),
               nullif(current_setting('timescaledb.telemetry_level', true), ''),
               EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = e.extnamespace AND p.proname = 'alter_job' AND 'config_merge' = ANY(p.proargnames))
        FROM (SELECT 1) one
        LEFT JOIN pg_catalog.pg_extension e ON e.extname = 'timescaledb'
        LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
        """;

    /// <summary>The schemas TimescaleDB creates for itself (catalog, internals, views), across 2.13 to 2.29.</summary>
    public static readonly IReadOnlyList<string> OwnSchemas =
    [
        "_timescaledb_internal", "_timescaledb_catalog", "_timescaledb_config", "_timescaledb_cache",
        "_timescaledb_functions", "_timescaledb_debug", "timescaledb_information", "timescaledb_experimental",
    ];

    public bool IsInstalled => TimescaleVersionText is not null;

    public Version? TimescaleVersion => VersionText.Parse(TimescaleVersionText);

    /// <summary>Where internal helper functions live: _timescaledb_functions from 2.12, _timescaledb_internal before.</summary>
    public string InternalSchema => InternalSchemaFor(Functions.Count > 0 ? TimescaleVersion : null);

    public string Fn => ExtensionSchema ?? "public";

    public bool HasFunction(string name) => Functions.Contains(name);

    public bool HasView(string name) => Views.Contains(name);

    /// <summary>The hypertables view's columnstore flag: compression_enabled until it was renamed.</summary>
    public string HypertableColumnstoreColumn => HypertableColumns.Contains("compression_enabled") ? "compression_enabled" : "columnstore_enabled";

    public string ColumnstoreStatsFunction => HasFunction("hypertable_columnstore_stats") ? "hypertable_columnstore_stats" : "hypertable_compression_stats";

    public string ChunkColumnstoreStatsFunction => HasFunction("chunk_columnstore_stats") ? "chunk_columnstore_stats" : "chunk_compression_stats";

    public bool HasChunkCreationTime => ShowChunksHasCreatedBefore;

    /// <summary>The table of jobs: <c>_timescaledb_catalog.bgw_job</c> from 2.25, <c>_timescaledb_config.bgw_job</c> before (2.25 left a view there).</summary>
    public string JobTable => JobTableFor(TimescaleVersion);

    /// <summary>
    /// Where the columnstore's segmentby and orderby columns are read as typed rows (column, position, direction, nulls):
    /// the per-column view <c>timescaledb_information.compression_settings</c>, which 2.13 through 2.29 keep with the same
    /// columns; on a server without it, the arrays of <c>_timescaledb_catalog.compression_settings</c> (2.14+).
    /// </summary>
    public ColumnstoreColumnsSource ColumnstoreColumns => ColumnstoreColumnsFor(HasView("compression_settings"));

    /// <summary>
    /// How <c>alter_job</c> merges keys into a job's configuration: its own <c>config_merge</c> argument from 2.29, else
    /// <c>config => config || merge</c> (the same shallow jsonb concatenation, computed in the call).
    /// </summary>
    public ConfigMergeForm ConfigMerge => ConfigMergeFor(AlterJobHasConfigMerge);

    // The version choices as pure functions, so tests can check them for servers that are not at hand.
    internal static string JobTableFor(Version? timescale) =>
        timescale is not null && timescale < new Version(2, 25) ? "_timescaledb_config.bgw_job" : "_timescaledb_catalog.bgw_job";

    internal static ColumnstoreColumnsSource ColumnstoreColumnsFor(bool hasPerColumnView) =>
        hasPerColumnView ? ColumnstoreColumnsSource.PerColumnView : ColumnstoreColumnsSource.CatalogArrays;

    internal static ConfigMergeForm ConfigMergeFor(bool alterJobHasConfigMerge) =>
        alterJobHasConfigMerge ? ConfigMergeForm.AlterJobArgument : ConfigMergeForm.ConcatenatedConfig;

    internal static string InternalSchemaFor(Version? timescale) =>
        timescale is not null && timescale < new Version(2, 12) ? "_timescaledb_internal" : "_timescaledb_functions";

    public void RequireTimescale(string call)
    {
        if (!IsInstalled)
        {
            throw new TimescaleException(
                $"{call} needs TimescaleDB, which is not installed in database '{Database}'"
                + (AvailableVersionText is null
                    ? ": install the timescaledb package for this PostgreSQL, add it to shared_preload_libraries, restart, then CREATE EXTENSION timescaledb."
                    : $" ({AvailableVersionText} is available on the server): run CREATE EXTENSION timescaledb."));
        }
    }

    /// <summary>Throws naming the version that introduced <paramref name="function"/> when this server lacks it.</summary>
    public void RequireFunction(string call, string function, string since)
    {
        RequireTimescale(call);
        if (!HasFunction(function))
        {
            throw new TimescaleException($"{call} needs {function}, which TimescaleDB has from {since}; this database has TimescaleDB {TimescaleVersionText}. Upgrade the extension (ALTER EXTENSION timescaledb UPDATE after installing a newer package).");
        }
    }

    public static async Task<ServerCatalog> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(Sql, connection);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                var installed = Text(4);
                return new ServerCatalog(
                    reader.GetString(0),
                    reader.GetInt32(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    installed,
                    Text(5),
                    Text(6),
                    installed is null ? null : Text(7),
                    Text(8),
                    reader.IsDBNull(9) ? null : reader.GetInt32(9),
                    reader.GetInt32(10),
                    reader.GetInt32(11),
                    reader.GetInt64(12),
                    reader.GetInt64(13),
                    reader.GetInt32(14),
                    reader.GetInt32(15),
                    reader.GetFieldValue<string[]>(16).ToHashSet(StringComparer.Ordinal),
                    reader.GetFieldValue<string[]>(17).ToHashSet(StringComparer.Ordinal),
                    reader.GetFieldValue<string[]>(18).ToHashSet(StringComparer.Ordinal),
                    !reader.IsDBNull(19) && reader.GetBoolean(19),
                    installed is null ? null : Text(20),
                    !reader.IsDBNull(21) && reader.GetBoolean(21));
            }
        }
    }
}

/// <summary>Where <see cref="ServerCatalog.ColumnstoreColumns"/> reads the columnstore's columns.</summary>
internal enum ColumnstoreColumnsSource
{
    /// <summary>timescaledb_information.compression_settings: one typed row per column.</summary>
    PerColumnView,

    /// <summary>_timescaledb_catalog.compression_settings: typed arrays per relation.</summary>
    CatalogArrays,
}

/// <summary>Where <see cref="ServerCatalog.ConfigMerge"/> merges keys into a job's configuration.</summary>
internal enum ConfigMergeForm
{
    /// <summary><c>alter_job(config_merge => ...)</c> (TimescaleDB 2.29+).</summary>
    AlterJobArgument,

    /// <summary><c>alter_job(config => coalesce(config, '{}') || ...)</c>, read and written in one call.</summary>
    ConcatenatedConfig,
}

/// <summary>Versions such as "2.23.0-dev" or "15.18 (Debian 15.18-0+deb12u1)" as <see cref="Version"/>.</summary>
internal static class VersionText
{
    public static Version? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var numeric = new string(text.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').ToArray()).TrimEnd('.');
        if (!numeric.Contains('.', StringComparison.Ordinal))
        {
            numeric += ".0";
        }

        return Version.TryParse(numeric, out var version) ? version : null;
    }
}
