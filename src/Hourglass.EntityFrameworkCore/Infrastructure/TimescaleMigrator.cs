using Microsoft.EntityFrameworkCore.Migrations;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Wraps the migrator registered before it (EF's or Npgsql's): <c>MigrateAsync</c> first asks the server which
/// TimescaleDB it has, asynchronously (<see cref="TimescaleServerDetector.PrepareAsync"/>), then runs the wrapped
/// migrator; everything else goes to it unchanged. An application that replaces the migrator after Hourglass loses only
/// the asynchronous ask: the SQL generator still asks the server when it first needs to.
/// </summary>
internal sealed class TimescaleMigrator(IServiceProvider services, TimescaleServerDetector detector) : IMigrator
{
    private IMigrator? _inner;

    private IMigrator Inner => _inner ??= ServiceDecoration.Inner<IMigrator, TimescaleMigrator>(services);

    public void Migrate(string? targetMigration) => Inner.Migrate(targetMigration);

    public async Task MigrateAsync(string? targetMigration, CancellationToken cancellationToken = default)
    {
        await detector.PrepareAsync(cancellationToken).ConfigureAwait(false);
        await Inner.MigrateAsync(targetMigration, cancellationToken).ConfigureAwait(false);
    }

    public string GenerateScript(string? fromMigration = null, string? toMigration = null, MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
        => Inner.GenerateScript(fromMigration, toMigration, options);

    public bool HasPendingModelChanges() => Inner.HasPendingModelChanges();
}
