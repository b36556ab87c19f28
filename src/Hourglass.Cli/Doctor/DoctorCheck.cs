namespace Hourglass.Cli.Doctor;

internal enum CheckLevel
{
    Pass,
    Skip,
    Warn,
    Fail,
}

/// <summary>One doctor line: a stable id (for --ignore and scripts), a level and a sentence that says what to do.</summary>
internal sealed record CheckResult(string Id, CheckLevel Level, string Message)
{
    public static CheckResult Pass(string id, string message) => new(id, CheckLevel.Pass, message);

    public static CheckResult Warn(string id, string message) => new(id, CheckLevel.Warn, message);

    public static CheckResult Fail(string id, string message) => new(id, CheckLevel.Fail, message);
}

internal static class CheckIds
{
    public const string Extension = "extension";
    public const string Version = "version";
    public const string License = "license";
    public const string Preload = "preload";
    public const string Workers = "workers";
    public const string Jobs = "jobs";
    public const string Policies = "policies";
    public const string ChunkSize = "chunk-size";
    public const string Aggregates = "aggregates";

    public static readonly string[] All = [Extension, Version, License, Preload, Workers, Jobs, Policies, ChunkSize, Aggregates];
}
