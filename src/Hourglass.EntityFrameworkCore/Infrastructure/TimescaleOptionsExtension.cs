using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>The EF Core options extension behind <c>UseTimescale</c>: it registers every TimescaleDB feature's services.</summary>
internal sealed class TimescaleOptionsExtension : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public TimescaleOptionsExtension()
    {
    }

    private TimescaleOptionsExtension(TimescaleOptionsExtension copyFrom)
    {
        TargetVersion = copyFrom.TargetVersion;
        MissingBehavior = copyFrom.MissingBehavior;
        QueryEdition = copyFrom.QueryEdition;
        AllowDataRewrite = copyFrom.AllowDataRewrite;
    }

    /// <summary>A fixed TimescaleDB version to generate for; null detects the server's at migration time.</summary>
    public Version? TargetVersion { get; private init; }

    public TimescaleMissingBehavior MissingBehavior { get; private init; }

    /// <summary>The edition queries are translated for; null asks the server once per connection string (under Degrade).</summary>
    public Hourglass.TimescaleEdition? QueryEdition { get; private init; }

    /// <summary>Whether generated migrations may hold changes whose cost grows with the data, for every entity.</summary>
    public bool AllowDataRewrite { get; private init; }

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public TimescaleOptionsExtension WithTargetVersion(Version version) => new(this) { TargetVersion = version };

    public TimescaleOptionsExtension WithMissingBehavior(TimescaleMissingBehavior behavior) => new(this) { MissingBehavior = behavior };

    public TimescaleOptionsExtension WithQueryEdition(Hourglass.TimescaleEdition edition) => new(this) { QueryEdition = edition };

    public TimescaleOptionsExtension WithDataRewriteAllowed() => new(this) { AllowDataRewrite = true };

    public void ApplyServices(IServiceCollection services) => TimescaleServiceRegistration.AddTimescaleServices(services);

    /// <summary>
    /// Fails when the application replaces, with EF's two-argument <c>ReplaceService</c>, a service Hourglass wraps: EF
    /// applies that replacement to every registration of the service, Hourglass's included, which would silently drop
    /// the TimescaleDB operations. The three-argument form replaces only the provider's service, which Hourglass then wraps.
    /// </summary>
    public void Validate(IDbContextOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var replaced = options.FindExtension<CoreOptionsExtension>()?.ReplacedServices;
        if (replaced is null)
        {
            return;
        }

        foreach (var ((service, current), replacement) in replaced)
        {
            if (current is null && TimescaleServiceRegistration.DecoratedServices.Contains(service))
            {
                throw new InvalidOperationException(
                    $"ReplaceService<{service.Name}, {replacement.Name}>() replaces every {service.Name}, including the one UseTimescale() wraps around "
                    + $"the provider's, so TimescaleDB operations would be lost. Fix: replace only the provider's service, and Hourglass wraps yours: "
                    + $"ReplaceService<{service.Name}, {ProviderImplementation(service)}, {replacement.Name}>().");
            }
        }
    }

    private static string ProviderImplementation(Type service) => service.Name switch
    {
        nameof(Microsoft.EntityFrameworkCore.Migrations.IMigrationsSqlGenerator) => "NpgsqlMigrationsSqlGenerator",
        nameof(Microsoft.EntityFrameworkCore.Migrations.IMigrationsModelDiffer) => "MigrationsModelDiffer",
        _ => "NpgsqlQueryTranslationPostprocessorFactory",
    };

    private sealed class ExtensionInfo(TimescaleOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        private new TimescaleOptionsExtension Extension => (TimescaleOptionsExtension)base.Extension;

        public override bool IsDatabaseProvider => false;

        public override string LogFragment =>
            $"using TimescaleDB (version {Extension.TargetVersion?.ToString() ?? "detected"}, {Extension.MissingBehavior} when missing) ";

        // Options are read per context from IDbContextOptions, so every setting shares one service provider.
        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
            debugInfo["Hourglass:UseTimescale"] = "1";
            debugInfo["Hourglass:TargetVersion"] = Extension.TargetVersion?.ToString() ?? "detect";
            debugInfo["Hourglass:MissingBehavior"] = Extension.MissingBehavior.ToString();
            debugInfo["Hourglass:QueryEdition"] = Extension.QueryEdition?.ToString() ?? "detect";
            debugInfo["Hourglass:AllowDataRewrite"] = Extension.AllowDataRewrite ? "1" : "0";
        }
    }
}
