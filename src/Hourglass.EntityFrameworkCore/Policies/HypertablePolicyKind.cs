using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Policies;

/// <summary>The functions that add and remove a policy on the server a migration targets.</summary>
/// <param name="Add">The adding function or procedure.</param>
/// <param name="Remove">The removing function or procedure.</param>
/// <param name="IsProcedure">True for procedures (<c>CALL</c>), false for functions (<c>SELECT</c>).</param>
/// <param name="ArgumentName">The argument's name, or null when it is passed by position.</param>
internal sealed record PolicyFunctions(string Add, string Remove, bool IsProcedure, string? ArgumentName);

/// <summary>A hypertable policy as the model declares it: its one argument and its job schedule.</summary>
/// <param name="Argument">Canonical interval text ("90 days", "3 months", digits for integer time) or the reorder index.</param>
/// <param name="Schedule">The job schedule; empty for TimescaleDB's defaults.</param>
internal sealed record PolicySettings(string Argument, JobSchedule Schedule);

/// <summary>
/// One kind of hypertable policy (columnstore, retention, reorder): everything that differs between them. The shared
/// implementation in this folder (annotations, differ, SQL, C#, scaffolding, conventions) works from it; a feature adds
/// a policy by registering one.
/// </summary>
internal sealed class HypertablePolicyKind
{
    public required JobKind Policy { get; init; }

    /// <summary>For messages: "Retention policy".</summary>
    public required string Feature { get; init; }

    /// <summary>For operation descriptions: "retention policy (drop after {0})".</summary>
    public required string DescriptionFormat { get; init; }

    /// <summary>The entity-type annotation with the policy's argument (its name is part of existing snapshots).</summary>
    public required string ArgumentAnnotation { get; init; }

    /// <summary>The entity-type annotation with the schedule as JSON; absent when the schedule is TimescaleDB's default.</summary>
    public required string ScheduleAnnotation { get; init; }

    /// <summary>The scaffolded table annotation with the argument (the schedule goes under this name + ":Schedule").</summary>
    public required string ScaffoldAnnotation { get; init; }

    /// <summary>The key of the argument in the job's config, e.g. <c>drop_after</c>.</summary>
    public required string ConfigKey { get; init; }

    /// <summary>Whether the argument is an interval (else an index name).</summary>
    public bool ArgumentIsInterval { get; init; } = true;

    /// <summary>The fluent API: the type and method name of <c>WithRetentionPolicy</c> and its kin.</summary>
    public required Type FluentType { get; init; }

    public required string FluentMethod { get; init; }

    /// <summary>The fix named when the argument is invalid.</summary>
    public required string ArgumentFix { get; init; }

    /// <summary>The migration-file calls: <c>AddRetentionPolicy(table, dropAfter: ...)</c> and <c>RemoveRetentionPolicy(table)</c>.</summary>
    public required string AddMethod { get; init; }

    public required string ArgumentParameter { get; init; }

    public required string RemoveMethod { get; init; }

    public required Func<AddHypertablePolicyOperation> NewAdd { get; init; }

    public required Func<RemoveHypertablePolicyOperation> NewRemove { get; init; }

    public required Func<TimescaleServerTarget, PolicyFunctions> Functions { get; init; }

    /// <summary>The argument declared by the feature's attribute on the entity's class, canonical; null when there is none.</summary>
    public Func<IReadOnlyEntityType, string?> ReadAttribute { get; init; } = _ => null;

    /// <summary>Checks a declared policy once the model is complete.</summary>
    public required Action<IReadOnlyEntityType, string> Validate { get; init; }

    public JobDefaults Defaults => Policy.Defaults();

    public PolicySettings? Find(IReadOnlyAnnotatable entityType)
        => entityType.FindAnnotation(ArgumentAnnotation)?.Value is string argument
            ? new PolicySettings(argument, entityType.FindAnnotation(ScheduleAnnotation)?.Value is string json ? JobSchedule.Deserialize(json) : JobSchedule.Empty)
            : null;

    /// <summary>Where the policy's interval argument is used, for checks and errors.</summary>
    public IntervalUse ArgumentUse => IntervalUse.PolicyArgument(ArgumentFix);

    /// <summary>The canonical text of an interval argument (text, time span or integer), or the error naming entity, property and fix.</summary>
    public string Interval(IReadOnlyEntityType entityType, string property, object interval)
        => ArgumentUse.Require(interval, Feature, entityType, property).ToString();

    /// <summary>Stores the policy with an interval argument declared by the fluent API (text, time span or integer).</summary>
    public HypertableBuilder SetInterval(HypertableBuilder hypertable, object interval, Action<JobScheduleBuilder>? schedule)
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        ArgumentNullException.ThrowIfNull(interval);
        var time = hypertable.EntityType[HypertableAnnotationNames.TimeProperty] as string ?? "(time)";
        return Set(hypertable, Interval(hypertable.EntityType, time, interval), schedule);
    }

    /// <summary>Stores the policy declared by the fluent API, its argument already canonical.</summary>
    public HypertableBuilder Set(HypertableBuilder hypertable, string argument, Action<JobScheduleBuilder>? schedule)
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        var entityType = hypertable.EntityType;
        entityType.SetAnnotation(ArgumentAnnotation, argument);
        var built = JobScheduleBuilder.Build($"{Feature} on entity '{entityType.DisplayName()}'", JobSchedule.Empty, schedule, Defaults);
        if (built.IsEmpty)
        {
            entityType.RemoveAnnotation(ScheduleAnnotation);
        }
        else
        {
            entityType.SetAnnotation(ScheduleAnnotation, built.Serialize());
        }

        return hypertable;
    }

    public string Describe(string argument) => string.Format(System.Globalization.CultureInfo.InvariantCulture, DescriptionFormat, argument);
}
