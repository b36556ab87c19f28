using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;
using Npgsql.EntityFrameworkCore.PostgreSQL.Scaffolding.Internal;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Design-time services for <c>dotnet ef</c>: migration files call <c>migrationBuilder.CreateHypertable(...)</c> and friends,
/// and scaffolding reads hypertables and their features. Found through the <c>[DesignTimeServicesReference]</c> attribute
/// the package's build targets add to the application, so applications write no <see cref="IDesignTimeServices"/> class
/// of their own.
/// </summary>
/// <remarks>
/// EF's and Npgsql's design-time services are wrapped, not replaced. They are registered after these (with TryAdd), so
/// the defaults they would add are registered first here and wrapped; an application's own design-time services still
/// see and may wrap Hourglass's. The context's model differ is wrapped too, so a migration keeps its TimescaleDB
/// operations even when another extension registered its differ after <c>UseTimescale</c>.
/// </remarks>
public sealed class TimescaleDesignTimeServices : IDesignTimeServices
{
    /// <inheritdoc />
    public void ConfigureDesignTimeServices(IServiceCollection serviceCollection)
    {
        ArgumentNullException.ThrowIfNull(serviceCollection);
        ServiceDecoration.Decorate<ICSharpMigrationOperationGenerator, CSharpMigrationOperationGenerator, TimescaleCSharpMigrationOperationGenerator>(
            serviceCollection, ServiceLifetime.Singleton);
        ServiceDecoration.Decorate<IDatabaseModelFactory, NpgsqlDatabaseModelFactory, TimescaleDatabaseModelFactory>(serviceCollection, ServiceLifetime.Singleton);
        ServiceDecoration.Decorate<IAnnotationCodeGenerator, NpgsqlAnnotationCodeGenerator, TimescaleAnnotationCodeGenerator>(serviceCollection, ServiceLifetime.Singleton);
        ServiceDecoration.Decorate<IMigrationsModelDiffer, TimescaleDesignTimeModelDiffer>(serviceCollection);
        TimescaleServiceRegistration.AddTimescaleDesignTimeServices(serviceCollection);
        serviceCollection.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderCodeGeneratorPlugin, TimescaleCodeGeneratorPlugin>());
    }
}
