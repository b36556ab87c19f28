using System.Text.Json;
using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;

namespace Hourglass.EntityFrameworkCore.Policies;

/// <summary>
/// The columnstore policy's <c>recompress_unordered</c> option (TimescaleDB 2.29+): a key of the policy job's config that
/// <c>add_columnstore_policy</c> does not take, so it is set, changed and reset with <c>alter_job(config =&gt; ...)</c> on the
/// policy's job, in place. Not set means TimescaleDB's default (true).
/// </summary>
internal static class RecompressUnordered
{
    public const string Annotation = "Hourglass:Columnstore:PolicyRecompressUnordered";

    public const string ScaffoldAnnotation = "Hourglass:Scaffold:ColumnstorePolicy:RecompressUnordered";

    public static bool? Find(IReadOnlyAnnotatable entityType) => entityType.FindAnnotation(Annotation)?.Value as bool?;
}

/// <summary>
/// Sets, changes or resets the columnstore policy's <c>recompress_unordered</c>:
/// <c>alter_job(job_id, config =&gt; config || '{"recompress_unordered": false}')</c>.
/// </summary>
public sealed class SetColumnstorePolicyRecompressUnorderedOperation : TimescaleMigrationOperation
{
    /// <summary>Whether the policy recompresses chunks that became unordered; null resets it to TimescaleDB's default (true).</summary>
    public bool? RecompressUnordered { get; set; }

    /// <inheritdoc />
    public override bool RequiresCommunityFeatures => true;

    /// <inheritdoc />
    public override string Describe() => RecompressUnordered is { } value
        ? $"recompress_unordered = {(value ? "true" : "false")} of the columnstore policy of {DisplayTable}"
        : $"reset of recompress_unordered of the columnstore policy of {DisplayTable}";
}

/// <summary>The option's changes: after the policy is added (or kept), set or reset in place.</summary>
internal sealed class RecompressUnorderedDiffer : ITimescaleModelDiffer
{
    public void AddDifferences(IRelationalModel? source, IRelationalModel? target, IReadOnlyList<MigrationOperation> efOperations, List<MigrationOperation> before, List<MigrationOperation> after)
    {
        foreach (var pair in HypertableFeaturePair.All(source, target, efOperations, after))
        {
            var existingPolicy = pair.Source is null ? null : ColumnstorePolicy.Kind.Find(pair.Source);
            var wantedPolicy = pair.Target is null ? null : ColumnstorePolicy.Kind.Find(pair.Target);
            var existing = existingPolicy is null ? null : RecompressUnordered.Find(pair.Source!);
            var wanted = wantedPolicy is null ? null : RecompressUnordered.Find(pair.Target!);
            if (wantedPolicy is null)
            {
                continue; // no policy, no option (a removed policy takes its job's config with it)
            }

            // A new or recreated policy starts from TimescaleDB's default.
            var recreated = existingPolicy is null || !existingPolicy.SameArgument(wantedPolicy)
                || Scheduling.JobScheduleComparison.InPlace(existingPolicy.Schedule, wantedPolicy.Schedule, ColumnstorePolicy.Kind.Defaults) is null;
            if (recreated ? wanted is not null : existing != wanted)
            {
                after.Add(new SetColumnstorePolicyRecompressUnorderedOperation { Schema = pair.Schema, Table = pair.Table, RecompressUnordered = wanted });
            }
        }
    }
}

/// <summary>SQL for <see cref="SetColumnstorePolicyRecompressUnorderedOperation"/>, version-gated (2.29).</summary>
internal sealed class RecompressUnorderedSqlGenerator(TimescaleVersionGate gate) : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not SetColumnstorePolicyRecompressUnorderedOperation set)
        {
            return false;
        }

        // Before 2.29 the columnstore policy ignores the option.
        if (!gate.Allows(context.Target.Version, PolicyOptions.RecompressUnordered, set.Describe(), "remove RecompressUnordered(...) from the model"))
        {
            return true;
        }

        var change = set.RecompressUnordered is { } value
            ? $"config || jsonb_build_object('{PolicyOptions.RecompressUnorderedKey}', {(value ? "true" : "false")})"
            : $"config - '{PolicyOptions.RecompressUnorderedKey}'";
        context.AppendCall(builder, Scheduling.PolicyJobs.AlterConfig(JobKind.Columnstore, context.RegClass(set.Table, set.Schema), change));
        return true;
    }
}

/// <summary>C# for <see cref="SetColumnstorePolicyRecompressUnorderedOperation"/> in migration files.</summary>
internal sealed class RecompressUnorderedCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation is SetColumnstorePolicyRecompressUnorderedOperation set
            && TableOperationCall.Write(builder, code, "SetColumnstorePolicyRecompressUnordered", set, ("recompressUnordered", code.UnknownLiteral(set.RecompressUnordered)));
}

/// <summary>Checks the option once the model is complete: it needs a columnstore policy.</summary>
internal sealed class RecompressUnorderedConvention : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            if (RecompressUnordered.Find(entityType) is not null && ColumnstorePolicy.Kind.Find(entityType) is null)
            {
                throw TimescaleModelError.Create(
                    "Columnstore policy",
                    entityType,
                    "RecompressUnordered",
                    "recompress_unordered is an option of the columnstore policy, and the entity has none",
                    "declare the policy too: WithColumnstorePolicy(...).RecompressUnordered(false), or remove RecompressUnordered(...)");
            }
        }
    }
}

/// <summary>Adds <see cref="RecompressUnorderedConvention"/>.</summary>
internal sealed class RecompressUnorderedConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.ModelFinalizingConventions.Add(new RecompressUnorderedConvention());
        return conventionSet;
    }
}

/// <summary>Reads <c>recompress_unordered</c> from a scaffolded columnstore policy's config and writes it as <c>.RecompressUnordered(false)</c>.</summary>
internal sealed class RecompressUnorderedScaffolding : ITimescaleScaffoldingReader, ITimescaleScaffoldingCodeGenerator
{
    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        foreach (var job in catalog.Jobs.Where(j => j.ProcedureName == JobKind.Columnstore.ProcedureName() && j.RelationName is not null && j.Config is not null))
        {
            using var config = JsonDocument.Parse(job.Config!);
            if (config.RootElement.ValueKind == JsonValueKind.Object
                && config.RootElement.TryGetProperty(PolicyOptions.RecompressUnorderedKey, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
                && ScaffoldedHypertables.Find(model, job.RelationSchema, job.RelationName) is { } table)
            {
                table[RecompressUnordered.ScaffoldAnnotation] = value.GetBoolean();
            }
        }
    }

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (annotations.Remove(RecompressUnordered.ScaffoldAnnotation, out var annotation) && annotation.Value is bool value)
        {
            yield return new MethodCallCodeFragment(
                typeof(Microsoft.EntityFrameworkCore.ColumnstoreHypertableBuilderExtensions).GetMethod(
                    nameof(Microsoft.EntityFrameworkCore.ColumnstoreHypertableBuilderExtensions.RecompressUnordered),
                    [typeof(HypertableBuilder), typeof(bool)])!,
                value);
        }
    }
}
