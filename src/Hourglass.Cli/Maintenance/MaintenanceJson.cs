using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hourglass.Cli.Maintenance;

// The --json shapes of `hourglass chunks`, `jobs` and `refresh` (documented in docs/cli.md).

internal sealed record ChunkLine(
    string Chunk,
    string Hypertable,
    string? RangeStart,
    string? RangeEnd,
    bool Columnstore,
    long TotalBytes,
    long? BeforeBytes,
    long? AfterBytes,
    double? Ratio,
    string? CreatedAt,
    string? Tablespace);

// Tablespace: the destination of a move, null for other actions.
internal sealed record ChunksOutput(string Hypertable, string Action, bool DryRun, IReadOnlyList<ChunkLine> Chunks, IReadOnlyList<string> Done, string? Tablespace);

internal sealed record JobLine(
    int Id,
    string Name,
    string Kind,
    string Procedure,
    string? Relation,
    string? ScheduleInterval,
    bool Scheduled,
    string? Config,
    string? LastRunStartedAt,
    string? LastRunStatus,
    string? JobStatus,
    string? NextStart,
    long TotalRuns,
    long TotalFailures);

internal sealed record JobsOutput(string Action, bool DryRun, IReadOnlyList<JobLine> Jobs);

// Description: the message, or for a run that recorded none (TimescaleDB's telemetry job), what is known.
internal sealed record JobErrorLine(int JobId, string? Procedure, string? StartedAt, string? FinishedAt, string? SqlState, string? Message, string Description);

internal sealed record RefreshOutput(string Aggregate, string? From, string? To, bool DryRun, string? WatermarkBefore, string? WatermarkAfter);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ChunksOutput))]
[JsonSerializable(typeof(JobsOutput))]
[JsonSerializable(typeof(List<JobErrorLine>))]
[JsonSerializable(typeof(RefreshOutput))]
internal sealed partial class MaintenanceJson : JsonSerializerContext
{
    /// <summary>Writes '+', '&lt;' and non-ASCII as themselves: read by people and jq, not embedded in HTML.</summary>
    public static MaintenanceJson Readable { get; } = new(new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
