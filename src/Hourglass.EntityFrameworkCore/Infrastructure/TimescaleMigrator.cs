using System.Data.Common;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Wraps the migrator registered before it (EF's or Npgsql's): <c>MigrateAsync</c> first asks the server which
/// TimescaleDB it has, asynchronously (<see cref="TimescaleServerDetector.PrepareAsync"/>), then runs the wrapped
/// migrator; everything else goes to it unchanged. An application that replaces the migrator after Hourglass loses only
/// the asynchronous ask: the SQL generator still asks the server when it first needs to.
/// <para>
/// <c>Migrate</c> and <c>MigrateAsync</c> also hold a session-level advisory lock for the whole run. Npgsql's migration
/// lock (<c>LOCK TABLE "__EFMigrationsHistory"</c>) lasts only as long as a transaction, and EF commits the transaction
/// before a command that must run outside one (a continuous aggregate's refresh) and writes the history row after it:
/// a second instance migrating at the same moment took the lock in that gap, found the migration not yet recorded and
/// applied it again ("relation already exists"). With the session lock it waits until the first instance is done, then
/// finds every migration applied.
/// </para>
/// </summary>
internal sealed class TimescaleMigrator(IServiceProvider services, TimescaleServerDetector detector, IRelationalConnection connection, IDatabaseCreator databaseCreator) : IMigrator
{
    /// <summary>"Hourglas" in ASCII: the advisory lock key of a migration run, per database.</summary>
    private const long MigrationLockKey = 0x486F_7572_676C_6173;

    private IMigrator? _inner;

    private IMigrator Inner => _inner ??= ServiceDecoration.Inner<IMigrator, TimescaleMigrator>(services);

    public void Migrate(string? targetMigration)
    {
        // A database EF has yet to create has no one to wait for; EF creates it and migrates as before.
        if (databaseCreator is not IRelationalDatabaseCreator relational || !relational.Exists())
        {
            Inner.Migrate(targetMigration);
            return;
        }

        var opened = connection.Open();
        try
        {
            Run("SELECT pg_advisory_lock");
            try
            {
                Inner.Migrate(targetMigration);
            }
            finally
            {
                Run("SELECT pg_advisory_unlock");
            }
        }
        finally
        {
            if (opened)
            {
                connection.Close();
            }
        }
    }

    public async Task MigrateAsync(string? targetMigration, CancellationToken cancellationToken = default)
    {
        await detector.PrepareAsync(cancellationToken).ConfigureAwait(false);
        if (databaseCreator is not IRelationalDatabaseCreator relational || !await relational.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await Inner.MigrateAsync(targetMigration, cancellationToken).ConfigureAwait(false);
            return;
        }

        var opened = await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RunAsync("SELECT pg_advisory_lock", cancellationToken).ConfigureAwait(false);
            try
            {
                await Inner.MigrateAsync(targetMigration, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Not the caller's token: the lock is released even when the migration was cancelled.
                await RunAsync("SELECT pg_advisory_unlock", CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync().ConfigureAwait(false);
            }
        }
    }

    public string GenerateScript(string? fromMigration = null, string? toMigration = null, MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
        => Inner.GenerateScript(fromMigration, toMigration, options);

    public bool HasPendingModelChanges() => Inner.HasPendingModelChanges();

    private DbCommand LockCommand(string function)
    {
        var command = connection.DbConnection.CreateCommand();
        command.CommandText = $"{function}({MigrationLockKey})";
        if (connection.CommandTimeout is { } timeout)
        {
            command.CommandTimeout = timeout; // as long as EF's own lock waits
        }

        command.Transaction = connection.CurrentTransaction?.GetDbTransaction();
        return command;
    }

    private void Run(string function)
    {
        using var command = LockCommand(function);
        command.ExecuteNonQuery();
    }

    private async Task RunAsync(string function, CancellationToken cancellationToken)
    {
        var command = LockCommand(function);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
