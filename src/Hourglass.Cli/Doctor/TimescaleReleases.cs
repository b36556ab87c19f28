namespace Hourglass.Cli.Doctor;

/// <summary>
/// Which PostgreSQL majors each TimescaleDB minor release supports, from TimescaleDB's release notes, so upgrade advice
/// fits the server: 2.29 dropped PostgreSQL 15 (2.28 is the last release for it), 2.20 dropped 14, 2.16 dropped 13.
/// Add a row with each release.
/// </summary>
internal static class TimescaleReleases
{
    private static readonly (Version Release, int MinPostgres, int MaxPostgres)[] s_releases =
    [
        (new(2, 13), 13, 16),
        (new(2, 14), 13, 16),
        (new(2, 15), 13, 16),
        (new(2, 16), 14, 16),
        (new(2, 17), 14, 17),
        (new(2, 18), 14, 17),
        (new(2, 19), 14, 17),
        (new(2, 20), 15, 17),
        (new(2, 21), 15, 17),
        (new(2, 22), 15, 17),
        (new(2, 23), 15, 18),
        (new(2, 24), 15, 18),
        (new(2, 25), 15, 18),
        (new(2, 26), 15, 18),
        (new(2, 27), 15, 18),
        (new(2, 28), 15, 18),
        (new(2, 29), 16, 18),
    ];

    /// <summary>The newest release this tool knows.</summary>
    public static Version Newest => s_releases[^1].Release;

    /// <summary>The newest known release that supports <paramref name="postgresMajor"/>; null if none does.</summary>
    public static Version? NewestFor(int postgresMajor) =>
        s_releases.Where(r => postgresMajor >= r.MinPostgres && postgresMajor <= r.MaxPostgres).Select(r => r.Release).DefaultIfEmpty().Max();

    /// <summary>The lowest PostgreSQL major the newest known release supports.</summary>
    public static int NewestNeedsPostgres => s_releases[^1].MinPostgres;
}
