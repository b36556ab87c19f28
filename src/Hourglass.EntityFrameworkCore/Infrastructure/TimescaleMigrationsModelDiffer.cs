using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Internal;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Update;
using Microsoft.EntityFrameworkCore.Update.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>EF's model differ plus the TimescaleDB features' own differences, placed around EF's operations.</summary>
internal sealed class TimescaleMigrationsModelDiffer(
    IRelationalTypeMappingSource typeMappingSource,
    IMigrationsAnnotationProvider migrationsAnnotationProvider,
    IRelationalAnnotationProvider relationalAnnotationProvider,
    IRowIdentityMapFactory rowIdentityMapFactory,
    CommandBatchPreparerDependencies commandBatchPreparerDependencies,
    IEnumerable<ITimescaleModelDiffer> featureDiffers)
    : MigrationsModelDiffer(typeMappingSource, migrationsAnnotationProvider, relationalAnnotationProvider, rowIdentityMapFactory, commandBatchPreparerDependencies)
{
    private readonly ITimescaleModelDiffer[] _featureDiffers = featureDiffers.ToArray();

    public override bool HasDifferences(IRelationalModel? source, IRelationalModel? target)
        => base.HasDifferences(source, target) || FeatureDifferences(source, target, []) is ({ Count: > 0 }, _) or (_, { Count: > 0 });

    public override IReadOnlyList<MigrationOperation> GetDifferences(IRelationalModel? source, IRelationalModel? target)
    {
        var efOperations = base.GetDifferences(source, target);
        var (before, after) = FeatureDifferences(source, target, efOperations);
        if (before.Count == 0 && after.Count == 0)
        {
            return efOperations;
        }

        return [.. before, .. efOperations, .. after];
    }

    private (List<MigrationOperation> Before, List<MigrationOperation> After) FeatureDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations)
    {
        var before = new List<MigrationOperation>();
        var after = new List<MigrationOperation>();
        foreach (var differ in _featureDiffers)
        {
            differ.AddDifferences(source, target, efOperations, before, after);
        }

        return (before, after);
    }
}
