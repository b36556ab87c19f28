using System.Collections.Concurrent;
using System.Data.Common;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;

/// <summary>
/// Decides which server a context's hyperfunction queries are translated for: TimescaleDB's own functions
/// (<see cref="TimescaleEdition.Community"/>), the same without the community-licensed gap filling
/// (<see cref="TimescaleEdition.Apache"/>), or plain PostgreSQL (<see cref="TimescaleEdition.None"/>). Under
/// <see cref="TimescaleMissingBehavior.Strict"/>, or with a configured <c>TargetVersion</c>, always TimescaleDB's functions;
/// with <c>TranslateQueriesFor</c>, that edition; otherwise the server is asked once per connection string, on the
/// context's own connection, and the answer is kept for the process (a migration's detection records it too).
/// The answer is part of EF's query cache key (<see cref="HyperfunctionCacheKeyGenerator"/>), so the compiled queries
/// for two servers never mix.
/// </summary>
internal sealed class QueryEditionResolver(IDbContextOptions options, IRelationalConnection connection, TimescaleDiagnostics diagnostics)
{
    private static readonly ConcurrentDictionary<string, TimescaleEdition> s_detected = new(StringComparer.Ordinal);

    private TimescaleEdition? _current;

    /// <summary>The edition this context's current query is translated for; resolved on first use.</summary>
    public TimescaleEdition Current => _current ??= Resolve();

    /// <summary>Whether TimescaleDB's Apache-licensed hyperfunctions (time_bucket, first, last, histogram) are there.</summary>
    public bool HasTimescale => Current != TimescaleEdition.None;

    /// <summary>Whether the community-licensed ones (time_bucket_gapfill, locf, interpolate) are there.</summary>
    public bool HasCommunity => Current is TimescaleEdition.Community or TimescaleEdition.Unknown;

    /// <summary>Records what a migration run found (or created), so queries need not ask again.</summary>
    public static void Remember(string? connectionString, TimescaleEdition edition)
    {
        if (!string.IsNullOrEmpty(connectionString))
        {
            s_detected[connectionString] = edition;
        }
    }

    /// <summary>Resolves the edition again (called once per query by the cache key generator) and returns it.</summary>
    public TimescaleEdition Resolve()
    {
        _current = Decide();
        return _current.Value;
    }

    private TimescaleEdition Decide()
    {
        var extension = options.FindExtension<TimescaleOptionsExtension>();
        if (extension is null || extension.MissingBehavior == TimescaleMissingBehavior.Strict)
        {
            return TimescaleEdition.Community;
        }

        if (extension.QueryEdition is { } configured)
        {
            return configured;
        }

        if (extension.TargetVersion is not null)
        {
            return TimescaleEdition.Community;
        }

        var key = connection.ConnectionString ?? connection.DbConnection?.ConnectionString;
        if (string.IsNullOrEmpty(key))
        {
            return TimescaleEdition.Community;
        }

        if (s_detected.TryGetValue(key, out var known))
        {
            return known;
        }

        var detected = Detect();
        if (detected is not { } edition)
        {
            // Unreachable or not Npgsql: the query itself reports the connection's error.
            return TimescaleEdition.Community;
        }

        if (s_detected.TryAdd(key, edition) && edition != TimescaleEdition.Community)
        {
            diagnostics.FeatureDegraded(edition == TimescaleEdition.None
                ? "LINQ hyperfunctions (time_bucket, first, last, histogram, gap filling, approximate_row_count) are translated to plain PostgreSQL."
                : "this server is the Apache edition: gap filling (time_bucket_gapfill, locf, interpolate) is translated to plain PostgreSQL.");
        }

        return edition;
    }

    private TimescaleEdition? Detect()
    {
        bool opened;
        try
        {
            opened = connection.Open();
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return null;
        }

        try
        {
            if (connection.DbConnection is not NpgsqlConnection npgsql)
            {
                return null;
            }

            // EF computes the query cache key synchronously; the catalog library is asynchronous. Once per connection string.
            var server = Task.Run(() => npgsql.Timescale().GetServerAsync(CancellationToken.None)).GetAwaiter().GetResult();
            return server.Edition;
        }
        finally
        {
            if (opened)
            {
                connection.Close();
            }
        }
    }
}
