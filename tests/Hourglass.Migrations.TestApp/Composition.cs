using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Internal;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NetTopologySuite.Geometries;
using NodaTime;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.Internal;
using Npgsql.EntityFrameworkCore.PostgreSQL.Migrations;

#pragma warning disable EF1001 // EF's stock differ, as other extensions use it

namespace Hourglass.Migrations.TestApp;

/// <summary>A located reading (NetTopologySuite), in the model when HOURGLASS_TESTAPP_COMPOSE=spatial.</summary>
public class Spot
{
    public Instant At { get; set; }

    public int StationId { get; set; }

    public Point Location { get; set; } = null!;
}

/// <summary>
/// How HOURGLASS_TESTAPP_COMPOSE puts Hourglass beside other extensions: "differ-before"/"differ-after" add an extension
/// replacing the model differ before/after UseTimescale, "generator" replaces Npgsql's SQL generator with the
/// application's, "generator-all" replaces every SQL generator, "spatial" adds NetTopologySuite.
/// </summary>
public static class Composition
{
    public static string Mode => Environment.GetEnvironmentVariable("HOURGLASS_TESTAPP_COMPOSE") ?? "";

    public static void Before(DbContextOptionsBuilder builder)
    {
        if (Mode == "differ-before")
        {
            ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(new StockDifferExtension());
        }
    }

    public static void After(DbContextOptionsBuilder builder)
    {
        switch (Mode)
        {
            case "differ-after":
                ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(new StockDifferExtension());
                break;
            case "generator":
                builder.ReplaceService<IMigrationsSqlGenerator, NpgsqlMigrationsSqlGenerator, CommentingSqlGenerator>();
                break;
            case "generator-all":
                builder.ReplaceService<IMigrationsSqlGenerator, CommentingSqlGenerator>();
                break;
        }
    }
}

/// <summary>An extension that replaces the model differ with EF's stock one.</summary>
public sealed class StockDifferExtension : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
        => services.Replace(ServiceDescriptor.Scoped<IMigrationsModelDiffer, MigrationsModelDiffer>());

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "stock differ ";

        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) => debugInfo["TestApp:StockDiffer"] = "1";
    }
}

/// <summary>The application's SQL generator: Npgsql's, with a comment after every table it creates.</summary>
public sealed class CommentingSqlGenerator(MigrationsSqlGeneratorDependencies dependencies, INpgsqlSingletonOptions npgsqlOptions)
    : NpgsqlMigrationsSqlGenerator(dependencies, npgsqlOptions)
{
    protected override void Generate(CreateTableOperation operation, IModel? model, MigrationCommandListBuilder builder, bool terminate = true)
    {
        base.Generate(operation, model, builder, terminate);
        builder.AppendLine("-- created by the application's generator").EndCommand();
    }
}
