using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Decides which TimescaleDB the SQL is generated for: the configured version, else the one installed in the database the
/// context is connected to (asked once per context, on the context's own connection and transaction).
/// </summary>
internal sealed class TimescaleServerDetector(
    IDbContextOptions options,
    IRelationalConnection connection,
    ILoggerFactory loggerFactory)
{
    private const string ExtensionAnnotation = "Npgsql:PostgresExtension:timescaledb";
    private readonly ILogger _logger = loggerFactory.CreateLogger("Hourglass.EntityFrameworkCore.Timescale");
    private TimescaleServerTarget? _detected;

    public TimescaleMissingBehavior MissingBehavior =>
        options.FindExtension<TimescaleOptionsExtension>()?.MissingBehavior ?? TimescaleMissingBehavior.Degrade;

    public ILogger Logger => _logger;

    public TimescaleServerTarget Resolve(IReadOnlyList<MigrationOperation> operations)
    {
        var configured = options.FindExtension<TimescaleOptionsExtension>()?.TargetVersion;
        if (configured is not null)
        {
            return new TimescaleServerTarget(true, configured, "option");
        }

        if (_detected is { IsAvailable: true })
        {
            return _detected;
        }

        var createdByMigration = operations.OfType<AlterDatabaseOperation>().Any(o => o.FindAnnotation(ExtensionAnnotation) is not null);
        _detected = Detect(createdByMigration);
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
        _logger.LogWarning(
            "TimescaleDB version detection skipped because {Reason}; generating SQL for the current TimescaleDB API. "
            + "Call UseTimescale(t => t.TargetVersion(...)) to choose the version for offline scripts.",
            reason);
        return new TimescaleServerTarget(true, null, "assumed");
    }

}
