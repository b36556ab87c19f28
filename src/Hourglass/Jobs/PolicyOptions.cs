namespace Hourglass;

/// <summary>
/// The options of TimescaleDB's hypertable policies beyond their first argument, the keys they have in the job's config
/// and the versions that have them. The EF Core plugin's policies and the version checks read them here.
/// </summary>
public static class PolicyOptions
{
    /// <summary>
    /// From this version the columnstore and retention policies can select chunks by their creation time
    /// (<c>compress_created_before</c>, <c>drop_created_before</c>) instead of the time range of their rows.
    /// </summary>
    public static Version CreatedBefore { get; } = new(2, 13);

    /// <summary>
    /// The first version whose retention policy by creation time (<c>drop_created_before</c>) works on a hypertable with
    /// a time column: before it, TimescaleDB adds the policy, but every run of it and every <c>alter_job</c> on it fail with
    /// "could not find drop_after in config for job" (TimescaleDB #9511, fixed in 2.26.3).
    /// </summary>
    public static Version RetentionCreatedBefore { get; } = new(2, 26, 3);

    /// <summary>From this version the columnstore policy reads <c>recompress_unordered</c> from its config (TimescaleDB #10226).</summary>
    public static Version RecompressUnordered { get; } = new(2, 29);

    /// <summary>The config key of the columnstore policy's <c>recompress_unordered</c> option; TimescaleDB's default is true.</summary>
    public const string RecompressUnorderedKey = "recompress_unordered";

    /// <summary>
    /// The config key with a policy's creation-time argument: <c>compress_created_before</c> or <c>drop_created_before</c>;
    /// null for a kind that has none.
    /// </summary>
    /// <param name="kind">The policy.</param>
    /// <returns>The key, or null.</returns>
    public static string? CreatedBeforeKey(this JobKind kind) => kind switch
    {
        JobKind.Columnstore => "compress_created_before",
        JobKind.Retention => "drop_created_before",
        _ => null,
    };

    /// <summary>The config key with a policy's age argument: <c>compress_after</c>, <c>drop_after</c> or the reorder's <c>index_name</c>.</summary>
    /// <param name="kind">The policy.</param>
    /// <returns>The key, or null for a kind that has none.</returns>
    public static string? ArgumentKey(this JobKind kind) => kind switch
    {
        JobKind.Columnstore => "compress_after",
        JobKind.Retention => "drop_after",
        JobKind.Reorder => "index_name",
        _ => null,
    };
}
