using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using NetTopologySuite.Geometries;
using NodaTime;
using Npgsql.EntityFrameworkCore.PostgreSQL.Migrations;

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
