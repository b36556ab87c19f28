using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hourglass.Cli.Backup;

/// <summary>
/// The sidecar <c>FILE.meta.json</c> written next to every backup: what restore checks (the TimescaleDB
/// version) and what <c>--keep</c> uses to recognise the backups it may prune (same format and database).
/// </summary>
internal sealed record BackupMetadata(
    string Format,
    DateTimeOffset CreatedAt,
    string Database,
    string ServerVersion,
    int ServerVersionNumber,
    string? TimescaledbVersion,
    string PgDumpVersion,
    string File,
    long Bytes,
    int Tables,
    SortedDictionary<string, TableChecksum>? Checksums = null)
{
    public const string CurrentFormat = "hourglass-backup/1";

    public static string PathFor(string backupFile) => backupFile + ".meta.json";

    public static BackupMetadata? TryRead(string backupFile)
    {
        var path = PathFor(backupFile);
        if (!System.IO.File.Exists(path))
        {
            return null;
        }

        try
        {
            var metadata = JsonSerializer.Deserialize(System.IO.File.ReadAllText(path), BackupJson.Default.BackupMetadata);
            return metadata?.Format == CurrentFormat ? metadata : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Write(string backupFile) =>
        System.IO.File.WriteAllText(PathFor(backupFile), JsonSerializer.Serialize(this, BackupJson.Readable.BackupMetadata));
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BackupMetadata))]
[JsonSerializable(typeof(SortedDictionary<string, TableChecksum>))]
internal sealed partial class BackupJson : JsonSerializerContext
{
    /// <summary>Like <see cref="Default"/>, but writes '+', '&lt;' and non-ASCII as themselves: this JSON is read by people and jq, not embedded in HTML.</summary>
    public static BackupJson Readable { get; } = new(new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
