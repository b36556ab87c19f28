namespace Hourglass;

/// <summary>
/// A continuous aggregate refresh that a migration applied by Hourglass's EF Core plugin asked for and that has not run
/// yet: the migration run that recorded it was interrupted, or the refresh failed. The next migration run performs it.
/// </summary>
/// <param name="Schema">The aggregate's schema.</param>
/// <param name="Name">The aggregate's name.</param>
/// <param name="RequestedAt">When the migration recorded it.</param>
public sealed record PendingMigrationRefresh(string Schema, string Name, DateTimeOffset RequestedAt)
{
    /// <summary>The table, beside EF's migration history table, in which migrations record their refreshes.</summary>
    public const string TableName = "__HourglassPendingRefreshes";

    /// <summary>"schema.name".</summary>
    public string QualifiedName => $"{Schema}.{Name}";
}
