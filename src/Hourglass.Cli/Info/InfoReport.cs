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
    /// <summary>Bumped only if a member ever has to change meaning.</summary>
    public int FormatVersion { get; init; } = 1;
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
    long ApproximateRows,
    ChunkRange? OldestChunk,
    ChunkRange? NewestChunk);

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
    long TotalFailures);

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
