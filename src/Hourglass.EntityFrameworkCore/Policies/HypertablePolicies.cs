using System.Reflection;
using System.Globalization;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hourglass.EntityFrameworkCore.Policies;

/// <summary>
/// Compares the hypertable policies of two models. A policy whose argument is unchanged gets its schedule changed in
/// place (<c>alter_job</c>, same job id), unless a setting can only be reset by recreating the job. Otherwise a new policy
/// is added after everything else (after EF created the index a reorder policy names), an old or changed one removed
/// before everything else (a changed one is then added again).
/// </summary>
internal sealed class HypertablePolicyDiffer(IEnumerable<HypertablePolicyKind> kinds) : ITimescaleModelDiffer
{
    private readonly HypertablePolicyKind[] _kinds = kinds.ToArray();

    public void AddDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        List<MigrationOperation> before,
        List<MigrationOperation> after)
    {
        var removals = new List<MigrationOperation>();
        foreach (var pair in HypertableFeaturePair.All(source, target, efOperations, after))
        {
            foreach (var kind in _kinds)
            {
                var existing = pair.Source is null ? null : kind.Find(pair.Source);
                var wanted = pair.Target is null ? null : kind.Find(pair.Target);
                if (existing == wanted)
                {
                    continue;
                }

                if (existing is not null && wanted is not null && existing.SameArgument(wanted)
                    && JobScheduleComparison.InPlace(existing.Schedule, wanted.Schedule, kind.Defaults) is { } settings)
                {
                    var alter = new AlterPolicyScheduleOperation { Policy = kind.Policy, Schema = pair.Schema, Table = pair.Table };
                    ((IScheduledOperation)alter).Schedule = settings;
                    after.Add(alter);
                    continue;
                }

                if (existing is not null)
                {
                    var remove = kind.NewRemove();
                    remove.Schema = pair.SourceSchema;
                    remove.Table = pair.SourceTable;
                    removals.Add(remove);
                }

                if (wanted is not null)
                {
                    var add = kind.NewAdd();
                    add.Schema = pair.Schema;
                    add.Table = pair.Table;
                    add.Apply(wanted);
                    after.Add(add);
                }
            }
        }

        before.InsertRange(0, removals);
    }
}

/// <summary>SQL for hypertable policies: the kind's add/remove call, and <c>alter_job</c> for the rest of the schedule.</summary>
internal sealed class HypertablePolicySqlGenerator(TimescaleVersionGate gate) : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        switch (operation)
        {
            case AddHypertablePolicyOperation add:
            {
                var kind = add.Kind;
                var functions = kind.Functions(context.Target);
                var regclass = context.RegClass(add.Table, add.Schema);
                var policy = add.Settings;
                // A retention policy by creation time exists from 2.13, but fails at every run before 2.26.3: refused as missing.
                var since = kind.Policy == JobKind.Retention ? PolicyOptions.RetentionCreatedBefore : PolicyOptions.CreatedBefore;
                if (policy.ByCreationTime && !gate.Allows(context.Target.Version, since, add.Describe(), "declare the policy by age instead (after/dropAfter)"))
                {
                    return true;
                }

                // By age on a UUIDv7 key, TimescaleDB's columnstore and retention policies work from 2.25 on.
                if (!policy.ByCreationTime && kind.Policy is JobKind.Columnstore or JobKind.Retention
                    && Hypertables.HypertableColumnTypes.PartitionsByUuid(model, add.Schema, add.Table)
                    && !gate.Allows(context.Target.Version, UuidPartitioning.PoliciesSince, add.Describe() + " on a hypertable partitioned by a UUIDv7 column", "declare it by creation time instead (WithColumnstorePolicyByCreationTime / WithRetentionPolicyByCreationTime)"))
                {
                    return true;
                }

                var argument = policy.ByCreationTime
                    ? $"{functions.CreatedBeforeName} => {TimescaleInterval.Parse(policy.Argument).ToSql()}"
                    : kind.ArgumentIsInterval ? TimescaleInterval.Parse(add.Argument).ToSql() : TimescaleSqlContext.Literal(add.Argument);
                string[] arguments =
                [
                    regclass,
                    functions.ArgumentName is null || policy.ByCreationTime ? argument : $"{functions.ArgumentName} => {argument}",
                    .. JobScheduleSql.CreateArguments(add.Schedule, kind.Defaults),
                ];
                builder.Append($"{(functions.IsProcedure ? "CALL" : context.SelectOrPerform)} {functions.Add}({string.Join(", ", arguments)})").AppendLine(";").EndCommand();
                JobScheduleSql.AppendAlter(context, builder, PolicyJobs.JobsOf(kind.Policy, regclass), JobScheduleSql.SettingsAfterCreate(add.Schedule, kind.Defaults));
                return true;
            }

            case RemoveHypertablePolicyOperation remove:
            {
                var functions = remove.Kind.Functions(context.Target);
                builder.Append($"{(functions.IsProcedure ? "CALL" : context.SelectOrPerform)} {functions.Remove}({context.RegClass(remove.Table, remove.Schema)}, if_exists => TRUE)")
                    .AppendLine(";").EndCommand();
                return true;
            }

            default:
                return false;
        }
    }
}

/// <summary>Writes hypertable policy operations in migration files: <c>AddRetentionPolicy(...).WithSchedule(...)</c> and the like.</summary>
internal sealed class HypertablePolicyCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation switch
        {
            AddHypertablePolicyOperation add => TableOperationCall.Write(
                    builder,
                    code,
                    add.Kind.AddMethod,
                    add,
                    add.CreatedBeforeArgument is { } createdBefore ? (add.Kind.CreatedBeforeParameter!, code.Literal(createdBefore)) : (add.Kind.ArgumentParameter, code.Literal(add.Argument)))
                && JobScheduleCode.AppendWithSchedule(builder, code, add.Schedule),
            RemoveHypertablePolicyOperation remove => TableOperationCall.Write(builder, code, remove.Kind.RemoveMethod, remove),
            _ => false,
        };
}

/// <summary>Reads each scaffolded hypertable's policies (their jobs) from TimescaleDB's catalog, with their schedules.</summary>
internal sealed class HypertablePolicyScaffoldingReader(IEnumerable<HypertablePolicyKind> kinds) : ITimescaleScaffoldingReader
{
    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        var chunkIntervals = catalog.Hypertables.ToDictionary(h => (h.Schema, h.Name), h => h.Dimensions.Count > 0 ? h.Dimensions[0].Interval : null);
        foreach (var kind in kinds)
        {
            var procedure = kind.Policy.ProcedureName();
            foreach (var job in catalog.Jobs.Where(j => j.ProcedureName == procedure && j.RelationName is not null))
            {
                // The argument as the catalog types it: a number (integer time columns), an interval, or the index name.
                var value = job.ConfigValues.GetValueOrDefault(kind.ConfigKey);
                var createdBefore = kind.Policy.CreatedBeforeKey() is { } key && value is null ? job.ConfigValues.GetValueOrDefault(key) : null;
                var argument = createdBefore is not null
                    ? TimescaleInterval.FromCatalog(createdBefore.Interval)?.ToString()
                    : kind.ArgumentIsInterval
                    ? TimescaleInterval.FromCatalog((object?)value?.WholeNumber ?? value?.Interval)?.ToString()
                    : value?.Text;
                if (ScaffoldedHypertables.Find(model, job.RelationSchema, job.RelationName) is not { } table || argument is null)
                {
                    continue;
                }

                // The default interval of columnstore and reorder policies follows the chunk interval.
                var defaults = kind.Defaults with { ScheduleInterval = kind.Policy.DefaultScheduleInterval(chunkIntervals.GetValueOrDefault((job.RelationSchema!, job.RelationName!))) };
                table[kind.ScaffoldAnnotation] = argument;
                if (createdBefore is not null)
                {
                    table[kind.ScaffoldAnnotation + ":ByCreationTime"] = true;
                }

                if (JobScheduleCatalog.Read(job, defaults) is { IsEmpty: false } schedule)
                {
                    table[kind.ScaffoldAnnotation + ":Schedule"] = schedule.Serialize();
                }
            }
        }
    }
}

/// <summary>Writes scaffolded policies as <c>.WithRetentionPolicy("90 days", s =&gt; s.Every(...))</c> and the like.</summary>
internal sealed class HypertablePolicyScaffoldingCodeGenerator(IEnumerable<HypertablePolicyKind> kinds) : ITimescaleScaffoldingCodeGenerator
{
    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        foreach (var kind in kinds)
        {
            if (!annotations.Remove(kind.ScaffoldAnnotation, out var policy) || policy.Value is not string argument)
            {
                continue;
            }

            var closure = annotations.Remove(kind.ScaffoldAnnotation + ":Schedule", out var json) && json.Value is string text
                ? JobScheduleCode.Closure(JobSchedule.Deserialize(text))
                : null;
            var byCreationTime = annotations.Remove(kind.ScaffoldAnnotation + ":ByCreationTime", out var marker) && marker.Value is true;
            var value = kind.ArgumentIsInterval ? TimescaleInterval.Parse(argument).ToCodeValue() : argument;
            var method = kind.FluentType.GetMethod(byCreationTime ? kind.CreatedBeforeFluentMethod! : kind.FluentMethod, [typeof(HypertableBuilder), value.GetType(), typeof(Action<JobScheduleBuilder>)])!;
            yield return closure is null ? new MethodCallCodeFragment(method, value) : new MethodCallCodeFragment(method, value, closure);
        }
    }
}

/// <summary>Reads the policies' attributes, and checks every declared policy once the model is complete.</summary>
internal sealed class HypertablePolicyConvention(IReadOnlyList<HypertablePolicyKind> kinds) : IEntityTypeAddedConvention, IModelFinalizingConvention
{
    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        if (entityTypeBuilder.Metadata.HasSharedClrType)
        {
            return;
        }

        var entityType = entityTypeBuilder.Metadata;
        var schedules = entityType.ClrType.GetCustomAttributes<PolicyScheduleAttribute>(inherit: true).ToList();
        foreach (var kind in kinds)
        {
            if (kind.ReadAttribute(entityType) is { } declared)
            {
                entityTypeBuilder.HasAnnotation(declared.ByCreationTime ? kind.CreatedBeforeAnnotation! : kind.ArgumentAnnotation, declared.Argument, fromDataAnnotation: true);
            }

            var scheduled = schedules.Where(s => s.Policy == kind.Policy).ToList();
            if (scheduled.Count > 1)
            {
                throw TimescaleModelError.Create(kind.Feature, entityType, nameof(PolicyScheduleAttribute), $"{scheduled.Count} [PolicySchedule(JobKind.{kind.Policy})] attributes", "declare one schedule per policy");
            }

            if (scheduled.Count == 1 && scheduled[0].ToSchedule(entityType, kind.Feature, kind.Defaults) is { IsEmpty: false } schedule)
            {
                entityTypeBuilder.HasAnnotation(kind.ScheduleAnnotation, schedule.Serialize(), fromDataAnnotation: true);
            }
        }
    }

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            foreach (var kind in kinds)
            {
                if (kind.CreatedBeforeAnnotation is not null && entityType.FindAnnotation(kind.ArgumentAnnotation) is not null
                    && entityType.FindAnnotation(kind.CreatedBeforeAnnotation)?.Value is string createdBefore)
                {
                    throw TimescaleModelError.Create(
                        kind.Feature,
                        entityType,
                        kind.CreatedBeforeParameter!,
                        $"the policy is declared both by age ({entityType.FindAnnotation(kind.ArgumentAnnotation)!.Value}) and by creation time ({createdBefore}), and TimescaleDB takes one of them",
                        $"keep either {kind.FluentMethod}(...) or {kind.CreatedBeforeFluentMethod}(...) (or the attribute's one argument)");
                }

                if (kind.Find(entityType) is { } policy)
                {
                    kind.Validate(entityType, policy);
                }
                else if (entityType.FindAnnotation(kind.ScheduleAnnotation) is not null)
                {
                    throw TimescaleModelError.Create(
                        kind.Feature,
                        entityType,
                        nameof(PolicyScheduleAttribute),
                        $"a schedule is declared for the {kind.Feature.ToLowerInvariant()}, but the entity has no such policy",
                        $"declare the policy too ({kind.FluentMethod}(...) or its attribute), or remove [PolicySchedule(JobKind.{kind.Policy})]");
                }
            }
        }
    }
}

/// <summary>Adds the policy convention to the provider's convention set.</summary>
internal sealed class HypertablePolicyConventionSetPlugin(IEnumerable<HypertablePolicyKind> kinds) : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        var convention = new HypertablePolicyConvention(kinds.ToList());
        conventionSet.EntityTypeAddedConventions.Add(convention);
        conventionSet.ModelFinalizingConventions.Add(convention);
        return conventionSet;
    }
}

/// <summary>
/// The services of hypertable policies and of policy schedules. Each policy feature registers its
/// <see cref="HypertablePolicyKind"/> with <see cref="AddKind"/>; the shared services are registered once.
/// </summary>
internal static class HypertablePolicyServices
{
    public static void AddKind(IServiceCollection services, HypertablePolicyKind kind)
    {
        Register(services, kind);
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, HypertablePolicyConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, HypertablePolicyDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, HypertablePolicySqlGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, PolicyScheduleGenerator>());
        if (kind.Policy == JobKind.Columnstore)
        {
            // After the policy differ: the option is set once the policy is added.
            services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, RecompressUnorderedConventionSetPlugin>());
            services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, RecompressUnorderedDiffer>());
            services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, RecompressUnorderedSqlGenerator>());
        }
    }

    public static void AddKindDesignTime(IServiceCollection services, HypertablePolicyKind kind)
    {
        Register(services, kind);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, HypertablePolicyCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, PolicyScheduleGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, HypertablePolicyScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, HypertablePolicyScaffoldingCodeGenerator>());
        if (kind.Policy == JobKind.Columnstore)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, RecompressUnorderedCSharpGenerator>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, RecompressUnorderedScaffolding>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, RecompressUnorderedScaffolding>());
        }
    }

    // TryAddEnumerable tells registrations apart by implementation type, and every kind is the same type.
    private static void Register(IServiceCollection services, HypertablePolicyKind kind)
    {
        if (!services.Any(d => ReferenceEquals(d.ImplementationInstance, kind)))
        {
            services.AddSingleton(kind);
        }
    }
}
