using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>The columnstore feature's services.</summary>
internal static class ColumnstoreServices
{
    public static void Add(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, ColumnstoreConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, ColumnstoreModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, ColumnstoreSqlGenerator>());
    }

    public static void AddDesignTime(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, ColumnstoreCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, ColumnstoreScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, ColumnstoreScaffoldingCodeGenerator>());
    }
}
