using Microsoft.Extensions.DependencyInjection;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Wraps a service around whatever was registered for it before, as a decorator: the earlier registration stays in the
/// service collection, where EF's <c>ReplaceService&lt;TService, TCurrentImplementation, TNewImplementation&gt;</c> can
/// still replace it, and the decorator is added after it with the same lifetime, so it is what EF resolves.
/// </summary>
internal static class ServiceDecoration
{
    /// <summary>Adds <typeparamref name="TDecorator"/> around the last registration of <typeparamref name="TService"/>; false when there is none.</summary>
    public static bool Decorate<TService, TDecorator>(IServiceCollection services)
        where TService : class
        where TDecorator : class, TService
    {
        var previous = services.LastOrDefault(d => d.ServiceType == typeof(TService) && !d.IsKeyedService);
        if (previous is null)
        {
            return false;
        }

        if (previous.ImplementationType != typeof(TDecorator))
        {
            services.Add(new ServiceDescriptor(typeof(TService), typeof(TDecorator), previous.Lifetime));
        }

        return true;
    }

    /// <summary>Like <see cref="Decorate{TService, TDecorator}"/>, registering <typeparamref name="TDefault"/> first when nothing was.</summary>
    public static void Decorate<TService, TDefault, TDecorator>(IServiceCollection services, ServiceLifetime lifetime)
        where TService : class
        where TDefault : class, TService
        where TDecorator : class, TService
    {
        if (!services.Any(d => d.ServiceType == typeof(TService) && !d.IsKeyedService))
        {
            services.Add(new ServiceDescriptor(typeof(TService), typeof(TDefault), lifetime));
        }

        Decorate<TService, TDecorator>(services);
    }

    /// <summary>
    /// The service a decorator wraps: the one registered just before it, as resolved in the decorator's own scope (the
    /// registrations of a service resolve in order, the decorator last). Call it on first use, not in the constructor.
    /// </summary>
    public static TService Inner<TService, TDecorator>(IServiceProvider provider)
        where TService : class
        where TDecorator : class, TService
    {
        var registered = provider.GetServices<TService>().ToList();
        var decorator = registered.FindLastIndex(s => s is TDecorator);
        if (decorator <= 0 || registered[decorator - 1] is TDecorator)
        {
            throw new InvalidOperationException(
                $"Hourglass wraps EF Core's {typeof(TService).Name}, but no {typeof(TService).Name} was registered before it. "
                + "Fix: register the database provider first (UseNpgsql, or AddEntityFrameworkNpgsql() before AddEntityFrameworkTimescale()).");
        }

        return registered[decorator - 1];
    }
}
