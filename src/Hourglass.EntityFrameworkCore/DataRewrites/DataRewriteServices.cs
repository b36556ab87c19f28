using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.DataRewrites.DataRewriteServices))]

namespace Hourglass.EntityFrameworkCore.DataRewrites;

/// <summary>The safety switch's services: the check of generated migrations, and the allowance kept out of snapshots.</summary>
internal sealed class DataRewriteServices : ITimescaleFeature
{
    // No differ of its own: it reads what every feature's differ emitted.
    public int Order => 900;

    public void AddServices(IServiceCollection services)
        => services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleDifferencesCheck, DataRewriteCheck>());

    public void AddDesignTimeServices(IServiceCollection services)
        => services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, DataRewriteSnapshotGenerator>());
}

/// <summary>
/// Keeps the allowance out of model snapshots and migrations' target models: it is a switch for generating the next
/// migration, read from the current model only, not part of the database's shape.
/// </summary>
internal sealed class DataRewriteSnapshotGenerator : ITimescaleScaffoldingCodeGenerator
{
    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        annotations.Remove(DataRewrite.AllowedAnnotation);
        return [];
    }
}
