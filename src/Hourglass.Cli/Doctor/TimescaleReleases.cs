namespace Hourglass.Cli.Doctor;

/// <summary>
/// Each TimescaleDB minor release line, its newest patch release and the PostgreSQL majors it supports, from TimescaleDB's
/// release notes (CHANGELOG.md), so upgrade advice fits the server: 2.29 supports PostgreSQL 16–18 only (it dropped 15, so
/// 2.28.x is the last line for PostgreSQL 15), 2.20 dropped 14, 2.16 dropped 13. Update the row with each release.
/// </summary>
internal static class TimescaleReleases
{
    private static readonly (Version Release, int MinPostgres, int MaxPostgres)[] s_releases =
    [
        (new(2, 13, 1), 13, 16),
        (new(2, 14, 2), 13, 16),
        (new(2, 15, 3), 13, 16),
        (new(2, 16, 1), 14, 16),
        (new(2, 17, 2), 14, 17),
        (new(2, 18, 2), 14, 17),
        (new(2, 19, 3), 14, 17),
        (new(2, 20, 3), 15, 17),
        (new(2, 21, 4), 15, 17),
        (new(2, 22, 1), 15, 17),
        (new(2, 23, 1), 15, 18),
        (new(2, 24, 0), 15, 18),
        (new(2, 25, 2), 15, 18),
        (new(2, 26, 4), 15, 18),
        (new(2, 27, 2), 15, 18),
        (new(2, 28, 3), 15, 18),
        (new(2, 29, 2), 16, 18),
    ];

    /// <summary>The newest release this tool knows (its patch release, e.g. 2.29.2).</summary>
    public static Version Newest => s_releases[^1].Release;

    /// <summary>The newest known release (patch included) that supports <paramref name="postgresMajor"/>; null if none does.</summary>
    public static Version? NewestFor(int postgresMajor) =>
        s_releases.Where(r => postgresMajor >= r.MinPostgres && postgresMajor <= r.MaxPostgres).Select(r => r.Release).DefaultIfEmpty().Max();

    /// <summary>The PostgreSQL majors the newest known release supports.</summary>
    public static (int Min, int Max) NewestSupports => (s_releases[^1].MinPostgres, s_releases[^1].MaxPostgres);

    /// <summary>The lowest PostgreSQL major the newest known release supports.</summary>
    public static int NewestNeedsPostgres => s_releases[^1].MinPostgres;
}
