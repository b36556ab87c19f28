using Hourglass.EntityFrameworkCore.Hyperfunctions;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Migrations.TestApp;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Internal;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NetTopologySuite.Geometries;
using NodaTime;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.Internal;
using Npgsql.EntityFrameworkCore.PostgreSQL.Migrations;
using Xunit;

#pragma warning disable EF1001 // EF's stock differ and design-time builder, as other extensions and `dotnet ef` use them

namespace Hourglass.EntityFrameworkCore.Tests.Composition;

public class Sample
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }
}

public class Spot
{
    public Instant At { get; set; }

    public int StationId { get; set; }

    public Point Location { get; set; } = null!;

    public double Value { get; set; }
}

public sealed class CompositionContext(DbContextOptions options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Sample>(e =>
        {
            e.ToTable("composed_samples");
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithChunkInterval("1 day");
        });
    }
}

public sealed class SpatialContext(DbContextOptions options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Spot>(e =>
        {
            e.HasKey(x => new { x.At, x.StationId });
            e.IsHypertable(x => x.At).WithChunkInterval("1 day");
        });
    }
}

/// <summary>
/// Hourglass beside other EF extensions: each produces the TimescaleDB operations (and SQL) or fails with an error naming
/// the conflicting service and the fix. Nothing here needs a server: the connection string points nowhere.
/// </summary>
public class CompositionTests
{
    private const string Nowhere = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=1";

    private static DbContextOptions Options(Action<DbContextOptionsBuilder> before, Action<DbContextOptionsBuilder> after, string connection = Nowhere)
    {
        var builder = new DbContextOptionsBuilder<CompositionContext>();
        before(builder);
        builder.UseNpgsql(connection, o => o.UseTimescale(t => t.TargetVersion(new Version(2, 17))));
        after(builder);
        return builder.Options;
    }

    private static void AddStockDiffer(DbContextOptionsBuilder builder)
        => ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(new StockDifferExtension());

    private static IReadOnlyList<MigrationOperation> Diff(DbContext context)
        => context.GetService<IMigrationsModelDiffer>().GetDifferences(null, context.GetService<IDesignTimeModel>().Model.GetRelationalModel());

    private static string Sql(DbContext context, IReadOnlyList<MigrationOperation> operations)
        => string.Join("\n", context.GetService<IMigrationsSqlGenerator>().Generate(operations, context.GetService<IDesignTimeModel>().Model).Select(c => c.CommandText));

    private static string ScaffoldMigration(DbContext context)
    {
        var provider = DesignTime.Services(context);
        return provider.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App").MigrationCode;
    }

    [Fact]
    public void A_differ_extension_configured_before_UseTimescale_is_wrapped()
    {
        using var context = new CompositionContext(Options(AddStockDiffer, _ => { }));

        var operations = Diff(context);

        Assert.IsType<CreateTableOperation>(operations[0]);
        Assert.Contains(operations, o => o is CreateHypertableOperation { Table: "composed_samples" });
        var sql = Sql(context, operations);
        Assert.True(sql.Contains("create_hypertable(", StringComparison.Ordinal) && sql.Contains("by_range('Time', INTERVAL '1 day')", StringComparison.Ordinal), sql);
        Assert.Contains("migrationBuilder.CreateHypertable(", ScaffoldMigration(context), StringComparison.Ordinal);
    }

    [Fact]
    public void A_differ_extension_configured_after_UseTimescale_still_gives_dotnet_ef_the_operations_and_refuses_plain_tables_at_run_time()
    {
        using var context = new CompositionContext(Options(_ => { }, AddStockDiffer));

        // `dotnet ef migrations add` wraps whatever differ the context has.
        var migration = ScaffoldMigration(context);
        Assert.Contains("migrationBuilder.CreateTable(", migration, StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.CreateHypertable(", migration, StringComparison.Ordinal);

        // At run time EF resolves the other extension's differ; EnsureCreated-style SQL would lose the hypertable, so it is refused.
        var operations = Diff(context);
        Assert.DoesNotContain(operations, o => o is TimescaleMigrationOperation);
        var error = Assert.Throws<InvalidOperationException>(() => Sql(context, operations));
        Assert.Contains("IMigrationsModelDiffer", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"composed_samples\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: configure that extension before", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_application_sql_generator_replacing_only_Npgsqls_is_wrapped(bool replaceFirst)
    {
        static void Replace(DbContextOptionsBuilder b) => b.ReplaceService<IMigrationsSqlGenerator, NpgsqlMigrationsSqlGenerator, CommentingSqlGenerator>();
        using var context = new CompositionContext(replaceFirst ? Options(Replace, _ => { }) : Options(_ => { }, Replace));

        var commands = context.GetService<IMigrationsSqlGenerator>().Generate(Diff(context), context.GetService<IDesignTimeModel>().Model);
        var texts = commands.Select(c => c.CommandText).ToList();

        var table = texts.FindIndex(t => t.Contains("CREATE TABLE composed_samples", StringComparison.Ordinal));
        var comment = texts.FindIndex(t => t.Contains("-- created by the application's generator", StringComparison.Ordinal));
        var hypertable = texts.FindIndex(t => t.Contains("create_hypertable(", StringComparison.Ordinal));
        Assert.True(table >= 0 && comment > table && hypertable > comment, string.Join("\n---\n", texts));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_application_sql_generator_replacing_every_generator_is_refused_with_the_fix(bool replaceFirst)
    {
        static void Replace(DbContextOptionsBuilder b) => b.ReplaceService<IMigrationsSqlGenerator, CommentingSqlGenerator>();
        var options = replaceFirst ? Options(Replace, _ => { }) : Options(_ => { }, Replace);

        var error = Assert.Throws<InvalidOperationException>(() => new CompositionContext(options).GetService<IMigrationsSqlGenerator>());

        Assert.Contains("ReplaceService<IMigrationsSqlGenerator, CommentingSqlGenerator>()", error.Message, StringComparison.Ordinal);
        Assert.Contains("ReplaceService<IMigrationsSqlGenerator, NpgsqlMigrationsSqlGenerator, CommentingSqlGenerator>()", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NodaTime_NetTopologySuite_and_snake_case_names_work_beside_Hourglass(bool timescaleFirst)
    {
        var builder = new DbContextOptionsBuilder<SpatialContext>();
        builder.UseNpgsql(Nowhere, o =>
        {
            if (timescaleFirst)
            {
                o.UseTimescale(t => t.TargetVersion(new Version(2, 17)));
            }

            o.UseNodaTime().UseNetTopologySuite();
            if (!timescaleFirst)
            {
                o.UseTimescale(t => t.TargetVersion(new Version(2, 17)));
            }
        }).UseSnakeCaseNamingConvention();
        using var context = new SpatialContext(builder.Options);

        var operations = Diff(context);
        var sql = Sql(context, operations);

        Assert.Contains(operations, o => o is AlterDatabaseOperation a && a.GetAnnotations().Any(x => x.Name.Contains("postgis", StringComparison.Ordinal)));
        Assert.Contains("location geometry", sql, StringComparison.Ordinal);
        Assert.Contains("at timestamp with time zone", sql, StringComparison.Ordinal);
        Assert.True(sql.Contains("create_hypertable(", StringComparison.Ordinal) && sql.Contains("by_range('at', INTERVAL '1 day')", StringComparison.Ordinal), sql);
        var migration = ScaffoldMigration(context);
        Assert.Contains("timeColumn: \"at\"", migration, StringComparison.Ordinal);
        Assert.Contains("location = table.Column<Point>(", migration, StringComparison.Ordinal);

        // Queries: NodaTime's Instant in time_bucket, NetTopologySuite's functions, snake_case columns.
        var query = context.Set<Spot>()
            .Where(s => s.Location.X > 0)
            .GroupBy(s => EF.Functions.TimeBucket(Duration.FromHours(1), s.At))
            .Select(g => new { Bucket = g.Key, Mean = g.Average(s => s.Value) })
            .ToQueryString();
        Assert.Contains("time_bucket(INTERVAL '01:00:00', s.at)", query, StringComparison.Ordinal);
        Assert.Contains("ST_X(s.location) > 0.0", query, StringComparison.Ordinal);
    }

    [Fact]
    public void An_application_internal_service_provider_gets_Hourglass_through_AddEntityFrameworkTimescale()
    {
        var services = new ServiceCollection().AddEntityFrameworkNpgsql().AddEntityFrameworkTimescale().BuildServiceProvider();
        var options = new DbContextOptionsBuilder<CompositionContext>()
            .UseNpgsql(Nowhere, o => o.UseTimescale(t => t.TargetVersion(new Version(2, 17))))
            .UseInternalServiceProvider(services)
            .Options;
        using var context = new CompositionContext(options);

        var operations = Diff(context);

        Assert.Contains("create_hypertable(", Sql(context, operations), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddEntityFrameworkTimescale());
    }

    [Fact]
    public void Features_are_consulted_in_their_declared_order()
    {
        using var context = new CompositionContext(Options(_ => { }, _ => { }));
        var features = TimescaleFeatures.All;
        var expected = new ServiceCollection();
        foreach (var feature in features)
        {
            feature.AddServices(expected);
        }

        var differs = context.GetService<IEnumerable<ITimescaleModelDiffer>>().Select(d => d.GetType()).ToList();

        Assert.Equal(features.OrderBy(f => f.Order).Select(f => f.Order), features.Select(f => f.Order));
        Assert.Equal(expected.Where(d => d.ServiceType == typeof(ITimescaleModelDiffer)).Select(d => d.ImplementationType!), differs);
        Assert.Equal("Hourglass.EntityFrameworkCore.Hypertables", differs[0].Namespace);
        Assert.Equal("Hourglass.EntityFrameworkCore.ContinuousAggregates", differs[^1].Namespace);
        Assert.Contains(features, f => f is HyperfunctionServices);
    }

    [Fact]
    public void Infrastructure_names_no_feature()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Hourglass.sln")))
        {
            directory = directory.Parent;
        }

        var infrastructure = Path.Combine(directory!.FullName, "src", "Hourglass.EntityFrameworkCore", "Infrastructure");
        var features = TimescaleFeatures.All.Select(f => f.GetType().Namespace!).Distinct().ToList();
        Assert.True(features.Count >= 6, string.Join(", ", features));
        foreach (var file in Directory.GetFiles(infrastructure, "*.cs"))
        {
            var text = File.ReadAllText(file);
            foreach (var feature in features)
            {
                Assert.False(text.Contains(feature, StringComparison.Ordinal), $"{Path.GetFileName(file)} names {feature}");
            }
        }
    }
}
