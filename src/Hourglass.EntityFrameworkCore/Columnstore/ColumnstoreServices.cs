using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Columnstore.ColumnstoreServices))]

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>The columnstore feature's services.</summary>
internal sealed class ColumnstoreServices : ITimescaleFeature
{
    // After hypertables, whose creation it follows.
    public int Order => 200;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, ColumnstoreConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, ColumnstoreModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, ColumnstoreSqlGenerator>());

        // After the settings' differ: the policy is added once the columnstore is enabled, and removed before it is disabled.
        HypertablePolicyServices.AddKind(services, ColumnstorePolicy.Kind);

        // After the settings' differ too: direct compress is turned on once the columnstore is enabled.
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, DirectCompressConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, DirectCompressModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, DirectCompressSqlGenerator>());
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, ColumnstoreCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, ColumnstoreScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, ColumnstoreScaffoldingCodeGenerator>());
        HypertablePolicyServices.AddKindDesignTime(services, ColumnstorePolicy.Kind);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, DirectCompressCSharpGenerator>());
    }
}
