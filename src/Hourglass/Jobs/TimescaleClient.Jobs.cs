using Hourglass.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>Every job (policies, user-defined actions and TimescaleDB's own) with its schedule and statistics, by id.</summary>
    /// <param name="schemas">Only jobs on relations in these schemas, or with procedures there; all when null or empty.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The jobs; empty on PostgreSQL without TimescaleDB.</returns>
    public Task<IReadOnlyList<Job>> GetJobsAsync(IReadOnlyCollection<string>? schemas = null, CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<Job>>(
            async (connection, catalog) => catalog.IsInstalled
                ? await ReadJobsAsync(connection, catalog, schemas, cancellationToken).ConfigureAwait(false)
                : [],
            cancellationToken);

    /// <summary>The jobs on one hypertable or continuous aggregate, optionally of one kind, by id.</summary>
    /// <param name="relation">"schema.name" or "name" of the hypertable or continuous aggregate.</param>
    /// <param name="kind">Only this kind; all when null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The jobs.</returns>
    /// <exception cref="TimescaleException">No such relation, or TimescaleDB is not installed.</exception>
    public Task<IReadOnlyList<Job>> GetJobsAsync(string relation, JobKind? kind = null, CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<Job>>(
            async (connection, catalog) =>
            {
                catalog.RequireTimescale($"GetJobsAsync(\"{relation}\")");
                var name = await RelationName.ResolveAsync(connection, relation, "hypertable or continuous aggregate", cancellationToken).ConfigureAwait(false);
                var jobs = await ReadJobsAsync(connection, catalog, null, cancellationToken).ConfigureAwait(false);
                return jobs.Where(j => j.RelationSchema == name.Schema && j.RelationName == name.Name && (kind is null || j.Kind == kind)).ToList();
            },
            cancellationToken);

    /// <summary>One job.</summary>
    /// <param name="job">By id, name/procedure, or relation and kind.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The job.</returns>
    /// <exception cref="TimescaleException">No job matches, several do, or TimescaleDB is not installed.</exception>
    public Task<Job> GetJobAsync(JobSelector job, CancellationToken cancellationToken = default) =>
        UseAsync((connection, catalog) => FindJobAsync(connection, catalog, "GetJobAsync", job, cancellationToken), cancellationToken);

    /// <summary>
    /// The latest failed runs (timescaledb_information.job_errors, TimescaleDB 2.15+; the scheduler records them), newest first.
    /// </summary>
    /// <param name="job">Only this job's errors; null for all jobs.</param>
    /// <param name="limit">At most this many.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The errors; empty on PostgreSQL without TimescaleDB.</returns>
    /// <exception cref="TimescaleException">The server is older than 2.15, or <paramref name="job"/> matches no job.</exception>
    public Task<IReadOnlyList<JobError>> GetJobErrorsAsync(JobSelector? job = null, int limit = 50, CancellationToken cancellationToken = default) =>
        UseAsync<IReadOnlyList<JobError>>(
            async (connection, catalog) =>
            {
                if (!catalog.IsInstalled)
                {
                    return [];
                }

                if (!catalog.HasView("job_errors"))
                {
                    throw new TimescaleException($"GetJobErrorsAsync needs timescaledb_information.job_errors, which TimescaleDB has from 2.15; this database has {catalog.TimescaleVersionText}. The server log has the errors.");
                }

                int? id = job is { } selector ? (await FindJobAsync(connection, catalog, "GetJobErrorsAsync", selector, cancellationToken).ConfigureAwait(false)).Id : null;
                return await Db.QueryAsync(
                    connection,
                    $"""
                    SELECT e.job_id, e.proc_schema::text, e.proc_name::text, e.pid, {Db.Finite("e.start_time")}, {Db.Finite("e.finish_time")}, e.sqlerrcode::text, e.err_message::text
                    FROM timescaledb_information.job_errors e
                    WHERE @id::int IS NULL OR e.job_id = @id
                    ORDER BY e.start_time DESC NULLS LAST
                    LIMIT @limit
                    """,
                    p =>
                    {
                        p.Add(new NpgsqlParameter("id", NpgsqlDbType.Integer) { Value = (object?)id ?? DBNull.Value });
                        p.AddWithValue("limit", Math.Max(0, limit));
                    },
                    r => new JobError(r.GetInt32(0), r.Text(1), r.Text(2), r.Int(3), r.Time(4), r.Time(5), r.Text(6), r.Text(7)),
                    cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>
    /// Runs a job now in this session (CALL run_job) and waits for it; its errors surface as exceptions. Must run outside a
    /// transaction, as policies commit as they go.
    /// </summary>
    /// <param name="job">By id, name/procedure, or relation and kind.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The job as it is after the run.</returns>
    public Task<Job> RunJobAsync(JobSelector job, CancellationToken cancellationToken = default) =>
        UseAsync(
            async (connection, catalog) =>
            {
                var found = await FindJobAsync(connection, catalog, "RunJobAsync", job, cancellationToken).ConfigureAwait(false);
                await Db.ExecuteAsync(connection, "CALL run_job(@id)", p => p.AddWithValue("id", found.Id), cancellationToken).ConfigureAwait(false);
                return await FindJobAsync(connection, catalog, "RunJobAsync", found.Id, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>
    /// Pauses a job: the scheduler no longer starts it, and cancels a run of it in progress (alter_job(scheduled => false)).
    /// Running it by hand still works.
    /// </summary>
    /// <param name="job">By id, name/procedure, or relation and kind.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job as it is now.</returns>
    public Task<Job> PauseJobAsync(JobSelector job, CancellationToken cancellationToken = default) =>
        AlterJobAsync(job, new JobChanges { Scheduled = false }, cancellationToken);

    /// <summary>Resumes a paused job (alter_job(scheduled => true)).</summary>
    /// <param name="job">By id, name/procedure, or relation and kind.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job as it is now.</returns>
    public Task<Job> ResumeJobAsync(JobSelector job, CancellationToken cancellationToken = default) =>
        AlterJobAsync(job, new JobChanges { Scheduled = true }, cancellationToken);

    /// <summary>
    /// Changes a job's schedule, limits, configuration or paused state (alter_job); unset members stay. A job's time zone
    /// and fixed start are kept: alter_job would clear the time zone whenever it is not passed again, and move the start
    /// to now when the schedule turns fixed without one. A configuration is replaced (<see cref="JobChanges.Config"/>) or
    /// has keys merged into it (<see cref="JobChanges.ConfigMerge"/>: alter_job's config_merge on TimescaleDB 2.29+, the
    /// same shallow merge computed in the call before).
    /// </summary>
    /// <param name="job">By id, name/procedure, or relation and kind.</param>
    /// <param name="changes">What to change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job as it is now.</returns>
    /// <exception cref="TimescaleException">No job matches, an interval is an integer amount, or the server refuses the change.</exception>
    /// <exception cref="ArgumentException">Both <see cref="JobChanges.Config"/> and <see cref="JobChanges.ConfigMerge"/> are set.</exception>
    public Task<Job> AlterJobAsync(JobSelector job, JobChanges changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Config is not null && changes.ConfigMerge is not null)
        {
            throw new ArgumentException("JobChanges sets both Config (replaces the configuration) and ConfigMerge (merges keys into it): set one of them.", nameof(changes));
        }

        foreach (var (name, interval) in new[] { ("ScheduleInterval", changes.ScheduleInterval), ("MaxRuntime", changes.MaxRuntime), ("RetryPeriod", changes.RetryPeriod) })
        {
            if (interval is { IsInteger: true } amount)
            {
                throw new TimescaleException($"AlterJobAsync({job}): {name} {amount} is a bare number; a job setting is a time length. Write it with a unit, e.g. \"{amount} seconds\".");
            }
        }

        return UseAsync(
            async (connection, catalog) =>
            {
                var found = await FindJobAsync(connection, catalog, "AlterJobAsync", job, cancellationToken).ConfigureAwait(false);
                var current = (await ReadJobSettingsAsync(connection, catalog, cancellationToken).ConfigureAwait(false)).FirstOrDefault(j => j.Id == found.Id);
                var schedule = changes.Schedule.KeepingStart(current?.InitialStart);
                if (schedule.Timezone is null && current?.Timezone is { } timezone)
                {
                    schedule = schedule with { Timezone = timezone };
                }

                var arguments = new List<string> { "@id" };
                var parameters = new List<NpgsqlParameter> { new("id", NpgsqlDbType.Integer) { Value = found.Id } };
                void Set(string name, NpgsqlDbType type, object? value)
                {
                    if (value is not null)
                    {
                        arguments.Add($"{name} => @{name}");
                        parameters.Add(new NpgsqlParameter(name, type) { Value = value });
                    }
                }

                Set("schedule_interval", NpgsqlDbType.Interval, schedule.ScheduleInterval?.ToNpgsqlInterval());
                Set("max_runtime", NpgsqlDbType.Interval, schedule.MaxRuntime?.ToNpgsqlInterval());
                Set("max_retries", NpgsqlDbType.Integer, schedule.MaxRetries);
                Set("retry_period", NpgsqlDbType.Interval, schedule.RetryPeriod?.ToNpgsqlInterval());
                Set("scheduled", NpgsqlDbType.Boolean, schedule.Scheduled);
                Set("config", NpgsqlDbType.Jsonb, changes.Config);
                if (changes.ConfigMerge is not null)
                {
                    parameters.Add(new NpgsqlParameter("config_merge", NpgsqlDbType.Jsonb) { Value = changes.ConfigMerge });
                    arguments.Add(catalog.ConfigMerge == ConfigMergeForm.AlterJobArgument
                        ? "config_merge => @config_merge"
                        : $"config => coalesce((SELECT b.config FROM {catalog.JobTable} b WHERE b.id = @id), '{{}}'::jsonb) || @config_merge");
                }

                Set("next_start", NpgsqlDbType.TimestampTz, changes.NextStart?.ToUniversalTime());
                Set("fixed_schedule", NpgsqlDbType.Boolean, schedule.FixedSchedule);
                Set("initial_start", NpgsqlDbType.TimestampTz, schedule.InitialStart?.ToUniversalTime());
                Set("timezone", NpgsqlDbType.Text, schedule.Timezone);
                await Db.ExecuteAsync(connection, $"SELECT 1 FROM alter_job({string.Join(", ", arguments)})", p => p.AddRange(parameters.ToArray()), cancellationToken).ConfigureAwait(false);
                return await FindJobAsync(connection, catalog, "AlterJobAsync", found.Id, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>Deletes a job (delete_job); for a policy this removes the policy.</summary>
    /// <param name="job">By id, name/procedure, or relation and kind.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The job as it was before deletion.</returns>
    public Task<Job> DeleteJobAsync(JobSelector job, CancellationToken cancellationToken = default) =>
        UseAsync(
            async (connection, catalog) =>
            {
                var found = await FindJobAsync(connection, catalog, "DeleteJobAsync", job, cancellationToken).ConfigureAwait(false);
                await Db.ExecuteAsync(connection, "SELECT delete_job(@id)", p => p.AddWithValue("id", found.Id), cancellationToken).ConfigureAwait(false);
                return found;
            },
            cancellationToken);

    private static async Task<Job> FindJobAsync(NpgsqlConnection connection, ServerCatalog catalog, string call, JobSelector selector, CancellationToken cancellationToken)
    {
        catalog.RequireTimescale($"{call}({selector})");
        var jobs = await ReadJobsAsync(connection, catalog, null, cancellationToken).ConfigureAwait(false);
        List<Job> matches;
        string fix;
        if (selector.JobId is { } id)
        {
            matches = jobs.Where(j => j.Id == id).ToList();
            fix = "List the jobs with GetJobsAsync (or `hourglass jobs`).";
        }
        else if (selector.JobName is { } name)
        {
            matches = jobs.Where(j => j.Name == name || j.ProcedureName == name || j.Procedure == name).ToList();
            if (matches.Count > 1 && !name.Contains('.', StringComparison.Ordinal))
            {
                matches = await AlongSearchPathAsync(connection, matches, cancellationToken).ConfigureAwait(false);
            }

            fix = "Address it by id, by \"schema.procedure\", or by relation and kind with JobSelector.Policy.";
        }
        else
        {
            var relation = await RelationName.ResolveAsync(connection, selector.RelationText!, "hypertable or continuous aggregate", cancellationToken).ConfigureAwait(false);
            matches = jobs.Where(j => j.RelationSchema == relation.Schema && j.RelationName == relation.Name && j.Kind == selector.Kind).ToList();
            fix = $"Jobs on '{relation}': {(jobs.Any(j => j.RelationSchema == relation.Schema && j.RelationName == relation.Name) ? string.Join(", ", jobs.Where(j => j.RelationSchema == relation.Schema && j.RelationName == relation.Name).Select(j => $"{j.Id} ({j.Kind})")) : "none")}.";
        }

        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new TimescaleException($"{call}: there is no {selector} in database '{catalog.Database}'. {fix}") { IsNotFound = true },
            _ => throw new TimescaleException($"{call}: {matches.Count} jobs match {selector} (ids {string.Join(", ", matches.Select(j => j.Id))}). {fix}"),
        };
    }

    /// <summary>
    /// Of the jobs whose bare procedure name matched, those of the first schema on the connection's search_path that has
    /// any, as PostgreSQL resolves a bare function name; all of them when none is on the path.
    /// </summary>
    private static async Task<List<Job>> AlongSearchPathAsync(NpgsqlConnection connection, List<Job> matches, CancellationToken cancellationToken)
    {
        var path = await Db.QueryAsync(connection, "SELECT unnest(current_schemas(false))::text", null, r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        foreach (var schema in path)
        {
            var here = matches.Where(j => j.ProcedureSchema == schema).ToList();
            if (here.Count > 0)
            {
                return here;
            }
        }

        return matches;
    }

    internal static Task<List<Job>> ReadJobsAsync(NpgsqlConnection connection, ServerCatalog catalog, IReadOnlyCollection<string>? schemas, CancellationToken cancellationToken) =>
        Db.QueryAsync(
            connection,
            $"""
            SELECT j.job_id, j.application_name::text, j.proc_schema::text, j.proc_name::text,
                   coalesce(cagg.user_view_schema, j.hypertable_schema)::text, coalesce(cagg.user_view_name, j.hypertable_name)::text,
                   j.schedule_interval, j.schedule_interval::text, j.scheduled, coalesce(j.fixed_schedule, false), j.config::text,
                   j.max_runtime, coalesce(j.max_retries, -1), j.retry_period,
                   CASE WHEN j.scheduled THEN coalesce({Db.Finite("s.next_start")}, {Db.Finite("j.next_start")}) END,
                   {Db.Finite("s.last_run_started_at")}, {Db.Finite("s.last_successful_finish")}, s.last_run_status::text, s.job_status::text, s.last_run_duration,
                   coalesce(s.total_runs, 0)::bigint, coalesce(s.total_successes, 0)::bigint, coalesce(s.total_failures, 0)::bigint
            FROM timescaledb_information.jobs j
            LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
            LEFT JOIN _timescaledb_catalog.hypertable mh ON mh.schema_name = j.hypertable_schema AND mh.table_name = j.hypertable_name
            LEFT JOIN _timescaledb_catalog.continuous_agg cagg ON cagg.mat_hypertable_id = mh.id
            WHERE @schemas::text[] IS NULL OR coalesce(cagg.user_view_schema, j.hypertable_schema, j.proc_schema) = ANY(@schemas)
            ORDER BY j.job_id
            """,
            p => p.Add(Db.TextArray("schemas", schemas)),
            r => new Job(
                r.GetInt32(0),
                r.GetString(1),
                JobKinds.FromProcedure(r.GetString(2), r.GetString(3)),
                r.GetString(2),
                r.GetString(3),
                r.Text(4),
                r.Text(5),
                r.Interval(6),
                r.Text(7),
                r.GetBoolean(8),
                r.GetBoolean(9),
                r.Text(10),
                r.Interval(11),
                r.GetInt32(12),
                r.Interval(13),
                r.Time(14),
                r.Time(15),
                r.Time(16),
                r.Text(17),
                r.Text(18),
                r.Interval(19),
                r.GetInt64(20),
                r.GetInt64(21),
                r.GetInt64(22)),
            cancellationToken);
}
