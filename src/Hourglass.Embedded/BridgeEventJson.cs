using System.Text.Json.Serialization;

namespace Hourglass.Embedded;

internal sealed record ReadyEvent(
    string Event,
    int Port,
    string? Host,
    string? ServerVersion,
    string? TimescaledbVersion,
    string? Database,
    string? DataDirectory,
    string? Code,
    string? Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ReadyEvent))]
internal sealed partial class BridgeEventJson : JsonSerializerContext;
