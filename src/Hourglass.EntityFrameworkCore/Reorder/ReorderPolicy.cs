using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Reorder;

/// <summary>Annotation names: the model snapshot stores a hypertable's reorder policy as this entity-type annotation.</summary>
internal static class ReorderAnnotationNames
{
    public const string Index = "Hourglass:Reorder:Index";

    public static string? Find(IReadOnlyAnnotatable entityType) => entityType.FindAnnotation(Index)?.Value as string;
}

/// <summary>
/// Reorders the entity's hypertable chunks by an index of the model on a schedule, like <c>WithReorderPolicy</c>; the
/// entity also needs <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>.
/// </summary>
/// <param name="indexName">The index's database name, e.g. <c>"IX_conditions_DeviceId_Time"</c>.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class ReorderPolicyAttribute(string indexName) : Attribute
{
    /// <summary>The index's database name.</summary>
    public string IndexName { get; } = indexName;
}

/// <summary>Adds a reorder policy: <c>add_reorder_policy(table, index_name)</c>.</summary>
public sealed class AddReorderPolicyOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <summary>The index chunks are reordered by.</summary>
    public string IndexName { get; set; } = "";

    /// <inheritdoc />
    public override string Describe() => $"reorder policy (index \"{IndexName}\") of hypertable {DisplayTable}";
}

/// <summary>Removes the reorder policy: <c>remove_reorder_policy(table, if_exists =&gt; true)</c>.</summary>
public sealed class RemoveReorderPolicyOperation : TimescaleMigrationOperation
{
    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"removal of the reorder policy of hypertable {DisplayTable}";
}
