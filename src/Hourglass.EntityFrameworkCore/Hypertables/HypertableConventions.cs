using Hourglass.EntityFrameworkCore.Infrastructure;
using System.Reflection;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Reads <see cref="HypertableAttribute"/> and the dimension attributes into the same annotations the fluent API writes.</summary>
internal sealed class HypertableAttributeConvention : IEntityTypeAddedConvention
{
    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        var clrType = entityType.ClrType;
        if (entityType.HasSharedClrType || clrType.GetCustomAttribute<HypertableAttribute>(inherit: true) is not { } hypertable)
        {
            return;
        }

        entityTypeBuilder.HasAnnotation(HypertableAnnotationNames.TimeProperty, hypertable.TimeProperty, fromDataAnnotation: true);
        if (hypertable.ChunkInterval is not null)
        {
            var interval = HypertableModelErrors.Interval(entityType, hypertable.TimeProperty, hypertable.ChunkInterval);
            entityTypeBuilder.HasAnnotation(HypertableAnnotationNames.ChunkInterval, interval.ToString(), fromDataAnnotation: true);
        }

        if (!hypertable.CreateDefaultIndexes)
        {
            entityTypeBuilder.HasAnnotation(HypertableAnnotationNames.CreateDefaultIndexes, false, fromDataAnnotation: true);
        }

        if (hypertable.MigrateData)
        {
            entityTypeBuilder.HasAnnotation(HypertableAnnotationNames.MigrateData, true, fromDataAnnotation: true);
        }

        if (hypertable.IntegerNowFunction is not null)
        {
            entityTypeBuilder.HasAnnotation(HypertableAnnotationNames.IntegerNowFunction, hypertable.IntegerNowFunction, fromDataAnnotation: true);
        }

        var dimensions = new List<HypertableDimension>();
        foreach (var hash in clrType.GetCustomAttributes<HypertableHashDimensionAttribute>(inherit: true))
        {
            dimensions.Add(HypertableModelErrors.HashDimension(entityType, hash.Property, hash.Partitions));
        }

        foreach (var range in clrType.GetCustomAttributes<HypertableRangeDimensionAttribute>(inherit: true))
        {
            TimescaleInterval? interval = range.Interval is null
                ? null
                : HypertableModelErrors.Interval(entityType, range.Property, range.Interval);
            dimensions.Add(new HypertableDimension(range.Property, null, interval));
        }

        if (dimensions.Count > 0)
        {
            entityTypeBuilder.HasAnnotation(HypertableAnnotationNames.Dimensions, HypertableDimension.Format(dimensions), fromDataAnnotation: true);
        }
    }
}

/// <summary>Validates hypertable declarations once the model is complete, naming the entity, property and fix.</summary>
internal sealed class HypertableValidationConvention(IRelationalTypeMappingSource typeMappings) : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
        => HypertableModelErrors.Validate(modelBuilder.Metadata, typeMappings);
}

/// <summary>Adds the hypertable conventions to the provider's convention set.</summary>
internal sealed class HypertableConventionSetPlugin(IRelationalTypeMappingSource typeMappings) : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.Add(new HypertableAttributeConvention());
        conventionSet.Add(new HypertableValidationConvention(typeMappings));
        return conventionSet;
    }
}
