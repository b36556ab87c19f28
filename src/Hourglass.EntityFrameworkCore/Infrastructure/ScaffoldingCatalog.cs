using System.Data.Common;
using Hourglass.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// TimescaleDB's catalog as scaffolding reads it, through the Hourglass catalog library (which holds the SQL and picks
/// each version's names). Each list is read once, on first use, on the connection and in the snapshot the whole read
/// shares. EF's scaffolding API is synchronous, so the library's asynchronous reads are waited for here.
/// </summary>
internal sealed class ScaffoldingCatalog
{
    private readonly NpgsqlConnection _connection;
    private readonly ServerCatalog _server;
    private List<(string Schema, string Name)>? _chunks;
    private List<HypertableLayout>? _hypertables;
    private List<JobSettings>? _jobs;
    private List<AggregateDefinition>? _aggregates;
    private List<AggregateStorage>? _aggregateStorage;

    private ScaffoldingCatalog(NpgsqlConnection connection, ServerCatalog server)
    {
        _connection = connection;
        _server = server;
    }

    /// <summary>The catalog of the database <paramref name="connection"/> is open on; null when TimescaleDB is not installed there.</summary>
    public static ScaffoldingCatalog? Read(DbConnection connection)
    {
        var npgsql = connection as NpgsqlConnection ?? throw new InvalidOperationException(
            $"Scaffolding TimescaleDB objects needs an NpgsqlConnection, and the connection is a {connection.GetType().Name}. "
            + "Fix: scaffold with the connection string (dotnet ef dbcontext scaffold \"...\" Npgsql.EntityFrameworkCore.PostgreSQL).");
        var server = Wait(ct => ServerCatalog.ReadAsync(npgsql, ct));
        return server.IsInstalled ? new ScaffoldingCatalog(npgsql, server) : null;
    }

    /// <summary>Every chunk table (schema, name).</summary>
    public IReadOnlyList<(string Schema, string Name)> Chunks => _chunks ??= Wait(ct => TimescaleClient.ReadChunkNamesAsync(_connection, _server, ct));

    /// <summary>Every hypertable's dimensions and columnstore columns.</summary>
    public IReadOnlyList<HypertableLayout> Hypertables => _hypertables ??= Wait(ct => TimescaleClient.ReadLayoutsAsync(_connection, _server, ct));

    /// <summary>Every job's declared settings.</summary>
    public IReadOnlyList<JobSettings> Jobs => _jobs ??= Wait(ct => TimescaleClient.ReadJobSettingsAsync(_connection, _server, ct));

    /// <summary>Every continuous aggregate's definition.</summary>
    public IReadOnlyList<AggregateDefinition> Aggregates => _aggregates ??= Wait(ct => TimescaleClient.ReadAggregateDefinitionsAsync(_connection, _server, ct));

    /// <summary>Every continuous aggregate's storage: chunk interval, columnstore settings, group indexes.</summary>
    public IReadOnlyList<AggregateStorage> AggregateStorage => _aggregateStorage ??= Wait(ct => TimescaleClient.ReadAggregateStorageAsync(_connection, _server, ct));

    // Off the caller's synchronization context: scaffolding may be started from one (a test, a tool's UI).
    private static T Wait<T>(Func<CancellationToken, Task<T>> read) => Task.Run(() => read(CancellationToken.None)).GetAwaiter().GetResult();
}
