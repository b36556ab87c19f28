using System.Reflection;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Retention;

/// <summary>Reads <see cref="RetentionPolicyAttribute"/>, and checks retention policies once the model is complete.</summary>
internal sealed class RetentionConvention : IEntityTypeAddedConvention, IModelFinalizingConvention
{
    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        if (entityType.HasSharedClrType || entityType.ClrType.GetCustomAttribute<RetentionPolicyAttribute>(inherit: true) is not { } retention)
        {
            return;
        }

        var dropAfter = PolicyInterval.Normalize(retention.DropAfter, out var error)
            ?? throw HypertableFeatureChecks.Error("Retention policy", entityType, nameof(RetentionPolicyAttribute.DropAfter), error!, "give a positive interval such as [RetentionPolicy(\"90 days\")] (digits for integer time columns)");
        entityTypeBuilder.HasAnnotation(RetentionAnnotationNames.DropAfter, dropAfter, fromDataAnnotation: true);
    }

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            if (RetentionAnnotationNames.Find(entityType) is { } dropAfter)
            {
                HypertableFeatureChecks.RequireHypertableAndInterval("Retention policy", entityType, dropAfter, "WithRetentionPolicy(...)");
            }
        }
    }
}

/// <summary>Adds the retention convention to the provider's convention set.</summary>
internal sealed class RetentionConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        var convention = new RetentionConvention();
        conventionSet.EntityTypeAddedConventions.Add(convention);
        conventionSet.ModelFinalizingConventions.Add(convention);
        return conventionSet;
    }
}
