using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Hourglass.HealthChecks;

/// <summary>
/// Connects and reads, through the Hourglass catalog library, the timescaledb extension's version and edition, the jobs
/// whose last run failed and whether the job scheduler runs for this database. Unhealthy when the server cannot be
/// reached or (by default) has no TimescaleDB; degraded when jobs fail or nothing runs them, except jobs whose failure is no
/// fault of the database (<see cref="TimescaleServer.FailureIsExpected"/>: the telemetry job without internet is a note).
/// </summary>
internal sealed class TimescaleHealthCheck(Func<CancellationToken, ValueTask<NpgsqlConnection>> connect, TimescaleHealthCheckOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = new Dictionary<string, object>();
        try
        {
            var connection = await connect(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var client = connection.Timescale();
                var server = await client.GetServerAsync(cancellationToken).ConfigureAwait(false);
                data["postgresql"] = server.PostgresVersionText;
                if (!server.IsInstalled)
                {
                    return options.RequireTimescale
                        ? new HealthCheckResult(context.Registration.FailureStatus, "The timescaledb extension is not installed in this database. Run CREATE EXTENSION timescaledb, or set RequireTimescale = false if plain PostgreSQL is expected.", data: data)
                        : HealthCheckResult.Healthy("PostgreSQL without TimescaleDB (allowed by RequireTimescale = false).", data);
                }

                data["timescaledb"] = server.TimescaleVersionText!;
                data["license"] = server.License ?? "unknown";
                data["edition"] = server.Edition.ToString();
                var jobs = await client.GetJobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                var scheduled = jobs.Count(j => j.Scheduled);
                data["scheduled_jobs"] = scheduled;
                data["schedulers"] = server.SchedulersOnServer;
                data["scheduler_running"] = server.IsSchedulerRunning;
                var problems = new List<string>();
                // Failures that are no fault of the database never degrade it: on the Apache edition TimescaleDB's own job-history
                // retention job fails at every run (the license), and on a server without internet the telemetry job does.
                var failing = string.Join("; ", jobs.Where(j => j.IsFailing && !server.FailureIsExpected(j)).Select(j => string.Create(CultureInfo.InvariantCulture, $"job {j.Id} ({j.Procedure}) failed {j.TotalFailures} time(s)")));
                if (options.FailingJobsDegrade && failing.Length > 0)
                {
                    data["failing_jobs"] = failing;
                    problems.Add($"Failing jobs: {failing}. See timescaledb_information.job_errors.");
                }

                if (options.ExpectScheduler && scheduled > 0 && !server.IsSchedulerRunning)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"{scheduled} job(s) are scheduled but no TimescaleDB scheduler is running for database '{server.Database}', so policies and jobs do not run. Check shared_preload_libraries and timescaledb.max_background_workers."));
                }

                var telemetry = jobs.Where(j => server.IsTelemetryFailure(j) && server.IsTelemetryOn).Select(j => j.Id.ToString(CultureInfo.InvariantCulture)).ToList();
                var telemetryNote = "";
                if (telemetry.Count > 0)
                {
                    telemetryNote = $" Note: TimescaleDB's telemetry job (job {string.Join(", ", telemetry)}) cannot send its report (usually no internet access); harmless. To stop it: {TimescaleServer.TelemetryOffAdvice}.";
                    data["telemetry"] = telemetryNote.Trim();
                }

                return problems.Count > 0
                    ? HealthCheckResult.Degraded(string.Join(" ", problems) + telemetryNote, data: data)
                    : HealthCheckResult.Healthy($"TimescaleDB {server.TimescaleVersionText} ({data["license"]}) on PostgreSQL {server.PostgresVersionText}.{telemetryNote}", data);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"TimescaleDB cannot be reached: {ex.Message}", ex, data);
        }
    }
}
