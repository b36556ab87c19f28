using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>The columnstore policy: what sets it apart from the other hypertable policies (the rest is in Policies/).</summary>
internal static class ColumnstorePolicy
{
    public static HypertablePolicyKind Kind { get; } = new()
    {
        Policy = JobKind.Columnstore,
        Feature = "Columnstore policy",
        DescriptionFormat = "columnstore policy (after {0})",
        ArgumentAnnotation = ColumnstoreAnnotationNames.PolicyAfter,
        ScheduleAnnotation = ColumnstoreAnnotationNames.PolicySchedule,
        ScaffoldAnnotation = "Hourglass:Scaffold:ColumnstorePolicy",
        ConfigKey = "compress_after",
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
            ? new PolicyFunctions("add_columnstore_policy", "remove_columnstore_policy", IsProcedure: true, "after")
            : new PolicyFunctions("add_compression_policy", "remove_compression_policy", IsProcedure: false, "compress_after"),
        // The attribute's PolicyAfter and the checks are the columnstore conventions' (the policy needs the columnstore).
        Validate = (_, _) => { },
    };
}
