using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.ContinuousAggregates.ContinuousAggregateServices))]

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>The continuous aggregate feature's services.</summary>
internal sealed class ContinuousAggregateServices : ITimescaleFeature
{
    // Last: continuous aggregates read the hypertables and their policies.
    public int Order => 600;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, ContinuousAggregateConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, ContinuousAggregateModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, ContinuousAggregateSqlGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, PolicyScheduleGenerator>());
        services.TryAddScoped<PendingRefreshes>();
        services.TryAddScoped<ContinuousAggregateQueryCompiler>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, ContinuousAggregateQueryConventionSetPlugin>());
        ServiceDecoration.Decorate<IQueryTranslationPostprocessorFactory, ContinuousAggregateQueryTranslationPostprocessorFactory>(services);
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleMigrationCompletion, PendingRefreshes>(s => s.GetRequiredService<PendingRefreshes>()));
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, ContinuousAggregateCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, ContinuousAggregateQuerySnapshotGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, ContinuousAggregateScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, ContinuousAggregateScaffoldingCodeGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, PolicyScheduleGenerator>());
    }
}
