using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Event IDs of the messages Hourglass logs through EF Core's diagnostics, for <c>ConfigureWarnings</c>
/// (e.g. <c>w.Throw(TimescaleEventId.FeatureSkipped)</c>), log filters and <c>DiagnosticListener</c> subscribers.
/// </summary>
/// <remarks>
/// The IDs start at <see cref="CoreEventId.ProviderBaseId"/> + 700 (30700), clear of Npgsql's own provider events, which
/// count up from <see cref="CoreEventId.ProviderBaseId"/> and <see cref="CoreEventId.ProviderDesignBaseId"/>. They are
/// logged in EF's <see cref="DbLoggerCategory.Migrations"/> category, so <c>dotnet ef</c> shows them.
/// <see cref="TimescaleMissingBehavior.Strict"/> refuses, before any SQL is generated, every migration that would log
/// <see cref="FeatureSkipped"/>, <see cref="FeatureDegraded"/> or <see cref="CommunityFeatureSkipped"/>;
/// <see cref="TimescaleMissingBehavior.Degrade"/> logs them as warnings, which <c>ConfigureWarnings</c> can raise or ignore.
/// </remarks>
public static class TimescaleEventId
{
    private const int BaseId = CoreEventId.ProviderBaseId + 700;
    private static readonly string s_migrationsPrefix = DbLoggerCategory.Migrations.Name + ".Timescale.";

    /// <summary>
    /// Warning: the database has no TimescaleDB, so a TimescaleDB feature (a hypertable, a policy...) was left out of the
    /// migration and the table stays a plain PostgreSQL table.
    /// </summary>
    public static readonly EventId FeatureSkipped = Make(0, nameof(FeatureSkipped));

    /// <summary>
    /// Warning: the database has no TimescaleDB, so a TimescaleDB feature was replaced by its plain PostgreSQL
    /// counterpart (e.g. a continuous aggregate by a view).
    /// </summary>
    public static readonly EventId FeatureDegraded = Make(1, nameof(FeatureDegraded));

    /// <summary>
    /// Warning: the server runs TimescaleDB's Apache edition, which lacks the community-licensed feature (columnstore,
    /// policies, jobs, continuous aggregates) that was left out of the migration.
    /// </summary>
    public static readonly EventId CommunityFeatureSkipped = Make(2, nameof(CommunityFeatureSkipped));

    /// <summary>
    /// Information: SQL is generated for the current TimescaleDB API without asking a server (scripts, or no server
    /// reachable); <c>UseTimescale(t =&gt; t.TargetVersion(...))</c> chooses another version.
    /// </summary>
    public static readonly EventId TargetVersionAssumed = Make(3, nameof(TargetVersionAssumed));

    /// <summary>Debug: the TimescaleDB version and edition of the server a migration runs against, detected once per run.</summary>
    public static readonly EventId ServerDetected = Make(4, nameof(ServerDetected));

    /// <summary>
    /// Warning: an earlier migration run was interrupted (the process killed, the connection lost, the step failed)
    /// after it recorded a migration but before it finished a step that runs outside the migration's transaction (a
    /// continuous aggregate's refresh); this run finishes it.
    /// </summary>
    public static readonly EventId PendingStepResumed = Make(5, nameof(PendingStepResumed));

    private static EventId Make(int offset, string name) => new(BaseId + offset, s_migrationsPrefix + name);
}
