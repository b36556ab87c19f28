using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Hypertables.HypertableServices))]

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>The hypertable feature's services.</summary>
internal sealed class HypertableServices : ITimescaleFeature
{
    // Hypertables come first: the other features read the hypertables this migration creates.
    public int Order => 100;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, HypertableConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, HypertableModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, HypertableSqlGenerator>());
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, HypertableCSharpGenerator>());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, HypertableScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, HypertableScaffoldingCodeGenerator>());
    }
}
