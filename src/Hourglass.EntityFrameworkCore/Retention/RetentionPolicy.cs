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
        CreatedBeforeAnnotation = "Hourglass:Retention:DropCreatedBefore",
        CreatedBeforeFluentMethod = nameof(RetentionHypertableBuilderExtensions.WithRetentionPolicyByCreationTime),
        CreatedBeforeParameter = "dropCreatedBefore",
        FluentType = typeof(RetentionHypertableBuilderExtensions),
        FluentMethod = nameof(RetentionHypertableBuilderExtensions.WithRetentionPolicy),
        ArgumentFix = "give a positive interval such as TimeSpan.FromDays(90), \"90 days\" or \"1 year\" (a number for integer time columns)",
        AddMethod = "AddRetentionPolicy",
        ArgumentParameter = "dropAfter",
        RemoveMethod = "RemoveRetentionPolicy",
        NewAdd = () => new AddRetentionPolicyOperation(),
        NewRemove = () => new RemoveRetentionPolicyOperation(),
        Functions = _ => new PolicyFunctions("add_retention_policy", "remove_retention_policy", IsProcedure: false, "drop_after", "drop_created_before"),
        ReadAttribute = ReadAttribute,
        // By creation time the argument is a time interval whatever the time column, and needs no integer-now function.
        Validate = (entityType, policy) => HypertableFeatureChecks.RequireHypertableAndInterval(
            "Retention policy",
            entityType,
            policy.ByCreationTime ? null : policy.Argument,
            policy.ByCreationTime ? "WithRetentionPolicyByCreationTime(...)" : "WithRetentionPolicy(...)"),
    };

    public static void Add(IServiceCollection services) => HypertablePolicyServices.AddKind(services, Kind);

    public static void AddDesignTime(IServiceCollection services) => HypertablePolicyServices.AddKindDesignTime(services, Kind);

    private static PolicySettings? ReadAttribute(Microsoft.EntityFrameworkCore.Metadata.IReadOnlyEntityType entityType)
    {
        if (entityType.ClrType.GetCustomAttribute<RetentionPolicyAttribute>(inherit: true) is not { } retention)
        {
            return null;
        }

        if ((retention.DropAfter is null) == (retention.DropCreatedBefore is null))
        {
            throw TimescaleModelError.Create(
                Kind.Feature,
                entityType,
                nameof(RetentionPolicyAttribute),
                retention.DropAfter is null ? "[RetentionPolicy] gives neither DropAfter nor DropCreatedBefore" : "[RetentionPolicy] gives both DropAfter and DropCreatedBefore, and TimescaleDB takes one",
                "write [RetentionPolicy(\"90 days\")] to drop chunks by their rows' time, or [RetentionPolicy(DropCreatedBefore = \"90 days\")] to drop them by when they were created");
        }

        return retention.DropAfter is { } dropAfter
            ? new PolicySettings(Kind.Interval(entityType, nameof(RetentionPolicyAttribute.DropAfter), dropAfter), JobSchedule.Empty)
            : new PolicySettings(Kind.CreatedBeforeInterval(entityType, nameof(RetentionPolicyAttribute.DropCreatedBefore), retention.DropCreatedBefore!), JobSchedule.Empty, ByCreationTime: true);
    }
}

/// <summary>
/// Drops the entity's hypertable chunks older than <see cref="DropAfter"/> on a schedule, like <c>WithRetentionPolicy</c>;
/// the entity also needs <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
public sealed class RetentionPolicyAttribute : Attribute, ITimescaleModelAttribute
{
    string ITimescaleModelAttribute.Feature => "Retention policy";

    string? ITimescaleModelAttribute.Property => null;

    /// <summary>Drops chunks whose rows are older than <paramref name="dropAfter"/>.</summary>
    /// <param name="dropAfter">Interval text such as "90 days" or "1 year", or digits for integer time columns.</param>
    public RetentionPolicyAttribute(string dropAfter) => DropAfter = dropAfter;

    /// <summary>Declares the policy by <see cref="DropCreatedBefore"/>.</summary>
    public RetentionPolicyAttribute()
    {
    }

    /// <summary>The age after which chunks are dropped, by the time of their rows.</summary>
    public string? DropAfter { get; }

    /// <summary>
    /// Instead of <see cref="DropAfter"/>: drops chunks created longer ago than this interval (<c>drop_created_before</c>,
    /// TimescaleDB 2.13+), e.g. <c>"90 days"</c>; a time interval also for integer time columns.
    /// </summary>
    public string? DropCreatedBefore { get; set; }
}

/// <summary>Adds a retention policy: <c>add_retention_policy(table, drop_after =&gt; interval)</c>.</summary>
public sealed class AddRetentionPolicyOperation : AddHypertablePolicyOperation
{
    /// <summary>The age after which chunks are dropped: canonical interval text, or digits for integer time columns.</summary>
    public string DropAfter { get; set; } = "";

    internal override HypertablePolicyKind Kind => RetentionPolicy.Kind;

    /// <summary>Instead of <see cref="DropAfter"/>: drops chunks created longer ago than this interval (<c>drop_created_before</c>).</summary>
    public string? DropCreatedBefore { get; set; }

    internal override string Argument { get => DropAfter; set => DropAfter = value; }

    internal override string? CreatedBeforeArgument { get => DropCreatedBefore; set => DropCreatedBefore = value; }
}

/// <summary>Removes the retention policy: <c>remove_retention_policy(table, if_exists =&gt; true)</c>.</summary>
public sealed class RemoveRetentionPolicyOperation : RemoveHypertablePolicyOperation
{
    internal override HypertablePolicyKind Kind => RetentionPolicy.Kind;
}
