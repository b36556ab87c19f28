using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;

namespace Hourglass.EntityFrameworkCore.Policies;

/// <summary>Adds a policy to a hypertable: its <c>add_*_policy</c> call, then <c>alter_job</c> for the schedule settings the call does not take.</summary>
public abstract class AddHypertablePolicyOperation : TimescaleMigrationOperation, IScheduledOperation
{
    internal AddHypertablePolicyOperation()
    {
    }

    internal abstract HypertablePolicyKind Kind { get; }

    /// <summary>The policy's argument: canonical interval text (digits for integer time columns) or the index name.</summary>
    internal abstract string Argument { get; set; }

    /// <summary>The creation-time argument (<c>created_before</c>), set instead of <see cref="Argument"/>; null for a kind without one.</summary>
    internal virtual string? CreatedBeforeArgument { get => null; set => throw new NotSupportedException($"A {Kind.Feature.ToLowerInvariant()} selects no chunks by creation time."); }

    /// <summary>The policy as the model declares it.</summary>
    internal PolicySettings Settings => CreatedBeforeArgument is { } createdBefore
        ? new PolicySettings(createdBefore, Schedule, ByCreationTime: true)
        : new PolicySettings(Argument, Schedule);

    /// <summary>Sets the argument and schedule of <paramref name="policy"/>.</summary>
    internal void Apply(PolicySettings policy)
    {
        if (policy.ByCreationTime)
        {
            CreatedBeforeArgument = policy.Argument;
        }
        else
        {
            Argument = policy.Argument;
        }

        ((IScheduledOperation)this).Schedule = policy.Schedule;
    }

    JobSchedule IScheduledOperation.Schedule { get; set; } = JobSchedule.Empty;

    internal JobSchedule Schedule => ((IScheduledOperation)this).Schedule;

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"{Kind.Describe(CreatedBeforeArgument ?? Argument, CreatedBeforeArgument is not null)} of hypertable {DisplayTable}";
}

/// <summary>Removes a policy from a hypertable: <c>remove_*_policy(table, if_exists =&gt; true)</c>.</summary>
public abstract class RemoveHypertablePolicyOperation : TimescaleMigrationOperation
{
    internal RemoveHypertablePolicyOperation()
    {
    }

    internal abstract HypertablePolicyKind Kind { get; }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => $"removal of the {Kind.Feature.ToLowerInvariant()} of hypertable {DisplayTable}";
}
