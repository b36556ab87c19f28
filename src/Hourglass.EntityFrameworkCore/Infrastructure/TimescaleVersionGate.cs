namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// The one rule for a migration step the server's TimescaleDB is too old for: under Strict the migration is refused
/// before anything runs, naming the version and the fix; under Degrade the step is left out with a
/// <see cref="TimescaleEventId.FeatureSkipped"/> warning naming the version.
/// </summary>
internal sealed class TimescaleVersionGate(TimescaleServerDetector detector, TimescaleDiagnostics diagnostics)
{
    /// <summary>Whether the step runs on <paramref name="version"/> (an unknown version: the current API is generated).</summary>
    /// <param name="version">The server's TimescaleDB version, null when unknown.</param>
    /// <param name="since">The first version that has the step.</param>
    /// <param name="what">The step, as the subject of the error: "retention policy (...) of hypertable "metrics"".</param>
    /// <param name="remedy">The fix besides upgrading: "remove DirectCompress() from WithColumnstore(...)".</param>
    public bool Allows(Version? version, Version since, string what, string remedy)
    {
        if (version is null || version >= since)
        {
            return true;
        }

        var needed = since.Build > 0 ? since.ToString(3) : since.ToString(2);
        if (detector.MissingBehavior == TimescaleMissingBehavior.Strict)
        {
            throw new InvalidOperationException(
                $"The {what} needs TimescaleDB {needed} or later; this server is {version}. Nothing was changed. "
                + $"Fix: upgrade TimescaleDB to {needed} or later, {remedy}, or use TimescaleMissingBehavior.Degrade to skip it.");
        }

        diagnostics.FeatureSkippedForVersion(what, needed);
        return false;
    }
}
