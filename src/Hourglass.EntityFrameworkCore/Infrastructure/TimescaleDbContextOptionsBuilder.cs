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

    /// <summary>
    /// Translates LINQ queries for this TimescaleDB edition instead of asking the server on the first query that uses a
    /// hyperfunction. Under <see cref="TimescaleMissingBehavior.Degrade"/>, <see cref="Hourglass.TimescaleEdition.None"/>
    /// translates <c>EF.Functions.TimeBucket</c>, <c>First</c>/<c>Last</c>, <c>Histogram</c>, gap filling and
    /// <c>ApproximateRowCountAsync</c> to plain PostgreSQL (14 or later) with the same results, and
    /// <see cref="Hourglass.TimescaleEdition.Apache"/> translates only the community-licensed gap filling. For apps that
    /// never migrate and know their server, e.g. a managed PostgreSQL without TimescaleDB. Under
    /// <see cref="TimescaleMissingBehavior.Strict"/> queries always call TimescaleDB's functions.
    /// </summary>
    /// <param name="edition">The server's edition; <see cref="Hourglass.TimescaleEdition.Unknown"/> is taken as community.</param>
    public TimescaleDbContextOptionsBuilder TranslateQueriesFor(Hourglass.TimescaleEdition edition)
    {
        Extension = Extension.WithQueryEdition(edition);
        return this;
    }

    /// <summary>
    /// Lets <c>dotnet ef migrations add</c> generate, for every entity, model changes whose cost grows with the data: a
    /// table rebuilt with every row copied (a hypertable turned back into a plain table, a changed time column or
    /// dimension, an existing table turned into a hypertable without <c>MigrateData()</c>) or chunks converted back to
    /// rowstore (the columnstore of a hypertable or continuous aggregate turned off). Without it such a change is refused
    /// unless its entity allows it (<c>AllowDataRewrite()</c> on the entity, hypertable or aggregate builder, or
    /// <see cref="DataRewrites.AllowDataRewriteAttribute"/>). Migrations already written run either way.
    /// </summary>
    public TimescaleDbContextOptionsBuilder AllowDataRewrite()
    {
        Extension = Extension.WithDataRewriteAllowed();
        return this;
    }
}
