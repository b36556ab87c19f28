using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Decides which TimescaleDB the SQL is generated for. A configured <c>TargetVersion</c> wins; scripts
/// (<see cref="MigrationsSqlGenerationOptions.Script"/>) never ask a server, so the same migrations give the same script
/// whichever server is reachable; migrations run against a database ask it once per context (one migration run), on the
/// context's own connection and transaction.
/// </summary>
internal sealed class TimescaleServerDetector(
    IDbContextOptions options,
    IRelationalConnection connection,
    TimescaleDiagnostics diagnostics)
{
    private const string ExtensionAnnotation = "Npgsql:PostgresExtension:timescaledb";
    private TimescaleServerTarget? _detected;
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

    private TimescaleServerTarget Detect(bool createdByMigration)
    {
        if (string.IsNullOrEmpty(connection.ConnectionString) && connection.DbConnection is null)
        {
            return Assume("no connection string is configured");
        }

        bool opened;
        try
        {
            opened = connection.Open();
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return Assume($"the server could not be reached ({ex.Message})");
        }

        try
        {
            var installed = Query("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'");
            if (installed is not null)
            {
                var license = Query("SELECT current_setting('timescaledb.license', true)");
                return new TimescaleServerTarget(true, TimescaleServerTarget.ParseVersion(installed), "server", license);
            }

            if (createdByMigration)
            {
                var available = Query("SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = 'timescaledb'");
                if (available is not null)
                {
                    return new TimescaleServerTarget(true, TimescaleServerTarget.ParseVersion(available), "server");
                }
            }

            return new TimescaleServerTarget(false, null, "server");
        }
        finally
        {
            if (opened)
            {
                connection.Close();
            }
        }
    }

    private string? Query(string sql)
    {
        using var command = connection.DbConnection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = connection.CurrentTransaction?.GetDbTransaction();
        command.CommandType = CommandType.Text;
        return command.ExecuteScalar() as string;
    }

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
