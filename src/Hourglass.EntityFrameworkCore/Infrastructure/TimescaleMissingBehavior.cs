namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>What migrations do when the database has no TimescaleDB extension.</summary>
public enum TimescaleMissingBehavior
{
    /// <summary>Create plain PostgreSQL tables and log one warning per skipped TimescaleDB feature.</summary>
    Degrade = 0,

    /// <summary>Fail with a clear error before any statement of the migration runs.</summary>
    Strict = 1,
}
