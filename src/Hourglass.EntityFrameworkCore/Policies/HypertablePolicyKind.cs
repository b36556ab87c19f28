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
/// <param name="CreatedBeforeName">The name of the creation-time argument (<c>created_before</c>, <c>drop_created_before</c>); null when the kind has none.</param>
internal sealed record PolicyFunctions(string Add, string Remove, bool IsProcedure, string? ArgumentName, string? CreatedBeforeName = null);

/// <summary>A hypertable policy as the model declares it: its one argument and its job schedule.</summary>
/// <param name="Argument">Canonical interval text ("90 days", "3 months", digits for integer time) or the reorder index.</param>
/// <param name="Schedule">The job schedule; empty for TimescaleDB's defaults.</param>
/// <param name="ByCreationTime">Whether the argument selects chunks by their creation time (<c>created_before</c>) instead of their rows' time range.</param>
internal sealed record PolicySettings(string Argument, JobSchedule Schedule, bool ByCreationTime = false)
{
    /// <summary>Whether both select the same chunks (only the schedule may differ, which alter_job changes in place).</summary>
    public bool SameArgument(PolicySettings other) => Argument == other.Argument && ByCreationTime == other.ByCreationTime;
}

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

    /// <summary>
    /// The entity-type annotation with the creation-time argument (<c>created_before</c>), which replaces
    /// <see cref="ArgumentAnnotation"/>; null for a kind without one (reorder).
    /// </summary>
    public string? CreatedBeforeAnnotation { get; init; }

    /// <summary>The fluent method declaring the policy by creation time, e.g. <c>WithRetentionPolicyByCreationTime</c>.</summary>
    public string? CreatedBeforeFluentMethod { get; init; }

    /// <summary>The migration-file parameter of the creation-time argument, e.g. <c>dropCreatedBefore</c>.</summary>
    public string? CreatedBeforeParameter { get; init; }

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

    /// <summary>The policy declared by the feature's attribute on the entity's class (argument canonical, schedule empty); null when there is none.</summary>
    public Func<IReadOnlyEntityType, PolicySettings?> ReadAttribute { get; init; } = _ => null;

    /// <summary>Checks a declared policy once the model is complete.</summary>
    public required Action<IReadOnlyEntityType, PolicySettings> Validate { get; init; }

    public JobDefaults Defaults => Policy.Defaults();

    /// <summary>The declared policy; by its age argument when both arguments are declared (the model check refuses that).</summary>
    public PolicySettings? Find(IReadOnlyAnnotatable entityType)
    {
        var schedule = entityType.FindAnnotation(ScheduleAnnotation)?.Value is string json ? JobSchedule.Deserialize(json) : JobSchedule.Empty;
        if (entityType.FindAnnotation(ArgumentAnnotation)?.Value is string argument)
        {
            return new PolicySettings(argument, schedule);
        }

        return CreatedBeforeAnnotation is not null && entityType.FindAnnotation(CreatedBeforeAnnotation)?.Value is string createdBefore
            ? new PolicySettings(createdBefore, schedule, ByCreationTime: true)
            : null;
    }

    /// <summary>Where the creation-time argument is used: a time interval, on integer time columns too.</summary>
    public static IntervalUse CreatedBeforeUse => IntervalUse.PolicyArgument($"give a positive time interval such as TimeSpan.FromDays(30) or \"30 days\" (the age of a chunk since it was created, also for integer time columns)");

    /// <summary>The canonical text of a creation-time argument, or the error naming entity, property and fix.</summary>
    public string CreatedBeforeInterval(IReadOnlyEntityType entityType, string property, object interval)
    {
        var value = CreatedBeforeUse.Require(interval, Feature, entityType, property);
        if (value.IsInteger)
        {
            throw TimescaleModelError.Create(Feature, entityType, property, $"the creation-time argument {value} is a number, but a chunk's creation time is a timestamp", "give a time interval such as TimeSpan.FromDays(30) or \"30 days\"");
        }

        return value.ToString();
    }

    /// <summary>Stores the policy by creation time declared by the fluent API (text or time span).</summary>
    public HypertableBuilder SetCreatedBefore(HypertableBuilder hypertable, object interval, Action<JobScheduleBuilder>? schedule)
    {
        ArgumentNullException.ThrowIfNull(hypertable);
        ArgumentNullException.ThrowIfNull(interval);
        var argument = CreatedBeforeInterval(hypertable.EntityType, CreatedBeforeParameter!, interval);
        hypertable.EntityType.RemoveAnnotation(ArgumentAnnotation);
        hypertable.EntityType.SetAnnotation(CreatedBeforeAnnotation!, argument);
        SetSchedule(hypertable.EntityType, schedule);
        return hypertable;
    }

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
        if (CreatedBeforeAnnotation is not null)
        {
            entityType.RemoveAnnotation(CreatedBeforeAnnotation);
        }

        entityType.SetAnnotation(ArgumentAnnotation, argument);
        SetSchedule(entityType, schedule);
        return hypertable;
    }

    /// <summary>Stores the policy's schedule (none when it is TimescaleDB's default).</summary>
    public void SetSchedule(IMutableEntityType entityType, Action<JobScheduleBuilder>? schedule)
    {
        var built = JobScheduleBuilder.Build($"{Feature} on entity '{entityType.DisplayName()}'", JobSchedule.Empty, schedule, Defaults);
        if (built.IsEmpty)
        {
            entityType.RemoveAnnotation(ScheduleAnnotation);
        }
        else
        {
            entityType.SetAnnotation(ScheduleAnnotation, built.Serialize());
        }
    }

    public string Describe(string argument, bool byCreationTime = false)
        => byCreationTime
            ? $"{Feature.ToLowerInvariant()} (chunks created before {argument})"
            : string.Format(System.Globalization.CultureInfo.InvariantCulture, DescriptionFormat, argument);
}
