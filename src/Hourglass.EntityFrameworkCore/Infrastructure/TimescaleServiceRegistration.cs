using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Hyperfunctions;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Jobs;
using Hourglass.EntityFrameworkCore.Reorder;
using Hourglass.EntityFrameworkCore.Retention;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Registers the shared TimescaleDB services and every feature. A feature plugs in by registering, from its own folder,
/// an <see cref="ITimescaleModelDiffer"/>, an <see cref="ITimescaleOperationSqlGenerator"/>, EF convention set plugins
/// and, in <see cref="TimescaleDesignTimeServices"/>, a C# operation generator.
/// </summary>
internal static class TimescaleServiceRegistration
{
    public static void AddTimescaleServices(IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Scoped<IMigrationsSqlGenerator, TimescaleMigrationsSqlGenerator>());
        services.Replace(ServiceDescriptor.Scoped<IMigrationsModelDiffer, TimescaleMigrationsModelDiffer>());
        services.TryAddScoped<TimescaleServerDetector>();

        HypertableServices.Add(services);
        ColumnstoreServices.Add(services);
        RetentionPolicy.Add(services);
        ReorderPolicy.Add(services);
        JobServices.Add(services);
        ContinuousAggregateServices.Add(services);
        HyperfunctionServices.Add(services);
    }
}
