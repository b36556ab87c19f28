using System.Data.Common;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Wraps the migrator registered before it (EF's or Npgsql's): <c>MigrateAsync</c> first asks the server which
/// TimescaleDB it has, asynchronously (<see cref="TimescaleServerDetector.PrepareAsync"/>), then runs the wrapped
/// migrator; everything else goes to it unchanged.
/// <para>
/// <c>Migrate</c> and <c>MigrateAsync</c> hold a session-level advisory lock for the whole run, because Npgsql's migration
/// lock (<c>LOCK TABLE "__EFMigrationsHistory"</c>) lasts only as long as a transaction: a second instance migrating at
/// the same moment waits until the first is done, then finds every migration applied.
/// </para>
/// <para>
/// Steps TimescaleDB refuses to run inside a transaction (a continuous aggregate's refresh) are only recorded by the
/// migration, inside its transaction and so together with its history row; the features'
/// <see cref="ITimescaleMigrationCompletion"/> run them once the wrapped migrator is done, still under the lock. A process
/// killed midway leaves a recorded migration with its step pending, which the next run finishes, instead of a committed
/// half of a migration that is not recorded (EF commits before a command that suppresses the transaction and writes the
/// history row after it, so a rerun failed on the committed half).
/// </para>
/// <para>
/// An application that replaces the migrator after Hourglass loses the asynchronous ask and the lock; the SQL generator
/// then asks the server when it first needs to, and writes those steps as commands outside the transaction, as EF does.
/// </para>
/// </summary>
internal sealed class TimescaleMigrator(
    IServiceProvider services,
    TimescaleServerDetector detector,
    IRelationalConnection connection,
    IDatabaseCreator databaseCreator,
    TimescaleMigrationRun run,
    IEnumerable<ITimescaleMigrationCompletion> completions) : IMigrator
{
    /// <summary>"Hourglas" in ASCII: the advisory lock key of a migration run, per database.</summary>
    private const long MigrationLockKey = 0x486F_7572_676C_6173;

    private readonly ITimescaleMigrationCompletion[] _completions = completions.ToArray();
    private IMigrator? _inner;

    private IMigrator Inner => _inner ??= ServiceDecoration.Inner<IMigrator, TimescaleMigrator>(services);

    public void Migrate(string? targetMigration)
        => MigrateAsync(targetMigration, async: false, CancellationToken.None).GetAwaiter().GetResult();

    public async Task MigrateAsync(string? targetMigration, CancellationToken cancellationToken = default)
    {
        await detector.PrepareAsync(cancellationToken).ConfigureAwait(false);
        await MigrateAsync(targetMigration, async: true, cancellationToken).ConfigureAwait(false);
    }

    public string GenerateScript(string? fromMigration = null, string? toMigration = null, MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
        => Inner.GenerateScript(fromMigration, toMigration, options);

    public bool HasPendingModelChanges() => Inner.HasPendingModelChanges();

    // With async false every await below completes synchronously: Migrate runs without blocking on asynchronous work.
    private async Task MigrateAsync(string? targetMigration, bool async, CancellationToken cancellationToken)
    {
        var exists = databaseCreator is IRelationalDatabaseCreator relational
            && (async ? await relational.ExistsAsync(cancellationToken).ConfigureAwait(false) : relational.Exists());
        if (!exists)
        {
            // A database EF has yet to create has no one to wait for: EF creates it and migrates, then the pending steps run.
            await ApplyAsync(targetMigration, async, cancellationToken).ConfigureAwait(false);
            await LockedAsync(() => CompleteAsync(async, cancellationToken), async, cancellationToken).ConfigureAwait(false);
            return;
        }

        await LockedAsync(
            async () =>
            {
                foreach (var completion in _completions)
                {
                    await completion.ReportLeftoversAsync(async, cancellationToken).ConfigureAwait(false);
                }

                await ApplyAsync(targetMigration, async, cancellationToken).ConfigureAwait(false);
                await CompleteAsync(async, cancellationToken).ConfigureAwait(false);
            },
            async,
            cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyAsync(string? targetMigration, bool async, CancellationToken cancellationToken)
    {
        using var applying = run.Start();
        if (async)
        {
            await Inner.MigrateAsync(targetMigration, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            Inner.Migrate(targetMigration);
        }
    }

    private async Task CompleteAsync(bool async, CancellationToken cancellationToken)
    {
        foreach (var completion in _completions)
        {
            await completion.CompleteAsync(async, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LockedAsync(Func<Task> work, bool async, CancellationToken cancellationToken)
    {
        var opened = async ? await connection.OpenAsync(cancellationToken).ConfigureAwait(false) : connection.Open();
        try
        {
            await LockAsync("SELECT pg_advisory_lock", async, cancellationToken).ConfigureAwait(false);
            var failed = false;
            try
            {
                await work().ConfigureAwait(false);
            }
            catch
            {
                failed = true;
                throw;
            }
            finally
            {
                try
                {
                    // Not the caller's token: the lock is released even when the migration was cancelled.
                    await LockAsync("SELECT pg_advisory_unlock", async, CancellationToken.None).ConfigureAwait(false);
                }
                catch (DbException) when (failed)
                {
                    // The migration's own error is the one to report. A connection broken enough to fail the unlock
                    // has ended its session, and the server released the session's lock with it.
                }
            }
        }
        finally
        {
            if (opened)
            {
                if (async)
                {
                    await connection.CloseAsync().ConfigureAwait(false);
                }
                else
                {
                    connection.Close();
                }
            }
        }
    }

    private async Task LockAsync(string function, bool async, CancellationToken cancellationToken)
    {
        using var command = connection.DbConnection.CreateCommand();
        command.CommandText = $"{function}({MigrationLockKey})";
        if (connection.CommandTimeout is { } timeout)
        {
            command.CommandTimeout = timeout; // as long as EF's own lock waits
        }

        command.Transaction = connection.CurrentTransaction?.GetDbTransaction();
        if (async)
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            command.ExecuteNonQuery();
        }
    }
}

/// <summary>
/// Whether <see cref="TimescaleMigrator"/> is applying migrations in this context's scope, so that the SQL generator
/// can leave non-transactional steps to an <see cref="ITimescaleMigrationCompletion"/>.
/// </summary>
internal sealed class TimescaleMigrationRun
{
    public bool IsApplying { get; private set; }

    public IDisposable Start()
    {
        IsApplying = true;
        return new Stop(this);
    }

    private sealed class Stop(TimescaleMigrationRun run) : IDisposable
    {
        public void Dispose() => run.IsApplying = false;
    }
}
