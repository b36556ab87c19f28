using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Retention.RetentionServices))]

namespace Hourglass.EntityFrameworkCore.Retention;

/// <summary>The retention feature's services.</summary>
internal sealed class RetentionServices : ITimescaleFeature
{
    // After hypertables, whose creation it follows.
    public int Order => 300;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, RetentionConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, RetentionModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, RetentionSqlGenerator>());
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, RetentionCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, RetentionScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, RetentionScaffoldingCodeGenerator>());
    }
}
