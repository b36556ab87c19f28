namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>Options of <c>UseTimescale</c>: which TimescaleDB to generate SQL for and what to do without it.</summary>
public sealed class TimescaleDbContextOptionsBuilder
{
    internal TimescaleDbContextOptionsBuilder(TimescaleOptionsExtension extension) => Extension = extension;

    internal TimescaleOptionsExtension Extension { get; private set; }

    /// <summary>
    /// Generates SQL for this TimescaleDB version instead of asking the server at migration time. Use it for offline
    /// scripts (<c>dotnet ef migrations script</c>) made without a reachable server.
    /// </summary>
    /// <param name="version">The TimescaleDB version, e.g. <c>new Version(2, 17)</c>.</param>
    public TimescaleDbContextOptionsBuilder TargetVersion(Version version)
    {
        ArgumentNullException.ThrowIfNull(version);
        Extension = Extension.WithTargetVersion(version);
        return this;
    }

    /// <summary>
    /// Chooses what happens when the database has no TimescaleDB: <see cref="TimescaleMissingBehavior.Degrade"/> (the
    /// default) creates plain tables and logs a warning per skipped feature; <see cref="TimescaleMissingBehavior.Strict"/> fails.
    /// </summary>
    /// <param name="behavior">The behaviour.</param>
    public TimescaleDbContextOptionsBuilder WhenTimescaleMissing(TimescaleMissingBehavior behavior)
    {
        Extension = Extension.WithMissingBehavior(behavior);
        return this;
    }
}
