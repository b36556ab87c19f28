using System.Data.Common;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// TimescaleDB's catalog as scaffolding reads it, through the Hourglass library's public reads (which hold the SQL and
/// pick each version's names). Each list is read once, on first use, on the connection and in the snapshot the whole
/// read shares. EF's scaffolding API is synchronous, so the library's asynchronous reads are waited for here.
/// </summary>
internal sealed class ScaffoldingCatalog
{
    private readonly TimescaleClient _client;
    private IReadOnlyList<(string Schema, string Name)>? _chunks;
    private IReadOnlyList<HypertableLayout>? _hypertables;
    private IReadOnlyList<JobSettings>? _jobs;
    private IReadOnlyList<AggregateDefinition>? _aggregates;
    private IReadOnlyList<AggregateStorage>? _aggregateStorage;
    private IReadOnlyList<ChunkSkippingColumn>? _chunkSkipping;
    private IReadOnlyList<HypertableTablespace>? _tablespaces;
    private IReadOnlyList<DirectCompressHypertable>? _directCompress;

    private ScaffoldingCatalog(TimescaleClient client, TimescaleServer server)
    {
        _client = client;
        Server = server;
    }

    /// <summary>The server and its TimescaleDB.</summary>
    public TimescaleServer Server { get; }

    /// <summary>The catalog of the database <paramref name="connection"/> is open on; null when TimescaleDB is not installed there.</summary>
    public static ScaffoldingCatalog? Read(DbConnection connection)
    {
        var npgsql = connection as NpgsqlConnection ?? throw new InvalidOperationException(
            $"Scaffolding TimescaleDB objects needs an NpgsqlConnection, and the connection is a {connection.GetType().Name}. "
            + "Fix: scaffold with the connection string (dotnet ef dbcontext scaffold \"...\" Npgsql.EntityFrameworkCore.PostgreSQL).");
        var client = npgsql.Timescale();
        var server = Wait(client.GetServerAsync);
        return server.IsInstalled ? new ScaffoldingCatalog(client, server) : null;
    }

    /// <summary>Every chunk table (schema, name).</summary>
    public IReadOnlyList<(string Schema, string Name)> Chunks => _chunks ??= Wait(_client.GetChunkTableNamesAsync);

    /// <summary>Every hypertable's dimensions and columnstore settings.</summary>
    public IReadOnlyList<HypertableLayout> Hypertables => _hypertables ??= Wait(_client.GetHypertableLayoutsAsync);

    /// <summary>
    /// Every job's declared settings, except the compaction and columnstore policies TimescaleDB runs for a hypertable
    /// with direct compress: the option creates and removes them itself, so the model declares the option, not them.
    /// </summary>
    public IReadOnlyList<JobSettings> Jobs => _jobs ??= Wait(_client.GetJobSettingsAsync)
        .Where(j => !(DirectCompress.Any(d => d.Schema == j.RelationSchema && d.Table == j.RelationName)
            && (j.ProcedureName == DirectCompressHypertable.CompactionProcedure || j.ProcedureName == JobKind.Columnstore.ProcedureName())))
        .ToList();

    /// <summary>Every hypertable with direct compress on (TimescaleDB 2.29+).</summary>
    public IReadOnlyList<DirectCompressHypertable> DirectCompress => _directCompress ??= Wait(_client.GetDirectCompressHypertablesAsync);

    /// <summary>Every continuous aggregate's definition.</summary>
    public IReadOnlyList<AggregateDefinition> Aggregates => _aggregates ??= Wait(_client.GetContinuousAggregateDefinitionsAsync);

    /// <summary>Every continuous aggregate's storage: chunk interval, columnstore settings, group indexes.</summary>
    public IReadOnlyList<AggregateStorage> AggregateStorage => _aggregateStorage ??= Wait(_client.GetContinuousAggregateStorageAsync);

    /// <summary>Every hypertable column with chunk skipping enabled.</summary>
    public IReadOnlyList<ChunkSkippingColumn> ChunkSkipping => _chunkSkipping ??= Wait(_client.GetChunkSkippingColumnsAsync);

    /// <summary>Every tablespace attached to a hypertable.</summary>
    public IReadOnlyList<HypertableTablespace> Tablespaces => _tablespaces ??= Wait(_client.GetHypertableTablespacesAsync);

    // Off the caller's synchronization context: scaffolding may be started from one (a test, a tool's UI).
    private static T Wait<T>(Func<CancellationToken, Task<T>> read) => Task.Run(() => read(CancellationToken.None)).GetAwaiter().GetResult();
}
