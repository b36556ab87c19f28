using System.Text.Json;
using System.Text.Json.Nodes;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>
/// A job as the model declares it, kept as one JSON model annotation per procedure so the migration snapshot carries
/// it as a plain <c>HasAnnotation</c> call: the procedure, its config and the shared <see cref="JobSchedule"/>'s settings
/// side by side (the layout older snapshots have).
/// </summary>
internal sealed record JobDefinition
{
    public const string AnnotationPrefix = "Hourglass:Job:";

    /// <summary>add_job's defaults; the interval is always written, so it is never one.</summary>
    public static JobDefaults Defaults { get; } = JobDefaults.UserJob;

    /// <summary>The procedure as written in the model: "name" (found through the search path) or "schema.name".</summary>
    public string Procedure { get; init; } = "";

    /// <summary>The job's config as compact JSON, or null.</summary>
    public string? Config { get; init; }

    /// <summary>When and how it runs; the interval is always set, defaults of <c>add_job</c> are left out.</summary>
    public JobSchedule Schedule { get; init; } = JobSchedule.Empty;

    public string Serialize()
    {
        var json = new JsonObject { [nameof(Procedure)] = Procedure };
        if (Config is not null)
        {
            json[nameof(Config)] = Config;
        }

        foreach (var setting in Schedule.ToJson().EnumerateObject())
        {
            json[setting.Name] = JsonNode.Parse(setting.Value.GetRawText());
        }

        return json.ToJsonString();
    }

    public static JobDefinition Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new JobDefinition
        {
            Procedure = root.GetProperty(nameof(Procedure)).GetString() ?? "",
            Config = root.TryGetProperty(nameof(Config), out var config) && config.ValueKind == JsonValueKind.String ? config.GetString() : null,
            Schedule = JobSchedule.FromJson(root).WithoutDefaults(Defaults),
        };
    }

    /// <summary>Every job of a model, by procedure.</summary>
    public static IReadOnlyDictionary<string, JobDefinition> All(IReadOnlyAnnotatable? model)
        => model is null
            ? new Dictionary<string, JobDefinition>()
            : model.GetAnnotations()
                .Where(a => a.Name.StartsWith(AnnotationPrefix, StringComparison.Ordinal) && a.Value is string)
                .Select(a => Deserialize((string)a.Value!))
                .ToDictionary(j => j.Procedure, StringComparer.Ordinal);
}
