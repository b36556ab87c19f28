using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Registers the shared TimescaleDB services around the provider's and then every feature, in the features' order.
/// EF and Npgsql services are wrapped (<see cref="ServiceDecoration"/>), never replaced, so other extensions keep theirs.
/// </summary>
internal static class TimescaleServiceRegistration
{
    /// <summary>The EF services Hourglass wraps; an application or extension replacing one of them after Hourglass bypasses it.</summary>
    public static readonly Type[] DecoratedServices = [typeof(IMigrationsModelDiffer), typeof(IMigrationsSqlGenerator), typeof(IQueryTranslationPostprocessorFactory)];

    public static void AddTimescaleServices(IServiceCollection services)
    {
        if (!ServiceDecoration.Decorate<IMigrationsSqlGenerator, TimescaleMigrationsSqlGenerator>(services)
            | !ServiceDecoration.Decorate<IMigrationsModelDiffer, TimescaleMigrationsModelDiffer>(services))
        {
            throw new InvalidOperationException(
                "Hourglass wraps the database provider's migration services, and none are registered yet. "
                + "Fix: call services.AddEntityFrameworkNpgsql() before services.AddEntityFrameworkTimescale(), or use UseNpgsql(..., o => o.UseTimescale()).");
        }

        // For the asynchronous server ask, the session lock and the steps finished after the migrations; without the
        // migrator the SQL generator asks the server itself and writes those steps outside the transaction, as EF does.
        ServiceDecoration.Decorate<IMigrator, TimescaleMigrator>(services);
        services.TryAddScoped<TimescaleMigrationRun>();
        services.TryAddSingleton<TimescaleLoggingDefinitions>();
        services.TryAddScoped<TimescaleDiagnostics>();
        services.TryAddScoped<TimescaleServerDetector>();
        services.TryAddScoped<TimescaleVersionGate>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, TimescalePluginMarkConventionSetPlugin>());
        foreach (var feature in TimescaleFeatures.All)
        {
            feature.AddServices(services);
        }
    }

    public static void AddTimescaleDesignTimeServices(IServiceCollection services)
    {
        foreach (var feature in TimescaleFeatures.All)
        {
            feature.AddDesignTimeServices(services);
        }
    }
}
