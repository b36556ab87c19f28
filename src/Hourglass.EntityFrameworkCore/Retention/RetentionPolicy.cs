using Hourglass.EntityFrameworkCore.Hypertables;
using System.Reflection;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hourglass.EntityFrameworkCore.Retention;

/// <summary>The retention policy: what sets it apart from the other hypertable policies (the rest is in Policies/).</summary>
internal static class RetentionPolicy
{
    public static HypertablePolicyKind Kind { get; } = new()
    {
        Policy = JobKind.Retention,
        Feature = "Retention policy",
        DescriptionFormat = "retention policy (drop after {0})",
        ArgumentAnnotation = "Hourglass:Retention:DropAfter",
        ScheduleAnnotation = "Hourglass:Retention:Schedule",
        ScaffoldAnnotation = "Hourglass:Scaffold:RetentionPolicy",
        ConfigKey = "drop_after",
        FluentType = typeof(RetentionHypertableBuilderExtensions),
        FluentMethod = nameof(RetentionHypertableBuilderExtensions.WithRetentionPolicy),
        ArgumentFix = "give a positive interval such as TimeSpan.FromDays(90), \"90 days\" or \"1 year\" (a number for integer time columns)",
        AddMethod = "AddRetentionPolicy",
        ArgumentParameter = "dropAfter",
        RemoveMethod = "RemoveRetentionPolicy",
        NewAdd = () => new AddRetentionPolicyOperation(),
        NewRemove = () => new RemoveRetentionPolicyOperation(),
        Functions = _ => new PolicyFunctions("add_retention_policy", "remove_retention_policy", IsProcedure: false, "drop_after"),
        ReadAttribute = ReadAttribute,
        Validate = (entityType, dropAfter) => HypertableFeatureChecks.RequireHypertableAndInterval("Retention policy", entityType, dropAfter, "WithRetentionPolicy(...)"),
    };

    public static void Add(IServiceCollection services) => HypertablePolicyServices.AddKind(services, Kind);

    public static void AddDesignTime(IServiceCollection services) => HypertablePolicyServices.AddKindDesignTime(services, Kind);

    private static string? ReadAttribute(Microsoft.EntityFrameworkCore.Metadata.IReadOnlyEntityType entityType)
        => entityType.ClrType.GetCustomAttribute<RetentionPolicyAttribute>(inherit: true) is not { } retention
            ? null
            : Kind.Interval(entityType, nameof(RetentionPolicyAttribute.DropAfter), retention.DropAfter);
}

/// <summary>
/// Drops the entity's hypertable chunks older than <see cref="DropAfter"/> on a schedule, like <c>WithRetentionPolicy</c>;
/// the entity also needs <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>.
/// </summary>
/// <param name="dropAfter">Interval text such as "90 days" or "1 year", or digits for integer time columns.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class RetentionPolicyAttribute(string dropAfter) : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Retention policy";

    string? ITimescaleModelAttribute.Property => null;

    /// <summary>The age after which chunks are dropped.</summary>
    public string DropAfter { get; } = dropAfter;
}

/// <summary>Adds a retention policy: <c>add_retention_policy(table, drop_after =&gt; interval)</c>.</summary>
public sealed class AddRetentionPolicyOperation : AddHypertablePolicyOperation
{
    /// <summary>The age after which chunks are dropped: canonical interval text, or digits for integer time columns.</summary>
    public string DropAfter { get; set; } = "";

    internal override HypertablePolicyKind Kind => RetentionPolicy.Kind;

    internal override string Argument { get => DropAfter; set => DropAfter = value; }
}

/// <summary>Removes the retention policy: <c>remove_retention_policy(table, if_exists =&gt; true)</c>.</summary>
public sealed class RemoveRetentionPolicyOperation : RemoveHypertablePolicyOperation
{
    internal override HypertablePolicyKind Kind => RetentionPolicy.Kind;
}
