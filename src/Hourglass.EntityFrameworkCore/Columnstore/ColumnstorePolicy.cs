using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Scheduling;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>The columnstore policy: what sets it apart from the other hypertable policies (the rest is in Policies/).</summary>
internal static class ColumnstorePolicy
{
    /// <summary>The entity-type annotation of a policy by creation time (<c>created_before</c>).</summary>
    public const string PolicyCreatedBeforeAnnotation = "Hourglass:Columnstore:PolicyCreatedBefore";

    private static void ValidateByCreationTime(IReadOnlyEntityType entityType, PolicySettings policy)
    {
        if (!policy.ByCreationTime)
        {
            return;
        }

        if (entityType.FindAnnotation(ContinuousAggregates.ContinuousAggregateAnnotationNames.Sql) is not null || ContinuousAggregates.ContinuousAggregateQuery.Find(entityType) is not null)
        {
            throw TimescaleModelError.Create(
                "Columnstore policy",
                entityType,
                "createdBefore",
                "TimescaleDB refuses a columnstore policy by creation time (compress_created_before) on a continuous aggregate",
                "give the aggregate's columnstore policy an age instead: WithColumnstorePolicy(after: ...)");
        }

        HypertableFeatureChecks.RequireHypertableAndInterval("Columnstore policy", entityType, null, "WithColumnstorePolicyByCreationTime(...)");
        if (ColumnstoreDefinition.Find(entityType) is null)
        {
            throw HypertableFeatureChecks.Error(
                "Columnstore policy",
                entityType,
                "(table)",
                "a columnstore policy needs the columnstore enabled on the hypertable, and it is not",
                "call WithColumnstore(c => c.SegmentBy(...).OrderBy(...)) before WithColumnstorePolicyByCreationTime(...), or add [Columnstore]");
        }
    }

    public static HypertablePolicyKind Kind { get; } = new()
    {
        Policy = JobKind.Columnstore,
        Feature = "Columnstore policy",
        DescriptionFormat = "columnstore policy (after {0})",
        ArgumentAnnotation = ColumnstoreAnnotationNames.PolicyAfter,
        ScheduleAnnotation = ColumnstoreAnnotationNames.PolicySchedule,
        ScaffoldAnnotation = "Hourglass:Scaffold:ColumnstorePolicy",
        ConfigKey = "compress_after",
        CreatedBeforeAnnotation = PolicyCreatedBeforeAnnotation,
        CreatedBeforeFluentMethod = nameof(ColumnstoreHypertableBuilderExtensions.WithColumnstorePolicyByCreationTime),
        CreatedBeforeParameter = "createdBefore",
        FluentType = typeof(ColumnstoreHypertableBuilderExtensions),
        FluentMethod = nameof(ColumnstoreHypertableBuilderExtensions.WithColumnstorePolicy),
        ArgumentFix = "give a positive interval such as TimeSpan.FromDays(7) or \"7 days\" (a number for integer time columns)",
        AddMethod = "AddColumnstorePolicy",
        ArgumentParameter = "after",
        RemoveMethod = "RemoveColumnstorePolicy",
        NewAdd = () => new AddColumnstorePolicyOperation(),
        NewRemove = () => new RemoveColumnstorePolicyOperation(),
        // add_columnstore_policy is a procedure (CALL works in DO blocks too); add_compression_policy a function.
        Functions = target => ColumnstoreSqlGenerator.UsesColumnstoreNames(target)
            ? new PolicyFunctions("add_columnstore_policy", "remove_columnstore_policy", IsProcedure: true, "after", "created_before")
            : new PolicyFunctions("add_compression_policy", "remove_compression_policy", IsProcedure: false, "compress_after", "compress_created_before"),
        // The attribute's PolicyAfter and the checks of a policy by age are the columnstore conventions' (the policy needs the columnstore).
        Validate = ValidateByCreationTime,
    };
}
