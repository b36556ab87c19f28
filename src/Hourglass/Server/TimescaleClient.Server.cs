using Hourglass.Infrastructure;

namespace Hourglass;

public sealed partial class TimescaleClient
{
    /// <summary>
    /// PostgreSQL and TimescaleDB versions, the edition, preload and background worker settings, and whether the job
    /// scheduler runs for this database. Works on PostgreSQL without TimescaleDB (<see cref="TimescaleServer.IsInstalled"/> is false).
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The server's description.</returns>
    public Task<TimescaleServer> GetServerAsync(CancellationToken cancellationToken = default) =>
        UseAsync((_, catalog) => Task.FromResult(Describe(catalog)), cancellationToken);

    internal static TimescaleServer Describe(ServerCatalog catalog) => new(
        VersionText.Parse(catalog.PostgresVersionText) ?? new Version(catalog.PostgresVersionNumber / 10000, catalog.PostgresVersionNumber % 10000),
        catalog.PostgresVersionText,
        catalog.Database,
        catalog.User,
        catalog.TimescaleVersion,
        catalog.TimescaleVersionText,
        catalog.AvailableVersionText,
        catalog.License,
        !catalog.IsInstalled ? TimescaleEdition.None : catalog.License switch
        {
            "timescale" => TimescaleEdition.Community,
            "apache" => TimescaleEdition.Apache,
            _ => TimescaleEdition.Unknown,
        },
        catalog.PreloadLibraries,
        catalog.PreloadLibraries?.Split(',').Any(l => l.Trim().Trim('"').StartsWith("timescaledb", StringComparison.Ordinal)),
        catalog.MaxBackgroundWorkers,
        catalog.MaxWorkerProcesses,
        catalog.MaxParallelWorkers,
        catalog.SchedulersInDatabase > 0,
        catalog.SchedulersOnServer,
        catalog.SharedBufferBytes,
        catalog.EffectiveCacheBytes,
        catalog.TelemetryLevel);
}
