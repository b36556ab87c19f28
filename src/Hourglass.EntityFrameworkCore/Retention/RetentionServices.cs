using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Retention.RetentionServices))]

namespace Hourglass.EntityFrameworkCore.Retention;

/// <summary>The retention policy feature: its <see cref="RetentionPolicy.Kind"/> in the shared hypertable policy services.</summary>
internal sealed class RetentionServices : ITimescaleFeature
{
    // After hypertables, whose creation it follows.
    public int Order => 300;

    public void AddServices(IServiceCollection services) => RetentionPolicy.Add(services);

    public void AddDesignTimeServices(IServiceCollection services) => RetentionPolicy.AddDesignTime(services);
}
