using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>
/// A job as the model declares it, kept as one JSON model annotation per procedure so the migration snapshot carries
/// it as a plain <c>HasAnnotation</c> call. Intervals are canonical interval text ("1 hour"), so equal schedules compare equal.
/// </summary>
internal sealed record JobDefinition
{
    public const string AnnotationPrefix = "Hourglass:Job:";

    private static readonly JsonSerializerOptions s_json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The procedure as written in the model: "name" (found through the search path) or "schema.name".</summary>
    public string Procedure { get; init; } = "";

    public string ScheduleInterval { get; init; } = "";

    /// <summary>The job's config as compact JSON, or null.</summary>
    public string? Config { get; init; }

    public string? MaxRuntime { get; init; }

    public int? MaxRetries { get; init; }

    public string? RetryPeriod { get; init; }

    public DateTimeOffset? InitialStart { get; init; }

    /// <summary>TimescaleDB's default since 2.9: runs start at initial_start + n × schedule_interval, not after the previous run ends.</summary>
    public bool FixedSchedule { get; init; } = true;

    public string? Timezone { get; init; }

    public bool Scheduled { get; init; } = true;

    public string Serialize() => JsonSerializer.Serialize(this, s_json);

    public static JobDefinition Deserialize(string json) => JsonSerializer.Deserialize<JobDefinition>(json, s_json)
        ?? throw new InvalidOperationException($"The job annotation '{json}' cannot be read.");

    /// <summary>Every job of a model, by procedure.</summary>
    public static IReadOnlyDictionary<string, JobDefinition> All(IReadOnlyAnnotatable? model)
        => model is null
            ? new Dictionary<string, JobDefinition>()
            : model.GetAnnotations()
                .Where(a => a.Name.StartsWith(AnnotationPrefix, StringComparison.Ordinal) && a.Value is string)
                .Select(a => Deserialize((string)a.Value!))
                .ToDictionary(j => j.Procedure, StringComparer.Ordinal);
}
