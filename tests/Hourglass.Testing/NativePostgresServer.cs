using Hourglass.Embedded;

namespace Hourglass.Testing;

/// <summary>A native PostgreSQL 15 without TimescaleDB (Debian's postgresql-15), started for this test process.</summary>
public sealed class NativePostgresServer : NativeServer
{
    private NativePostgresServer(EmbeddedTimescale server)
        : base(server)
    {
    }

    /// <inheritdoc />
    public override string Description => "native PostgreSQL 15";

    /// <inheritdoc />
    public override bool HasTimescale => false;

    /// <inheritdoc />
    public override TestServerKind Kind => TestServerKind.NativePostgres;

    /// <summary>Finds the PostgreSQL binaries: HOURGLASS_PG_BIN, else Debian's /usr/lib/postgresql/N/bin (newest), else PATH.</summary>
    public static string LocateBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("HOURGLASS_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (File.Exists(Path.Combine(folder, "initdb")))
            {
                return folder;
            }
        }

        throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) were not found. Install postgresql-15 (apt-get install postgresql-15) or set HOURGLASS_PG_BIN.");
    }

    internal static async Task<NativePostgresServer> StartAsync() =>
        new(await StartNativeAsync(LocateBinDirectory(), withTimescale: false, new Dictionary<string, string>()));
}
