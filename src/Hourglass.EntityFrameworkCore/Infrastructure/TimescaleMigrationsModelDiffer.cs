using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Wraps the model differ registered before it (Npgsql's, or another extension's) and places the TimescaleDB features'
/// differences around its operations, which pass through unchanged and in order.
/// </summary>
internal sealed class TimescaleMigrationsModelDiffer(
    IServiceProvider services,
    IEnumerable<ITimescaleModelDiffer> featureDiffers,
    IEnumerable<ITimescaleDifferencesCheck> checks)
    : IMigrationsModelDiffer
{
    private readonly ITimescaleModelDiffer[] _featureDiffers = featureDiffers.ToArray();
    private readonly ITimescaleDifferencesCheck[] _checks = checks.ToArray();
    private IMigrationsModelDiffer? _inner;

    private IMigrationsModelDiffer Inner => _inner ??= ServiceDecoration.Inner<IMigrationsModelDiffer, TimescaleMigrationsModelDiffer>(services);

    public bool HasDifferences(IRelationalModel? source, IRelationalModel? target)
        => TimescaleDifferences.HasDifferences(Inner, _featureDiffers, source, target);

    public IReadOnlyList<MigrationOperation> GetDifferences(IRelationalModel? source, IRelationalModel? target)
        => TimescaleDifferences.GetDifferences(Inner, _featureDiffers, _checks, source, target);
}

/// <summary>
/// The design-time model differ of <c>dotnet ef migrations add</c>: the context's differ when it is Hourglass's already,
/// else that differ (e.g. one another extension registered after <c>UseTimescale</c>) plus the TimescaleDB differences,
/// so the migration never loses them.
/// </summary>
internal sealed class TimescaleDesignTimeModelDiffer(IServiceProvider services, ICurrentDbContext currentContext) : IMigrationsModelDiffer
{
    private (IMigrationsModelDiffer Inner, ITimescaleModelDiffer[] Features, ITimescaleDifferencesCheck[] Checks)? _resolved;

    public bool HasDifferences(IRelationalModel? source, IRelationalModel? target)
    {
        var (inner, features, _) = Resolve(target);
        return TimescaleDifferences.HasDifferences(inner, features, source, target);
    }

    public IReadOnlyList<MigrationOperation> GetDifferences(IRelationalModel? source, IRelationalModel? target)
    {
        var (inner, features, checks) = Resolve(target);
        return TimescaleDifferences.GetDifferences(inner, features, checks, source, target);
    }

    private (IMigrationsModelDiffer, ITimescaleModelDiffer[], ITimescaleDifferencesCheck[]) Resolve(IRelationalModel? target)
    {
        // Without UseTimescale() no convention read Hourglass's attributes; here, at `migrations add`, Hourglass code runs anyway.
        if (target is not null
            && currentContext.Context.GetService<IDbContextOptions>().FindExtension<TimescaleOptionsExtension>() is null)
        {
            TimescalePluginCheck.RequireForAttributes(target.Model);
        }

        if (_resolved is { } resolved)
        {
            return resolved;
        }

        var inner = ServiceDecoration.Inner<IMigrationsModelDiffer, TimescaleDesignTimeModelDiffer>(services);
        var contextServices = ((IInfrastructure<IServiceProvider>)currentContext.Context).Instance;
        ITimescaleModelDiffer[] features = inner is TimescaleMigrationsModelDiffer ? [] : contextServices.GetServices<ITimescaleModelDiffer>().ToArray();
        ITimescaleDifferencesCheck[] checks = inner is TimescaleMigrationsModelDiffer ? [] : contextServices.GetServices<ITimescaleDifferencesCheck>().ToArray();
        _resolved = (inner, features, checks);
        return (inner, features, checks);
    }
}

/// <summary>The TimescaleDB features' differences, consulted in the features' order, around the wrapped differ's operations.</summary>
internal static class TimescaleDifferences
{
    public static bool HasDifferences(IMigrationsModelDiffer inner, ITimescaleModelDiffer[] features, IRelationalModel? source, IRelationalModel? target)
        => inner.HasDifferences(source, target)
            || (features.Length > 0 && Features(features, source, target, []) is ({ Count: > 0 }, _) or (_, { Count: > 0 }));

    public static IReadOnlyList<MigrationOperation> GetDifferences(
        IMigrationsModelDiffer inner,
        ITimescaleModelDiffer[] features,
        ITimescaleDifferencesCheck[] checks,
        IRelationalModel? source,
        IRelationalModel? target)
    {
        var efOperations = inner.GetDifferences(source, target);
        if (features.Length == 0)
        {
            return efOperations;
        }

        var (before, after) = Features(features, source, target, efOperations);
        IReadOnlyList<MigrationOperation> operations = before.Count == 0 && after.Count == 0 ? efOperations : [.. before, .. efOperations, .. after];
        foreach (var check in checks)
        {
            check.Check(source, target, operations);
        }

        return operations;
    }

    private static (List<MigrationOperation> Before, List<MigrationOperation> After) Features(
        ITimescaleModelDiffer[] features,
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations)
    {
        var before = new List<MigrationOperation>();
        var after = new List<MigrationOperation>();
        foreach (var differ in features)
        {
            differ.AddDifferences(source, target, efOperations, before, after);
        }

        return (before, after);
    }
}
