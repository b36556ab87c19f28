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
    }

    /// <summary>A fixed TimescaleDB version to generate for; null detects the server's at migration time.</summary>
    public Version? TargetVersion { get; private init; }

    public TimescaleMissingBehavior MissingBehavior { get; private init; }

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public TimescaleOptionsExtension WithTargetVersion(Version version) => new(this) { TargetVersion = version };

    public TimescaleOptionsExtension WithMissingBehavior(TimescaleMissingBehavior behavior) => new(this) { MissingBehavior = behavior };

    public void ApplyServices(IServiceCollection services) => TimescaleServiceRegistration.AddTimescaleServices(services);

    public void Validate(IDbContextOptions options)
    {
    }

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
        }
    }
}
