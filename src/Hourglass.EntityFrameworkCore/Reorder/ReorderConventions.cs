using System.Reflection;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Reorder;

/// <summary>Reads <see cref="ReorderPolicyAttribute"/>, and checks reorder policies once the model is complete.</summary>
internal sealed class ReorderConvention : IEntityTypeAddedConvention, IModelFinalizingConvention
{
    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        if (!entityType.HasSharedClrType && entityType.ClrType.GetCustomAttribute<ReorderPolicyAttribute>(inherit: true) is { } reorder)
        {
            entityTypeBuilder.HasAnnotation(ReorderAnnotationNames.Index, reorder.IndexName, fromDataAnnotation: true);
        }
    }

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            if (ReorderAnnotationNames.Find(entityType) is { } index)
            {
                Validate(entityType, index);
            }
        }
    }

    private static void Validate(IConventionEntityType entityType, string index)
    {
        HypertableFeatureChecks.RequireHypertableAndInterval("Reorder policy", entityType, null, "WithReorderPolicy(...)");
        var names = IndexNames(entityType).ToList();
        if (!names.Contains(index))
        {
            throw HypertableFeatureChecks.Error(
                "Reorder policy",
                entityType,
                index,
                $"the index '{index}' is not an index of the entity's table in the model{(names.Count == 0 ? "" : $" (its indexes: {string.Join(", ", names)})")}",
                "declare it, e.g. HasIndex(x => new { x.DeviceId, x.Time }).HasDatabaseName(\"" + index + "\"), or name one of the existing indexes");
        }
    }

    private static IEnumerable<string> IndexNames(IConventionEntityType entityType)
    {
        foreach (var index in entityType.GetIndexes())
        {
            if (index.GetDatabaseName() is { } name)
            {
                yield return name;
            }
        }

        // Keys are backed by unique indexes of the same name.
        foreach (var key in entityType.GetKeys())
        {
            if (key.GetName() is { } name)
            {
                yield return name;
            }
        }
    }
}

/// <summary>Adds the reorder convention to the provider's convention set.</summary>
internal sealed class ReorderConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        var convention = new ReorderConvention();
        conventionSet.EntityTypeAddedConventions.Add(convention);
        conventionSet.ModelFinalizingConventions.Add(convention);
        return conventionSet;
    }
}
