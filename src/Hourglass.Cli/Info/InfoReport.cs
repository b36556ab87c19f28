using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hourglass.Cli.Info;

// The --json shape of `hourglass info` (documented in docs/cli.md). Add members; never rename or remove them.

internal sealed record InfoReport(
    ServerInfo Server,
    TimescaleInfo Timescaledb,
    IReadOnlyList<HypertableInfo> Hypertables,
    IReadOnlyList<ContinuousAggregateInfo> ContinuousAggregates,
    IReadOnlyList<JobInfo> Jobs)
{
    /// <summary>
    /// Bumped only if a member ever has to change meaning. 2: approximateRows is null for a never-analyzed hypertable
    /// (was 0), and a continuous aggregate's policy names the aggregate in hypertableSchema/hypertableName (was its
    /// internal materialization hypertable).
    /// </summary>
    public int FormatVersion { get; init; } = 2;
}

internal sealed record ServerInfo(string Version, int VersionNumber, string Database, string User);

internal sealed record TimescaleInfo(bool Installed, string? Version, string? AvailableVersion, string? License);

internal sealed record HypertableInfo(
    string Schema,
    string Name,
    IReadOnlyList<DimensionInfo> Dimensions,
    int Chunks,
    int CompressedChunks,
    bool ColumnstoreEnabled,
    long TotalBytes,
    long? BeforeCompressionBytes,
    long? AfterCompressionBytes,
    double? ColumnstoreRatio,
    long? ApproximateRows,
    ChunkRange? OldestChunk,
    ChunkRange? NewestChunk)
{
    /// <summary>False when no chunk was ever analyzed: approximateRows is then null (unknown), not 0.</summary>
    public bool RowsAnalyzed { get; init; }

    /// <summary>Rows changed in the chunks since their last ANALYZE: approximateRows leaves them out (stale statistics).</summary>
    public long RowsModifiedSinceAnalyze { get; init; }

    /// <summary>Bytes per chunk range (hash partitions of one range summed), oldest first: the data of the chunk-size chart.</summary>
    public IReadOnlyList<ChunkSize> ChunkSizes { get; init; } = [];
}

/// <summary>One chunk range's bytes; Columnstore when all its chunks are converted.</summary>
internal sealed record ChunkSize(string? Start, string? End, long Bytes, bool Columnstore);

/// <summary>Kind is "time" (range) or "space" (hash); Interval is PostgreSQL interval text or an integer.</summary>
internal sealed record DimensionInfo(string Column, string ColumnType, string Kind, string? Interval, int? Partitions);

/// <summary>Start and end in ISO 8601 UTC for time columns, the integer as text for integer columns.</summary>
internal sealed record ChunkRange(string? Start, string? End);

internal sealed record ContinuousAggregateInfo(
    string Schema,
    string Name,
    string HypertableSchema,
    string HypertableName,
    bool MaterializedOnly,
    bool Refreshed,
    string? Watermark);

internal sealed record JobInfo(
    int Id,
    string Name,
    string Procedure,
    string? HypertableSchema,
    string? HypertableName,
    string? ScheduleInterval,
    bool Scheduled,
    string? LastRunStartedAt,
    string? LastSuccessfulFinish,
    string? LastRunStatus,
    string? JobStatus,
    string? NextStart,
    long TotalRuns,
    long TotalFailures)
{
    /// <summary>columnstore, retention, reorder, refresh, custom, telemetry, job-history-retention or internal.</summary>
    public string Kind { get; init; } = "custom";
}

[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InfoReport))]
internal sealed partial class InfoJson : JsonSerializerContext
{
    /// <summary>Like <see cref="Default"/>, but writes '+', '&lt;' and non-ASCII as themselves: this JSON is read by people and jq, not embedded in HTML.</summary>
    public static InfoJson Readable { get; } = new(new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
