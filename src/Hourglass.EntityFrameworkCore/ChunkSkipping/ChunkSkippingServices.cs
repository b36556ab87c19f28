using System.Reflection;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.ChunkSkipping.ChunkSkippingServices))]

namespace Hourglass.EntityFrameworkCore.ChunkSkipping;

/// <summary>The chunk skipping feature's services.</summary>
internal sealed class ChunkSkippingServices : ITimescaleFeature
{
    // After hypertables (it follows create_hypertable) and the columnstore.
    public int Order => 250;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, ChunkSkippingConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, ChunkSkippingModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, ChunkSkippingSqlGenerator>());
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, ChunkSkippingCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, ChunkSkippingScaffolding>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, ChunkSkippingScaffolding>());
    }
}

/// <summary>Reads <see cref="ChunkSkippingAttribute"/> into the annotation <c>WithChunkSkipping</c> writes.</summary>
internal sealed class ChunkSkippingAttributeConvention : IEntityTypeAddedConvention
{
    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        if (entityType.HasSharedClrType)
        {
            return;
        }

        var properties = entityType.ClrType.GetCustomAttributes<ChunkSkippingAttribute>(inherit: true).SelectMany(a => a.Properties).ToList();
        if (properties.Count > 0)
        {
            entityTypeBuilder.HasAnnotation(ChunkSkippingAnnotation.Name, ChunkSkippingAnnotation.Add(entityType, properties), fromDataAnnotation: true);
        }
    }
}

/// <summary>
/// Checks chunk skipping once the model is complete: a hypertable, existing properties, not the time column, and a
/// store type <c>enable_chunk_skipping</c> accepts.
/// </summary>
internal sealed class ChunkSkippingConventionSetPlugin(IRelationalTypeMappingSource typeMappings) : IConventionSetPlugin, IModelFinalizingConvention
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.Add(new ChunkSkippingAttributeConvention());
        conventionSet.Add(this);
        return conventionSet;
    }

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            var columns = ChunkSkippingAnnotation.Read(entityType);
            if (columns.Count == 0)
            {
                continue;
            }

            HypertableFeatureChecks.RequireHypertableAndInterval("Chunk skipping", entityType, null, "WithChunkSkipping(...)");
            var time = HypertableDefinition.Find(entityType)?.TimeProperty;
            foreach (var property in columns)
            {
                if (entityType.FindProperty(property) is null)
                {
                    throw HypertableFeatureChecks.Error(
                        "Chunk skipping", entityType, property, "WithChunkSkipping names a property that does not exist",
                        $"name an existing property of '{entityType.DisplayName()}' ({string.Join(", ", entityType.GetProperties().Select(p => p.Name))})");
                }

                if (property == time)
                {
                    throw HypertableFeatureChecks.Error(
                        "Chunk skipping", entityType, property, "the time column partitions the hypertable already, so its chunks are skipped without this",
                        "name another column, e.g. an id that grows with time");
                }

                // TimescaleDB refuses other types only when the migration runs, after the table was created.
                if (HypertableColumnTypes.StoreType(entityType.FindProperty(property)!, typeMappings) is { } storeType && !ChunkSkippingColumn.SupportsStoreType(storeType))
                {
                    throw HypertableFeatureChecks.Error(
                        "Chunk skipping", entityType, property,
                        $"the column's type {storeType} ({HypertableColumnTypes.StoredType(entityType.FindProperty(property)!).Name}) has no per-chunk ranges in TimescaleDB, whose enable_chunk_skipping accepts {string.Join(", ", ChunkSkippingColumn.SupportedTypes)} only",
                        "name a column of one of those types (e.g. a long sequence or a DateTime), or remove it from WithChunkSkipping(...) / [ChunkSkipping]");
                }
            }
        }
    }
}

/// <summary>Compares the chunk-skipping columns of each hypertable: new ones after create_hypertable, removed ones first.</summary>
internal sealed class ChunkSkippingModelDiffer : ITimescaleModelDiffer
{
    public void AddDifferences(IRelationalModel? source, IRelationalModel? target, IReadOnlyList<MigrationOperation> efOperations, List<MigrationOperation> before, List<MigrationOperation> after)
    {
        foreach (var pair in HypertableFeaturePair.All(source, target, efOperations, after))
        {
            if (pair.Target is null)
            {
                continue;
            }

            var existing = pair.Source is null ? [] : ChunkSkippingAnnotation.Read(pair.Source).Select(p => pair.SourceColumn(p) ?? p).ToList();
            var wanted = ChunkSkippingAnnotation.Read(pair.Target).Select(p => pair.TargetColumn(p) ?? p).ToList();
            before.AddRange(existing.Except(wanted).Select(c => new DisableChunkSkippingOperation { Schema = pair.SourceSchema, Table = pair.SourceTable, Column = c }));
            after.AddRange(wanted.Except(existing).Select(c => new EnableChunkSkippingOperation { Schema = pair.Schema, Table = pair.Table, Column = c }));
        }
    }
}

/// <summary>
/// <c>enable_chunk_skipping</c>/<c>disable_chunk_skipping</c>, with <c>timescaledb.enable_chunk_skipping</c> turned on
/// for the migration's transaction (TimescaleDB refuses both calls while it is off). Before 2.16: refused under Strict,
/// skipped with a warning naming 2.16 under Degrade.
/// </summary>
internal sealed class ChunkSkippingSqlGenerator(TimescaleVersionGate gate) : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not (EnableChunkSkippingOperation or DisableChunkSkippingOperation))
        {
            return false;
        }

        var timescale = (TimescaleMigrationOperation)operation;
        if (!gate.Allows(context.Target.Version, ChunkSkippingColumn.Since, timescale.Describe(), "remove WithChunkSkipping(...)"))
        {
            return true;
        }

        var (function, column) = operation switch
        {
            EnableChunkSkippingOperation e => ("enable_chunk_skipping", e.Column),
            DisableChunkSkippingOperation d => ("disable_chunk_skipping", d.Column),
            _ => throw new InvalidOperationException(),
        };

        // One statement: the setting is on for this transaction before the call, also outside one.
        context.AppendCall(
            builder,
            $"{function}({context.RegClass(timescale.Table, timescale.Schema)}, {TimescaleSqlContext.Literal(column)}) FROM (SELECT set_config('{ChunkSkippingColumn.Setting}', 'on', true)) AS setting");
        return true;
    }
}

/// <summary>Writes <c>migrationBuilder.EnableChunkSkipping(...)</c> and <c>DisableChunkSkipping(...)</c>.</summary>
internal sealed class ChunkSkippingCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation switch
        {
            EnableChunkSkippingOperation o => TableOperationCall.Write(builder, code, "EnableChunkSkipping", o, ("column", code.Literal(o.Column))),
            DisableChunkSkippingOperation o => TableOperationCall.Write(builder, code, "DisableChunkSkipping", o, ("column", code.Literal(o.Column))),
            _ => false,
        };
}

/// <summary>Reads the chunk-skipping columns from the catalog and writes them as <c>.WithChunkSkipping("Sequence")</c>.</summary>
internal sealed class ChunkSkippingScaffolding : ITimescaleScaffoldingReader, ITimescaleScaffoldingCodeGenerator
{
    private const string Annotation = "Hourglass:Scaffold:ChunkSkipping";

    private static readonly MethodInfo s_withChunkSkipping = typeof(ChunkSkippingHypertableBuilderExtensions)
        .GetMethod(nameof(ChunkSkippingHypertableBuilderExtensions.WithChunkSkipping), [typeof(HypertableBuilder), typeof(string[])])!;

    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        foreach (var group in catalog.ChunkSkipping.GroupBy(c => (c.Schema, c.Table)))
        {
            if (ScaffoldedHypertables.Find(model, group.Key.Schema, group.Key.Table) is { } table)
            {
                table[Annotation] = AnnotationJson.Serialize(group.Select(c => c.Column).ToList());
            }
        }
    }

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (annotations.Remove(Annotation, out var annotation) && annotation.Value is string json)
        {
            var properties = AnnotationJson.Deserialize<List<string>>(json)
                .Select(c => entityType.GetProperties().FirstOrDefault(p => p.GetColumnName() == c)?.Name ?? c)
                .Cast<object?>().ToArray();
            yield return new MethodCallCodeFragment(s_withChunkSkipping, properties);
        }
    }
}
