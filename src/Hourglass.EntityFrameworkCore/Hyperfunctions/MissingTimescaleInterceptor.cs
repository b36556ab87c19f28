using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>
/// Names TimescaleDB in PostgreSQL's "function time_bucket(...) does not exist" (42883), which otherwise does not say
/// why. The exception stays a <see cref="PostgresException"/> with the same SQLSTATE, so callers' handling is unchanged.
/// </summary>
internal sealed partial class MissingTimescaleInterceptor : DbCommandInterceptor
{
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (Explain(eventData.Exception) is { } explained)
        {
            throw explained;
        }
    }

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        CommandFailed(command, eventData);
        return Task.CompletedTask;
    }

    internal static PostgresException? Explain(Exception exception)
    {
        if (exception is not PostgresException { SqlState: PostgresErrorCodes.UndefinedFunction } error
            || HyperfunctionCall().Match(error.MessageText) is not { Success: true } match)
        {
            return null;
        }

        return new PostgresException(
            $"{error.MessageText}. {match.Groups[1].Value}() is a TimescaleDB hyperfunction: this database has no timescaledb extension, "
            + "or it is installed in a schema outside the search path. Fix: CREATE EXTENSION timescaledb (or "
            + "modelBuilder.HasPostgresExtension(\"timescaledb\") and a migration), or use a TimescaleDB server.",
            error.Severity,
            error.InvariantSeverity,
            error.SqlState,
            error.Detail,
            error.Hint,
            error.Position,
            error.InternalPosition,
            error.InternalQuery,
            error.Where,
            error.SchemaName,
            error.TableName,
            error.ColumnName,
            error.DataTypeName,
            error.ConstraintName,
            error.File,
            error.Line,
            error.Routine);
    }

    [GeneratedRegex(@"^function (time_bucket|time_bucket_gapfill|locf|interpolate|first|last)\(")]
    private static partial Regex HyperfunctionCall();
}
