using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// One TimescaleDB feature (hypertables, columnstore, jobs...): it registers its own services from its own folder and
/// declares itself with <see cref="TimescaleFeatureAttribute"/>; Infrastructure never names it.
/// </summary>
internal interface ITimescaleFeature
{
    /// <summary>
    /// The feature's place among the others. Features register in ascending order, so the model differ consults their
    /// <see cref="ITimescaleModelDiffer"/>s (and the SQL generator their <see cref="ITimescaleOperationSqlGenerator"/>s)
    /// in this order: a feature that reads another's operations (e.g. the hypertables created by this migration) comes after it.
    /// </summary>
    int Order { get; }

    /// <summary>Runtime services: EF convention set plugins, <see cref="ITimescaleModelDiffer"/>, <see cref="ITimescaleOperationSqlGenerator"/>, query translators.</summary>
    void AddServices(IServiceCollection services);

    /// <summary>Services of <c>dotnet ef</c>: C# operation generators, scaffolding readers and code generators.</summary>
    void AddDesignTimeServices(IServiceCollection services);
}

/// <summary>Declares a TimescaleDB feature: <c>[assembly: TimescaleFeature(typeof(HypertableFeature))]</c> next to the feature's services.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class TimescaleFeatureAttribute(Type featureType) : Attribute
{
    public Type FeatureType { get; } = featureType;
}

/// <summary>The features this assembly declares, in their <see cref="ITimescaleFeature.Order"/>.</summary>
internal static class TimescaleFeatures
{
    private static readonly Lazy<ITimescaleFeature[]> s_all = new(() => typeof(TimescaleFeatures).Assembly
        .GetCustomAttributes<TimescaleFeatureAttribute>()
        .Select(a => (ITimescaleFeature)Activator.CreateInstance(a.FeatureType)!)
        .OrderBy(f => f.Order)
        .ThenBy(f => f.GetType().FullName, StringComparer.Ordinal)
        .ToArray());

    public static IReadOnlyList<ITimescaleFeature> All => s_all.Value;
}
