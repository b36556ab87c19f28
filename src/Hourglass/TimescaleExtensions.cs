using Npgsql;

namespace Hourglass;

/// <summary>Entry points: <c>dataSource.Timescale()</c> or <c>connection.Timescale()</c>.</summary>
public static class TimescaleExtensions
{
    /// <summary>
    /// A client that reads TimescaleDB's catalog and runs its maintenance calls. Each call takes a connection from
    /// <paramref name="dataSource"/> for its own duration.
    /// </summary>
    /// <param name="dataSource">The application's data source.</param>
    /// <returns>A lightweight client; create one whenever convenient.</returns>
    public static TimescaleClient Timescale(this NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return new TimescaleClient(dataSource, null);
    }

    /// <summary>
    /// A client that works on <paramref name="connection"/>: calls join its current transaction (if any). A closed
    /// connection is opened for each call and closed again.
    /// </summary>
    /// <param name="connection">An open or closed connection.</param>
    /// <returns>A lightweight client; create one whenever convenient.</returns>
    public static TimescaleClient Timescale(this NpgsqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new TimescaleClient(null, connection);
    }
}
