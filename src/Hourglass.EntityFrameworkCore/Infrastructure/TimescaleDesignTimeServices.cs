using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Jobs;
using Hourglass.EntityFrameworkCore.Reorder;
using Hourglass.EntityFrameworkCore.Retention;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Design-time services for <c>dotnet ef</c>: migration files call <c>migrationBuilder.CreateHypertable(...)</c> and friends.
/// Found through the <c>[DesignTimeServicesReference]</c> attribute the package's build targets add to the application,
/// so applications write no <see cref="IDesignTimeServices"/> class of their own.
/// </summary>
public sealed class TimescaleDesignTimeServices : IDesignTimeServices
{
    /// <inheritdoc />
    public void ConfigureDesignTimeServices(IServiceCollection serviceCollection)
    {
        ArgumentNullException.ThrowIfNull(serviceCollection);
        serviceCollection.AddSingleton<ICSharpMigrationOperationGenerator, TimescaleCSharpMigrationOperationGenerator>();

        // Registered before the provider's (which only TryAdds), so these win for scaffolding.
        serviceCollection.TryAddSingleton<IDatabaseModelFactory, TimescaleDatabaseModelFactory>();
        serviceCollection.TryAddSingleton<IAnnotationCodeGenerator, TimescaleAnnotationCodeGenerator>();
        HypertableServices.AddDesignTime(serviceCollection);
        ColumnstoreServices.AddDesignTime(serviceCollection);
        RetentionPolicy.AddDesignTime(serviceCollection);
        ReorderPolicy.AddDesignTime(serviceCollection);
        JobServices.AddDesignTime(serviceCollection);
        ContinuousAggregateServices.AddDesignTime(serviceCollection);
    }
}
