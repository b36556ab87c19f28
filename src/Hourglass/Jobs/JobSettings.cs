using Hourglass.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass;

/// <summary>One value of a job's configuration, typed by the server: a whole number, an interval, or other text.</summary>
/// <param name="WholeNumber">A whole JSON number (integer time columns' offsets and ages).</param>
/// <param name="Interval">A string of a key that holds an interval (drop_after, compress_after, start_offset and the other ages and offsets), cast to interval by the server.</param>
/// <param name="Text">Any JSON string, as written (an index name, or the interval's text).</param>
public sealed record JobConfigValue(long? WholeNumber, NpgsqlInterval? Interval, string? Text);

/// <summary>
/// A job as declared: its procedure, what it works on, its configuration and every schedule setting, typed (intervals as
/// <see cref="NpgsqlInterval"/>, since schedules may have months). What rebuilding a model (EF Core scaffolding) needs.
/// </summary>
/// <param name="Id">job_id.</param>
/// <param name="ProcedureSchema">The procedure's schema.</param>
/// <param name="ProcedureName">The procedure.</param>
/// <param name="RelationSchema">The hypertable's or continuous aggregate's schema (the aggregate, not its internal hypertable).</param>
/// <param name="RelationName">The hypertable or continuous aggregate; null for jobs on no table.</param>
/// <param name="Config">The configuration as JSON text.</param>
/// <param name="ConfigValues">The top-level configuration values, typed.</param>
/// <param name="ScheduleInterval">schedule_interval.</param>
/// <param name="InitialStart">initial_start.</param>
/// <param name="Timezone">The time zone a fixed schedule follows.</param>
/// <param name="MaxRuntime">max_runtime.</param>
/// <param name="MaxRetries">max_retries.</param>
/// <param name="RetryPeriod">retry_period.</param>
/// <param name="FixedSchedule">fixed_schedule.</param>
/// <param name="Scheduled">scheduled (false: paused).</param>
public sealed record JobSettings(
    int Id,
    string ProcedureSchema,
    string ProcedureName,
    string? RelationSchema,
    string? RelationName,
    string? Config,
    IReadOnlyDictionary<string, JobConfigValue> ConfigValues,
    NpgsqlInterval? ScheduleInterval,
    DateTimeOffset? InitialStart,
    string? Timezone,
    NpgsqlInterval? MaxRuntime,
    int? MaxRetries,
    NpgsqlInterval? RetryPeriod,
    bool? FixedSchedule,
    bool? Scheduled)
{
    /// <summary>What the job does, from its procedure.</summary>
    public JobKind Kind => JobKinds.FromProcedure(ProcedureSchema, ProcedureName);

    /// <summary>Whether TimescaleDB's own procedure runs it (a policy or housekeeping), not a user's.</summary>
    public bool IsTimescaleProcedure => ProcedureSchema.StartsWith("_timescaledb", StringComparison.Ordinal);

    /// <summary>The job's schedule, months and time zone included, every setting as the catalog has it.</summary>
    public JobSchedule Schedule => new()
    {
        ScheduleInterval = TimescaleInterval.FromCatalog(ScheduleInterval),
        InitialStart = InitialStart,
        Timezone = Timezone,
        MaxRuntime = TimescaleInterval.FromCatalog(MaxRuntime),
        MaxRetries = MaxRetries,
        RetryPeriod = TimescaleInterval.FromCatalog(RetryPeriod),
        FixedSchedule = FixedSchedule,
        Scheduled = Scheduled,
    };
}

public sealed partial class TimescaleClient
{
    /// <summary>The configuration keys of TimescaleDB's policies whose string values are intervals (ages and offsets).</summary>
    internal static readonly string[] IntervalConfigKeys =
        ["drop_after", "drop_created_before", "compress_after", "compress_created_before", "start_offset", "end_offset"];

    /// <summary>
    /// Every job's declared settings (procedure, relation, configuration and full schedule, intervals with their months),
    /// by id: what rebuilding a model from the database needs. <see cref="JobSettings.Schedule"/> turns one into a <see cref="JobSchedule"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The jobs' settings; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<JobSettings>> GetJobSettingsAsync(CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<JobSettings>>(async (connection, catalog) => await ReadJobSettingsAsync(connection, catalog, cancellationToken).ConfigureAwait(false), cancellationToken);

    internal static async Task<List<JobSettings>> ReadJobSettingsAsync(NpgsqlConnection connection, ServerCatalog catalog, CancellationToken cancellationToken)
    {
        if (!catalog.IsInstalled)
        {
            return [];
        }

        // Up to 2.21 the view names an aggregate's internal hypertable, from 2.22 the aggregate: name the aggregate on both.
        var rows = await Db.QueryAsync(
            connection,
            $$"""
            SELECT j.job_id, j.proc_schema::text, j.proc_name::text,
                   coalesce(cagg.user_view_schema, j.hypertable_schema)::text, coalesce(cagg.user_view_name, j.hypertable_name)::text,
                   j.config::text, j.schedule_interval, {{Db.Finite("j.initial_start")}}, b.timezone::text, j.max_runtime, j.max_retries, j.retry_period,
                   j.fixed_schedule, j.scheduled,
                   c.keys, c.integers, c.intervals, c.texts
            FROM timescaledb_information.jobs j
            JOIN {{catalog.JobTable}} b ON b.id = j.job_id
            LEFT JOIN _timescaledb_catalog.hypertable mh ON mh.schema_name = j.hypertable_schema AND mh.table_name = j.hypertable_name
            LEFT JOIN _timescaledb_catalog.continuous_agg cagg ON cagg.mat_hypertable_id = mh.id
            LEFT JOIN LATERAL (
                SELECT array_agg(e.key ORDER BY e.key) AS keys,
                       array_agg(CASE WHEN jsonb_typeof(e.value) = 'number' AND (e.value #>> '{}') ~ '^-?[0-9]+$' THEN (e.value #>> '{}')::bigint END ORDER BY e.key) AS integers,
                       array_agg(CASE WHEN jsonb_typeof(e.value) = 'string' AND e.key = ANY(@interval_keys) THEN (e.value #>> '{}')::interval END ORDER BY e.key) AS intervals,
                       array_agg(CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' END ORDER BY e.key) AS texts
                FROM jsonb_each(CASE WHEN jsonb_typeof(j.config) = 'object' THEN j.config END) e) c ON true
            ORDER BY j.job_id
            """,
            p => p.Add(new NpgsqlParameter("interval_keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = IntervalConfigKeys }),
            r =>
            {
                var values = new Dictionary<string, JobConfigValue>(StringComparer.Ordinal);
                if (!r.IsDBNull(14))
                {
                    var keys = r.GetFieldValue<string[]>(14);
                    var integers = r.GetFieldValue<long?[]>(15);
                    var intervals = r.GetFieldValue<NpgsqlInterval?[]>(16);
                    var texts = r.GetFieldValue<string?[]>(17);
                    for (var i = 0; i < keys.Length; i++)
                    {
                        values[keys[i]] = new JobConfigValue(integers[i], intervals[i], texts[i]);
                    }
                }

                return new JobSettings(
                    r.GetInt32(0),
                    r.GetString(1),
                    r.GetString(2),
                    r.Text(3),
                    r.Text(4),
                    r.Text(5),
                    values,
                    r.TypedInterval(6),
                    r.Time(7),
                    r.Text(8),
                    r.TypedInterval(9),
                    r.Int(10),
                    r.TypedInterval(11),
                    r.IsDBNull(12) ? null : r.GetBoolean(12),
                    r.IsDBNull(13) ? null : r.GetBoolean(13));
            },
            cancellationToken).ConfigureAwait(false);
        return rows;
    }
}
