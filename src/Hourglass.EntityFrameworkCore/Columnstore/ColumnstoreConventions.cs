using System.Reflection;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>Reads <see cref="ColumnstoreAttribute"/> into the annotations <c>WithColumnstore</c> writes.</summary>
internal sealed class ColumnstoreAttributeConvention : IEntityTypeAddedConvention
{
    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        if (entityType.HasSharedClrType || entityType.ClrType.GetCustomAttribute<ColumnstoreAttribute>(inherit: true) is not { } columnstore)
        {
            return;
        }

        entityTypeBuilder.HasAnnotation(ColumnstoreAnnotationNames.Enabled, true, fromDataAnnotation: true);
        if (columnstore.SegmentBy is not null)
        {
            entityTypeBuilder.HasAnnotation(ColumnstoreAnnotationNames.SegmentBy, ColumnstoreDefinition.SegmentByToAnnotation(ColumnstoreDefinition.SplitList(columnstore.SegmentBy)), fromDataAnnotation: true);
        }

        if (columnstore.OrderBy is not null)
        {
            var order = ColumnstoreOrder.Parse(columnstore.OrderBy, out var error)
                ?? throw HypertableFeatureChecks.Error("Columnstore", entityType, columnstore.OrderBy, error!, "write e.g. [Columnstore(OrderBy = \"Time DESC\")]");
            entityTypeBuilder.HasAnnotation(ColumnstoreAnnotationNames.OrderBy, ColumnstoreOrderAnnotation.ToAnnotation(order), fromDataAnnotation: true);
        }

        if (columnstore.SparseIndexes is not null)
        {
            var sparse = SparseIndex.Parse(columnstore.SparseIndexes, out var error)
                ?? throw HypertableFeatureChecks.Error("Columnstore", entityType, columnstore.SparseIndexes, error!, "write e.g. [Columnstore(SparseIndexes = \"bloom(Tag), minmax(Value)\")], or \"\" for none");
            entityTypeBuilder.HasAnnotation(ColumnstoreAnnotationNames.SparseIndexes, SparseIndex.Format(sparse), fromDataAnnotation: true);
        }

        if (columnstore.DirectCompress)
        {
            entityTypeBuilder.HasAnnotation(DirectCompressAnnotation.Name, true, fromDataAnnotation: true);
        }

        if (columnstore.MergeChunksUpTo is not null)
        {
            var merged = ColumnstoreTuning.MergedChunkIntervalUse.Require(columnstore.MergeChunksUpTo, "Columnstore", entityType, nameof(ColumnstoreAttribute.MergeChunksUpTo));
            entityTypeBuilder.HasAnnotation(ColumnstoreAnnotationNames.MergedChunkInterval, merged.ToString(), fromDataAnnotation: true);
        }

        if (columnstore.PolicyAfter is not null)
        {
            var after = ColumnstorePolicy.Kind.Interval(entityType, nameof(ColumnstoreAttribute.PolicyAfter), columnstore.PolicyAfter);
            entityTypeBuilder.HasAnnotation(ColumnstoreAnnotationNames.PolicyAfter, after, fromDataAnnotation: true);
        }

        if (columnstore.PolicyCreatedBefore is not null)
        {
            var createdBefore = ColumnstorePolicy.Kind.CreatedBeforeInterval(entityType, nameof(ColumnstoreAttribute.PolicyCreatedBefore), columnstore.PolicyCreatedBefore);
            entityTypeBuilder.HasAnnotation(ColumnstorePolicy.PolicyCreatedBeforeAnnotation, createdBefore, fromDataAnnotation: true);
        }
    }
}

/// <summary>Checks columnstore declarations once the model is complete, naming the entity, property and fix.</summary>
internal sealed class ColumnstoreValidationConvention : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            Validate(entityType);
        }
    }

    internal static void Validate(IReadOnlyEntityType entityType)
    {
        var policy = entityType.FindAnnotation(ColumnstoreAnnotationNames.PolicyAfter)?.Value as string;
        var definition = ColumnstoreDefinition.Find(entityType);
        if (definition is null && policy is null)
        {
            return;
        }

        HypertableFeatureChecks.RequireHypertableAndInterval(definition is null ? "Columnstore policy" : "Columnstore", entityType, policy, "WithColumnstore(...)");
        if (definition is null)
        {
            throw HypertableFeatureChecks.Error(
                "Columnstore policy",
                entityType,
                "(table)",
                "a columnstore policy needs the columnstore enabled on the hypertable, and it is not",
                "call WithColumnstore(c => c.SegmentBy(...).OrderBy(...)) before WithColumnstorePolicy(...), or add [Columnstore]");
        }

        foreach (var property in definition.SegmentBy)
        {
            RequireProperty(entityType, property, "SegmentBy");
        }

        foreach (var entry in definition.OrderBy)
        {
            RequireProperty(entityType, entry.Name, "OrderBy");
            if (definition.SegmentBy.Contains(entry.Name))
            {
                throw HypertableFeatureChecks.Error("Columnstore", entityType, entry.Name, "the property is in both segmentby and orderby, which TimescaleDB rejects", "keep it in one of SegmentBy(...) and OrderBy(...)");
            }
        }

        ColumnstoreTuning.Validate(entityType, definition);
    }

    internal static void RequireProperty(IReadOnlyEntityType entityType, string name, string method)
    {
        if (entityType.FindProperty(name) is not null)
        {
            return;
        }

        var similar = entityType.GetProperties().FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        var fix = similar is null
            ? $"name an existing property of '{entityType.DisplayName()}' in {method}(...) ({string.Join(", ", entityType.GetProperties().Select(p => p.Name))})"
            : $"property names are case-sensitive: write '{similar.Name}' in {method}(...)";
        throw HypertableFeatureChecks.Error("Columnstore", entityType, name, $"{method} names a property that does not exist", fix);
    }
}

/// <summary>Adds the columnstore conventions to the provider's convention set.</summary>
internal sealed class ColumnstoreConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.Add(new ColumnstoreAttributeConvention());
        conventionSet.Add(new ColumnstoreValidationConvention());
        return conventionSet;
    }
}
