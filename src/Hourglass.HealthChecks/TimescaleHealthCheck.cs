using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Hourglass.HealthChecks;

/// <summary>
/// Connects and reads, in one round trip, the timescaledb extension's version and edition, the jobs whose last run
/// failed and the number of running schedulers. Unhealthy when the server cannot be reached or (by default) has no
/// TimescaleDB; degraded when jobs fail or nothing runs them.
/// </summary>
internal sealed class TimescaleHealthCheck(Func<CancellationToken, ValueTask<NpgsqlConnection>> connect, TimescaleHealthCheckOptions options) : IHealthCheck
{
    private const string ExtensionSql = """
        SELECT (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'),
               current_setting('timescaledb.license', true),
               current_setting('server_version')
        """;

    private const string JobsSql = """
        SELECT (SELECT count(*) FROM timescaledb_information.jobs WHERE scheduled)::int,
               (SELECT count(*) FROM pg_catalog.pg_stat_activity
                 WHERE backend_type ILIKE '%TimescaleDB Background Worker Scheduler%'
                    OR application_name ILIKE '%TimescaleDB Background Worker Scheduler%')::int,
               coalesce((SELECT string_agg(format('job %s (%s.%s) failed %s time(s)', j.job_id, j.proc_schema, j.proc_name, s.total_failures), '; ' ORDER BY j.job_id)
                 FROM timescaledb_information.jobs j JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
                 WHERE s.last_run_status = 'Failed'), '')
        """;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = new Dictionary<string, object>();
        try
        {
            var connection = await connect(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                string? version;
                var extension = new NpgsqlCommand(ExtensionSql, connection);
                await using (extension.ConfigureAwait(false))
                {
                    var reader = await extension.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                        version = reader.IsDBNull(0) ? null : reader.GetString(0);
                        data["postgresql"] = reader.GetString(2);
                        if (version is not null)
                        {
                            data["timescaledb"] = version;
                            data["license"] = reader.IsDBNull(1) ? "unknown" : reader.GetString(1);
                        }
                    }
                }

                if (version is null)
                {
                    return options.RequireTimescale
                        ? new HealthCheckResult(context.Registration.FailureStatus, "The timescaledb extension is not installed in this database. Run CREATE EXTENSION timescaledb, or set RequireTimescale = false if plain PostgreSQL is expected.", data: data)
                        : HealthCheckResult.Healthy("PostgreSQL without TimescaleDB (allowed by RequireTimescale = false).", data);
                }

                int scheduled, schedulers;
                string failing;
                var jobs = new NpgsqlCommand(JobsSql, connection);
                await using (jobs.ConfigureAwait(false))
                {
                    var reader = await jobs.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                        (scheduled, schedulers, failing) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2));
                    }
                }

                data["scheduled_jobs"] = scheduled;
                data["schedulers"] = schedulers;
                var problems = new List<string>();
                if (options.FailingJobsDegrade && failing.Length > 0)
                {
                    data["failing_jobs"] = failing;
                    problems.Add($"Failing jobs: {failing}. See timescaledb_information.job_errors.");
                }

                if (options.ExpectScheduler && scheduled > 0 && schedulers == 0)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"{scheduled} job(s) are scheduled but no TimescaleDB scheduler is running, so policies and jobs do not run. Check shared_preload_libraries and timescaledb.max_background_workers."));
                }

                return problems.Count > 0
                    ? HealthCheckResult.Degraded(string.Join(" ", problems), data: data)
                    : HealthCheckResult.Healthy($"TimescaleDB {version} ({data["license"]}) on PostgreSQL {data["postgresql"]}.", data);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"TimescaleDB cannot be reached: {ex.Message}", ex, data);
        }
    }
}
