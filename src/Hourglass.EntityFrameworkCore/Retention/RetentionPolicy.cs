using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Retention;

/// <summary>Annotation names: the model snapshot stores a hypertable's retention policy as this entity-type annotation.</summary>
internal static class RetentionAnnotationNames
{
    public const string DropAfter = "Hourglass:Retention:DropAfter";

    public static string? Find(IReadOnlyAnnotatable entityType) => entityType.FindAnnotation(DropAfter)?.Value as string;
}

/// <summary>
/// Drops the entity's hypertable chunks older than <see cref="DropAfter"/> on a schedule, like <c>WithRetentionPolicy</c>;
/// the entity also needs <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>.
/// </summary>
/// <param name="dropAfter">Interval text such as "90 days" or "1 year", or digits for integer time columns.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class RetentionPolicyAttribute(string dropAfter) : Attribute
{
    /// <summary>The age after which chunks are dropped.</summary>
    public string DropAfter { get; } = dropAfter;
}

/// <summary>Adds a retention policy: <c>add_retention_policy(table, drop_after =&gt; interval)</c>.</summary>
public sealed class AddRetentionPolicyOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <summary>The age after which chunks are dropped: canonical interval text, or digits for integer time columns.</summary>
    public string DropAfter { get; set; } = "";

    /// <inheritdoc />
    public override string Describe() => $"retention policy (drop after {DropAfter}) of hypertable {DisplayTable}";
}

/// <summary>Removes the retention policy: <c>remove_retention_policy(table, if_exists =&gt; true)</c>.</summary>
public sealed class RemoveRetentionPolicyOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"removal of the retention policy of hypertable {DisplayTable}";
}
