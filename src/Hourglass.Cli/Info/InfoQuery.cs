using System.Globalization;
using Npgsql;

namespace Hourglass.Cli.Info;

/// <summary>Everything info and doctor show, read once through the Hourglass catalog library.</summary>
internal sealed record CatalogSnapshot(
    TimescaleServer Server,
    IReadOnlyList<Hypertable> Hypertables,
    IReadOnlyDictionary<string, IReadOnlyList<Chunk>> Chunks,
    IReadOnlyList<ContinuousAggregate> Aggregates,
    IReadOnlyList<Job> Jobs)
{
    public static async Task<CatalogSnapshot> ReadAsync(NpgsqlConnection connection, IReadOnlyList<string> schemas, CancellationToken cancellationToken)
    {
        var client = connection.Timescale();
        var server = await client.GetServerAsync(cancellationToken);
        if (!server.IsInstalled)
        {
            return new CatalogSnapshot(server, [], new Dictionary<string, IReadOnlyList<Chunk>>(), [], []);
        }

        var hypertables = await client.GetHypertablesAsync(schemas, cancellationToken);
        var chunks = new Dictionary<string, IReadOnlyList<Chunk>>(StringComparer.Ordinal);
        foreach (var h in hypertables)
        {
            chunks[h.QualifiedName] = await client.GetChunksAsync(h.QualifiedName, cancellationToken: cancellationToken);
        }

        var aggregates = await client.GetContinuousAggregatesAsync(schemas, cancellationToken);
        var jobs = await client.GetJobsAsync(schemas, cancellationToken);
        return new CatalogSnapshot(server, hypertables, chunks, aggregates, jobs);
    }
}

/// <summary>Turns a <see cref="CatalogSnapshot"/> into the stable --json shape of <c>hourglass info</c>.</summary>
internal static class InfoQuery
{
    public static async Task<InfoReport> ReadAsync(NpgsqlConnection connection, IReadOnlyList<string> schemas, CancellationToken cancellationToken) =>
        ToReport(await CatalogSnapshot.ReadAsync(connection, schemas, cancellationToken));

    public static InfoReport ToReport(CatalogSnapshot snapshot)
    {
        var s = snapshot.Server;
        var server = new ServerInfo(s.PostgresVersionText, (s.PostgresVersion.Major * 10000) + Math.Max(0, s.PostgresVersion.Minor), s.Database, s.User);
        var timescale = new TimescaleInfo(s.IsInstalled, s.TimescaleVersionText, s.AvailableVersionText, s.License);
        return new InfoReport(
            server,
            timescale,
            snapshot.Hypertables.Select(h => ToInfo(h, snapshot.Chunks.TryGetValue(h.QualifiedName, out var c) ? c : [])).ToList(),
            snapshot.Aggregates.Select(a => new ContinuousAggregateInfo(a.Schema, a.Name, a.SourceSchema, a.SourceName, a.MaterializedOnly, a.IsRefreshed,
                a.Watermark is { } w ? Iso(w) : a.WatermarkInteger?.ToString(CultureInfo.InvariantCulture))).ToList(),
            snapshot.Jobs.Select(j => new JobInfo(
                j.Id, j.Name, j.Procedure, j.RelationSchema, j.RelationName, j.ScheduleIntervalText, j.Scheduled,
                Iso(j.LastRunStartedAt), Iso(j.LastSuccessfulFinish), j.LastRunStatus, j.JobStatus, Iso(j.NextStart), j.TotalRuns, j.TotalFailures)
            { Kind = KindName(j.Kind) }).ToList());
    }

    private static HypertableInfo ToInfo(Hypertable h, IReadOnlyList<Chunk> chunks)
    {
        var stats = h.ColumnstoreStats;
        var ranges = chunks
            .GroupBy(c => (c.RangeStart, c.RangeStartInteger))
            .Select(g => new ChunkSize(Start(g.First()), End(g.First()), g.Sum(c => c.Size.TotalBytes), g.Count(c => c.IsColumnstore) == g.Count()))
            .ToList();
        return new HypertableInfo(
            h.Schema,
            h.Name,
            h.Dimensions.Select(d => new DimensionInfo(d.Column, d.ColumnType, d.Kind == DimensionKind.Hash ? "hash" : "range",
                d.Interval is { } interval ? IntervalText(interval) : d.IntegerInterval?.ToString(CultureInfo.InvariantCulture), d.Partitions)).ToList(),
            h.ChunkCount,
            stats?.ConvertedChunks ?? 0,
            h.ColumnstoreEnabled,
            h.Size.TotalBytes,
            stats?.BeforeBytes,
            stats?.AfterBytes,
            stats?.Ratio is { } ratio ? Math.Round(ratio, 2) : null,
            h.ApproximateRowCount,
            ranges.Count == 0 ? null : new ChunkRange(ranges[0].Start, ranges[0].End),
            ranges.Count == 0 ? null : new ChunkRange(ranges[^1].Start, ranges[^1].End))
        {
            RowsAnalyzed = h.ApproximateRowCount is not null,
            RowsModifiedSinceAnalyze = h.RowsModifiedSinceAnalyze,
            ChunkSizes = ranges,
        };
    }

    private static string? Start(Chunk c) => c.RangeStart is { } t ? Iso(t) : c.RangeStartInteger?.ToString(CultureInfo.InvariantCulture);

    private static string? End(Chunk c) => c.RangeEnd is { } t ? Iso(t) : c.RangeEndInteger?.ToString(CultureInfo.InvariantCulture);

    internal static string? Iso(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>PostgreSQL's interval text for a chunk interval: "1 day", "7 days", "06:00:00", "1 day 12:00:00".</summary>
    internal static string IntervalText(TimeSpan interval)
    {
        var days = (int)interval.TotalDays;
        var rest = interval - TimeSpan.FromDays(days);
        var time = rest == TimeSpan.Zero ? "" : rest.ToString(rest.Milliseconds == 0 && rest.Microseconds == 0 ? @"hh\:mm\:ss" : @"hh\:mm\:ss\.ffffff", CultureInfo.InvariantCulture);
        var day = days == 0 ? "" : days == 1 ? "1 day" : $"{days} days";
        return (day, time) switch
        {
            ("", "") => "00:00:00",
            ("", _) => time,
            (_, "") => day,
            _ => $"{day} {time}",
        };
    }

    internal static string KindName(JobKind kind) => kind switch
    {
        JobKind.Columnstore => "columnstore",
        JobKind.Retention => "retention",
        JobKind.Reorder => "reorder",
        JobKind.ContinuousAggregateRefresh => "refresh",
        JobKind.Telemetry => "telemetry",
        JobKind.JobHistoryRetention => "job-history-retention",
        JobKind.Internal => "internal",
        JobKind.Compaction => "compaction",
        _ => "custom",
    };
}
