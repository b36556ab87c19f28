using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Reorder.ReorderServices))]

namespace Hourglass.EntityFrameworkCore.Reorder;

/// <summary>The reorder feature's services.</summary>
internal sealed class ReorderServices : ITimescaleFeature
{
    // After hypertables, whose creation it follows.
    public int Order => 400;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, ReorderConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, ReorderModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, ReorderSqlGenerator>());
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, ReorderCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, ReorderScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, ReorderScaffoldingCodeGenerator>());
    }
}
