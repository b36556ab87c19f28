namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>The TimescaleDB that generated SQL is meant for.</summary>
/// <param name="IsAvailable">Whether TimescaleDB is (or will be, by this migration) installed.</param>
/// <param name="Version">Its version; null when unknown (the current API is generated).</param>
/// <param name="Source">How this was decided, for messages: "option", "server", "assumed".</param>
/// <param name="License">The server's <c>timescaledb.license</c> ("timescale" or "apache"); null when unknown.</param>
internal sealed record TimescaleServerTarget(bool IsAvailable, Version? Version, string Source, string? License = null)
{
    /// <summary>
    /// Whether community-licensed features (columnstore, policies, continuous aggregates) can be used; assumed when
    /// the license is unknown. Hypertables themselves are in both editions.
    /// </summary>
    public bool HasCommunityFeatures => License is null || string.Equals(License, "timescale", StringComparison.OrdinalIgnoreCase);

    /// <summary>The version from which <c>by_range</c>/<c>by_hash</c> and <c>set_partitioning_interval</c> exist.</summary>
    public static readonly Version DimensionBuilderApi = new(2, 13);

    /// <summary>True when the server understands the TimescaleDB 2.13+ API (or the version is unknown).</summary>
    public bool SupportsDimensionBuilders => Version is null || Version >= DimensionBuilderApi;

    /// <summary>Reads "2.23.0-dev" or "2.17.2" as a version.</summary>
    public static Version? ParseVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var numeric = new string(text.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').ToArray()).TrimEnd('.');
        return Version.TryParse(numeric.Contains('.', StringComparison.Ordinal) ? numeric : numeric + ".0", out var version) ? version : null;
    }
}
