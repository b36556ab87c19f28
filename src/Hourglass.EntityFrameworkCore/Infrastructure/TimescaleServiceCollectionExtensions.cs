using Hourglass.EntityFrameworkCore.Infrastructure;

// As EF's AddEntityFramework* methods, in DI's namespace.
// ReSharper disable once CheckNamespace
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Hourglass's EF Core services in a service provider the application builds itself.</summary>
public static class TimescaleServiceCollectionExtensions
{
    /// <summary>
    /// Adds Hourglass's TimescaleDB services around the Npgsql provider's, for applications that give EF their own internal
    /// service provider (<c>UseInternalServiceProvider</c>). Call it after <c>AddEntityFrameworkNpgsql()</c>, and still call
    /// <c>UseTimescale()</c> on the Npgsql options, which carries the TimescaleDB options. Other applications need not call it.
    /// </summary>
    /// <param name="serviceCollection">The service collection EF's internal service provider is built from.</param>
    /// <returns>The same collection, for chaining.</returns>
    public static IServiceCollection AddEntityFrameworkTimescale(this IServiceCollection serviceCollection)
    {
        ArgumentNullException.ThrowIfNull(serviceCollection);
        TimescaleServiceRegistration.AddTimescaleServices(serviceCollection);
        return serviceCollection;
    }
}
