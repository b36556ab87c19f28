using System.Data.Common;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Decides which TimescaleDB the SQL is generated for. A configured <c>TargetVersion</c> wins; scripts
/// (<see cref="MigrationsSqlGenerationOptions.Script"/>) never ask a server, so the same migrations give the same script
/// whichever server is reachable; migrations run against a database ask it once per context (one migration run), on the
/// context's own connection and transaction, through the Hourglass catalog library (<c>GetServerAsync</c>).
/// <c>MigrateAsync</c> asks asynchronously before the run (<see cref="TimescaleMigrator"/>); EF generates each
/// migration's SQL synchronously, so other paths (<c>Migrate</c>, <c>dotnet ef database update</c>) ask then.
/// </summary>
internal sealed class TimescaleServerDetector(
    IDbContextOptions options,
    IRelationalConnection connection,
    TimescaleDiagnostics diagnostics)
{
    private const string ExtensionAnnotation = "Npgsql:PostgresExtension:timescaledb";
    private TimescaleServerTarget? _detected;
    private TimescaleServer? _prefetched;
    private bool _assumptionLogged;

    public TimescaleMissingBehavior MissingBehavior =>
        options.FindExtension<TimescaleOptionsExtension>()?.MissingBehavior ?? TimescaleMissingBehavior.Degrade;

    public TimescaleServerTarget Resolve(IReadOnlyList<MigrationOperation> operations, MigrationsSqlGenerationOptions generation = MigrationsSqlGenerationOptions.Default)
    {
        var configured = options.FindExtension<TimescaleOptionsExtension>()?.TargetVersion;
        if (configured is not null)
        {
            return new TimescaleServerTarget(true, configured, "option");
        }

        if (generation.HasFlag(MigrationsSqlGenerationOptions.Script))
        {
            return Assume("a script is generated without asking a server");
        }

        // Cached once TimescaleDB is there; without it a later migration of the same run may create the extension.
        if (_detected is { IsAvailable: true })
        {
            return _detected;
        }

        var createdByMigration = operations.OfType<AlterDatabaseOperation>().Any(o => o.FindAnnotation(ExtensionAnnotation) is not null);
        _detected = Detect(createdByMigration);
        if (_detected.Source == "server" && _detected.IsAvailable)
        {
            diagnostics.ServerDetected(_detected.Version?.ToString() ?? "(unknown version)", _detected.License ?? "unknown");
        }

        return _detected;
    }

    /// <summary>
    /// Asks the server ahead of a migration run, without blocking a thread; the first <see cref="Resolve"/> of the run
    /// then uses the answer. Does nothing when the answer would not be used (a configured version, or one already known).
    /// A server that cannot be reached is left to <see cref="Resolve"/>, which reports it.
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (options.FindExtension<TimescaleOptionsExtension>()?.TargetVersion is not null || _detected is { IsAvailable: true } || !HasConnection)
        {
            return;
        }

        bool opened;
        try
        {
            opened = await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            return;
        }

        try
        {
            _prefetched = await ReadServerAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync().ConfigureAwait(false);
            }
        }
    }

    private bool HasConnection => !string.IsNullOrEmpty(connection.ConnectionString) || connection.DbConnection is not null;

    private static bool IsUnreachable(Exception ex) => ex is DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException;

    private TimescaleServerTarget Detect(bool createdByMigration)
    {
        if (!HasConnection)
        {
            return Assume("no connection string is configured");
        }

        var server = _prefetched;
        _prefetched = null;
        if (server is null)
        {
            bool opened;
            try
            {
                opened = connection.Open();
            }
            catch (Exception ex) when (IsUnreachable(ex))
            {
                return Assume($"the server could not be reached ({ex.Message})");
            }

            try
            {
                // EF generates migration SQL synchronously; the catalog library is asynchronous, so wait for it off this thread's context.
                server = Task.Run(() => ReadServerAsync(CancellationToken.None)).GetAwaiter().GetResult();
            }
            finally
            {
                if (opened)
                {
                    connection.Close();
                }
            }
        }

        if (server is null)
        {
            return Assume($"the connection is a {connection.DbConnection.GetType().Name}, not an NpgsqlConnection the catalog library can read through");
        }

        // What queries can call, for the rest of the process (the extension this migration creates is community unless configured otherwise).
        Hyperfunctions.Portable.QueryEditionResolver.Remember(
            connection.ConnectionString,
            server.IsInstalled ? server.Edition : createdByMigration && server.AvailableVersionText is not null ? TimescaleEdition.Unknown : TimescaleEdition.None);

        if (server.IsInstalled)
        {
            return new TimescaleServerTarget(true, server.TimescaleVersion, "server", server.License);
        }

        return createdByMigration && server.AvailableVersionText is { } available
            ? new TimescaleServerTarget(true, TimescaleServerTarget.ParseVersion(available), "server")
            : new TimescaleServerTarget(false, null, "server");
    }

    // On the context's connection: Npgsql runs the read in the connection's current transaction, if any.
    private async Task<TimescaleServer?> ReadServerAsync(CancellationToken cancellationToken)
        => connection.DbConnection is NpgsqlConnection npgsql
            ? await npgsql.Timescale().GetServerAsync(cancellationToken).ConfigureAwait(false)
            : null;

    private TimescaleServerTarget Assume(string reason)
    {
        if (!_assumptionLogged)
        {
            _assumptionLogged = true;
            diagnostics.TargetVersionAssumed(reason);
        }

        return new TimescaleServerTarget(true, null, "assumed");
    }
}
