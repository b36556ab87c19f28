namespace Hourglass.HealthChecks;

/// <summary>What the TimescaleDB health check treats as a problem.</summary>
public sealed class TimescaleHealthCheckOptions
{
    /// <summary>
    /// Whether a database without the timescaledb extension is unhealthy (the default). Set false for applications that
    /// run on plain PostgreSQL too (Hourglass degrades to plain tables there); the check then reports it as healthy.
    /// </summary>
    public bool RequireTimescale { get; set; } = true;

    /// <summary>
    /// Whether scheduled jobs without a running TimescaleDB scheduler make the check degraded (the default): policies and
    /// jobs then never run. Set false where jobs are run by hand, e.g. on the embedded TimescaleDB.
    /// </summary>
    public bool ExpectScheduler { get; set; } = true;

    /// <summary>Whether a job whose last run failed makes the check degraded (the default).</summary>
    public bool FailingJobsDegrade { get; set; } = true;
}
