using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// The one codec of structured annotations (hypertable dimensions, columnstore segmentby and orderby, job schedules,
/// scaffolded hypertables): JSON, which the model snapshot keeps as a plain string and the differ compares as values.
/// Intervals are canonical interval text ("6 hours", "1 month"), "0 seconds" for zero (<see cref="TimescaleInterval"/>'s
/// converter; job settings use the job schedule's interval converter, which also reads older zeros). Annotations written before this codec
/// (text such as <c>hash(DeviceId, 4)</c>) are read by the legacy reader next to each type.
/// </summary>
internal static class AnnotationJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, s_options);

    public static T Deserialize<T>(string json)
        => JsonSerializer.Deserialize<T>(json, s_options) ?? throw new InvalidOperationException($"The annotation '{json}' cannot be read as {typeof(T).Name}.");

    public static T Deserialize<T>(JsonElement element)
        => element.Deserialize<T>(s_options) ?? throw new InvalidOperationException($"The annotation '{element}' cannot be read as {typeof(T).Name}.");

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, s_options);

    /// <summary>Whether an annotation's text is this codec's (else it predates it).</summary>
    public static bool IsJson(string? text) => text is not null && text.TrimStart() is ['[' or '{', ..];
}
