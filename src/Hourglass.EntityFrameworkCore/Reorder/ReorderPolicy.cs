using Hourglass.EntityFrameworkCore.Hypertables;
using System.Reflection;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace Hourglass.EntityFrameworkCore.Reorder;

/// <summary>The reorder policy: what sets it apart from the other hypertable policies (the rest is in Policies/).</summary>
internal static class ReorderPolicy
{
    public static HypertablePolicyKind Kind { get; } = new()
    {
        Policy = JobKind.Reorder,
        Feature = "Reorder policy",
        DescriptionFormat = "reorder policy (index \"{0}\")",
        ArgumentAnnotation = "Hourglass:Reorder:Index",
        ScheduleAnnotation = "Hourglass:Reorder:Schedule",
        ScaffoldAnnotation = "Hourglass:Scaffold:ReorderPolicy",
        ConfigKey = "index_name",
        ArgumentIsInterval = false,
        FluentType = typeof(ReorderHypertableBuilderExtensions),
        FluentMethod = nameof(ReorderHypertableBuilderExtensions.WithReorderPolicy),
        ArgumentFix = "name an index of the table",
        AddMethod = "AddReorderPolicy",
        ArgumentParameter = "indexName",
        RemoveMethod = "RemoveReorderPolicy",
        NewAdd = () => new AddReorderPolicyOperation(),
        NewRemove = () => new RemoveReorderPolicyOperation(),
        Functions = _ => new PolicyFunctions("add_reorder_policy", "remove_reorder_policy", IsProcedure: false, ArgumentName: null),
        ReadAttribute = entityType => entityType.ClrType.GetCustomAttribute<ReorderPolicyAttribute>(inherit: true)?.IndexName is { } index ? new PolicySettings(index, JobSchedule.Empty) : null,
        Validate = (entityType, policy) => Validate(entityType, policy.Argument),
    };

    public static void Add(IServiceCollection services) => HypertablePolicyServices.AddKind(services, Kind);

    public static void AddDesignTime(IServiceCollection services) => HypertablePolicyServices.AddKindDesignTime(services, Kind);

    private static void Validate(IReadOnlyEntityType entityType, string index)
    {
        HypertableFeatureChecks.RequireHypertableAndInterval("Reorder policy", entityType, null, "WithReorderPolicy(...)");
        var names = IndexNames(entityType).ToList();
        if (!names.Contains(index))
        {
            throw HypertableFeatureChecks.Error(
                "Reorder policy",
                entityType,
                index,
                $"the index '{index}' is not an index of the entity's table in the model{(names.Count == 0 ? "" : $" (its indexes: {string.Join(", ", names)})")}",
                "declare it, e.g. HasIndex(x => new { x.DeviceId, x.Time }).HasDatabaseName(\"" + index + "\"), or name one of the existing indexes");
        }
    }

    private static IEnumerable<string> IndexNames(IReadOnlyEntityType entityType)
    {
        foreach (var index in entityType.GetIndexes())
        {
            if (index.GetDatabaseName() is { } name)
            {
                yield return name;
            }
        }

        // Keys are backed by unique indexes of the same name.
        foreach (var key in entityType.GetKeys())
        {
            if (key.GetName() is { } name)
            {
                yield return name;
            }
        }
    }
}

/// <summary>
/// Reorders the entity's hypertable chunks by an index of the model on a schedule, like <c>WithReorderPolicy</c>; the
/// entity also needs <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>.
/// </summary>
/// <param name="indexName">The index's database name, e.g. <c>"IX_conditions_DeviceId_Time"</c>.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class ReorderPolicyAttribute(string indexName) : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Reorder policy";

    string? ITimescaleModelAttribute.Property => null;

    /// <summary>The index's database name.</summary>
    public string IndexName { get; } = indexName;
}

/// <summary>Adds a reorder policy: <c>add_reorder_policy(table, index_name)</c>.</summary>
public sealed class AddReorderPolicyOperation : AddHypertablePolicyOperation
{
    /// <summary>The index chunks are reordered by.</summary>
    public string IndexName { get; set; } = "";

    internal override HypertablePolicyKind Kind => ReorderPolicy.Kind;

    internal override string Argument { get => IndexName; set => IndexName = value; }
}

/// <summary>Removes the reorder policy: <c>remove_reorder_policy(table, if_exists =&gt; true)</c>.</summary>
public sealed class RemoveReorderPolicyOperation : RemoveHypertablePolicyOperation
{
    internal override HypertablePolicyKind Kind => ReorderPolicy.Kind;
}
