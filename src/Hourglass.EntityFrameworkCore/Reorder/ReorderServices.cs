using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Reorder.ReorderServices))]

namespace Hourglass.EntityFrameworkCore.Reorder;

/// <summary>The reorder policy feature: its <see cref="ReorderPolicy.Kind"/> in the shared hypertable policy services.</summary>
internal sealed class ReorderServices : ITimescaleFeature
{
    // After hypertables, whose creation it follows.
    public int Order => 400;

    public void AddServices(IServiceCollection services) => ReorderPolicy.Add(services);

    public void AddDesignTimeServices(IServiceCollection services) => ReorderPolicy.AddDesignTime(services);
}
