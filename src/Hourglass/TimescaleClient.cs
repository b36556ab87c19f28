using Hourglass.Infrastructure;
using Npgsql;

namespace Hourglass;

/// <summary>
/// TimescaleDB's catalog and maintenance calls for one database, typed. Get one with <c>dataSource.Timescale()</c> or
/// <c>connection.Timescale()</c>. Each call first reads which TimescaleDB the database has (one round trip) and uses the
/// names that version knows: columnstore names on new servers, compression names on old ones (2.13 onwards); a call the
/// server lacks fails with a <see cref="TimescaleException"/> naming the version that has it.
/// </summary>
/// <remarks>
/// On PostgreSQL without TimescaleDB, <see cref="GetServerAsync"/> reports it, list reads (hypertables, continuous
/// aggregates, jobs, job errors) return empty lists, and every call that names a table, chunk or job throws
/// <see cref="TimescaleException"/> saying the extension is missing and how to install it. Relation names are
/// "schema.name" or "name" (found through the connection's search_path), taken as written (case-sensitive).
/// </remarks>
public sealed partial class TimescaleClient
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly NpgsqlConnection? _connection;

    internal TimescaleClient(NpgsqlDataSource? dataSource, NpgsqlConnection? connection)
    {
        _dataSource = dataSource;
        _connection = connection;
    }

    /// <summary>Runs <paramref name="body"/> on a connection with the database's catalog read first.</summary>
    private async Task<T> UseAsync<T>(Func<NpgsqlConnection, ServerCatalog, Task<T>> body, CancellationToken cancellationToken)
    {
        if (_dataSource is not null)
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await body(connection, await ServerCatalog.ReadAsync(connection, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            }
        }

        var own = _connection!;
        var opened = false;
        if (own.State == System.Data.ConnectionState.Closed)
        {
            await own.OpenAsync(cancellationToken).ConfigureAwait(false);
            opened = true;
        }

        try
        {
            return await body(own, await ServerCatalog.ReadAsync(own, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            if (opened)
            {
                await own.CloseAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task UseAsync(Func<NpgsqlConnection, ServerCatalog, Task> body, CancellationToken cancellationToken) =>
        await UseAsync<bool>(
            async (connection, catalog) =>
            {
                await body(connection, catalog).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
}
