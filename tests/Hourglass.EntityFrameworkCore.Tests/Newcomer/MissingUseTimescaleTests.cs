using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Newcomer;

/// <summary>
/// A model with Hourglass declarations on a context without UseTimescale(): before, `migrations add` wrote a plain table
/// and a TimeBucket query failed with EF's generic "translation failed"; now both name the fix.
/// </summary>
public class MissingUseTimescaleTests
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private sealed class PlainNpgsqlContext(Action<ModelBuilder> build) : DbContext
    {
        public DbSet<Metric> Metrics => Set<Metric>();

        // Each instance its own model: EF caches models per context type, and these tests build different ones.
        private Guid Key { get; } = Guid.NewGuid();

        protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
            => optionsBuilder.UseNpgsql(NoServer).ReplaceService<IModelCacheKeyFactory, KeyFactory>();

        private sealed class KeyFactory : IModelCacheKeyFactory
        {
            public object Create(DbContext context, bool designTime) => (((PlainNpgsqlContext)context).Key, designTime);
        }

        protected override void OnModelCreating(ModelBuilder modelBuilder) => build(modelBuilder);
    }

    private static void Hypertable(ModelBuilder b) => b.Entity<Metric>(e =>
    {
        e.HasKey(x => new { x.Time, x.DeviceId });
        e.IsHypertable(x => x.Time).WithChunkInterval("1 day");
    });

    private static void AssertNamesTheFix(string message, string feature, string call, string property = "Time")
    {
        Assert.Contains($"{feature} on entity 'Metric', property '{property}'", message, StringComparison.Ordinal);
        Assert.Contains($"{call} needs the Hourglass plugin, and this context is configured without UseTimescale()", message, StringComparison.Ordinal);
        Assert.Contains("Fix: add UseTimescale() to the Npgsql options, e.g. options.UseNpgsql(connectionString, npgsql => npgsql.UseTimescale())", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Building_the_model_names_UseTimescale()
    {
        using var context = new PlainNpgsqlContext(Hypertable);
        AssertNamesTheFix(Assert.Throws<InvalidOperationException>(() => context.Model).Message, "Hypertable", "IsHypertable(...)");
    }

    [Fact]
    public void Migrations_add_names_UseTimescale()
    {
        using var context = new PlainNpgsqlContext(Hypertable);
        var error = Assert.Throws<InvalidOperationException>(() => DesignTime.Services(context).GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Metrics", "App"));
        AssertNamesTheFix(error.Message, "Hypertable", "IsHypertable(...)");
    }

    [Fact]
    public void A_TimeBucket_query_names_UseTimescale()
    {
        using var context = new PlainNpgsqlContext(Hypertable);
        var error = Assert.Throws<InvalidOperationException>(() => context.Metrics
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time))
            .Select(g => new { Hour = g.Key, Avg = g.Average(m => m.Value) })
            .ToQueryString());
        AssertNamesTheFix(error.Message, "Hypertable", "IsHypertable(...)");
    }

    [Fact]
    public void A_continuous_aggregate_without_UseTimescale_names_it()
    {
        using var context = new PlainNpgsqlContext(b => b.Entity<Metric>(e => e.IsContinuousAggregate("hourly", "SELECT time_bucket('1 hour', time) AS bucket FROM metrics GROUP BY 1")));
        AssertNamesTheFix(Assert.Throws<InvalidOperationException>(() => context.Model).Message, "Continuous aggregate", "IsContinuousAggregate(...)", "Sql");
    }

    [Fact]
    public void A_LINQ_continuous_aggregate_without_UseTimescale_names_it()
    {
        using var context = new PlainNpgsqlContext(b => b.Entity<HourlyMetric>(e =>
        {
            e.HasNoKey();
            e.IsContinuousAggregate<HourlyMetric, Metric>("hourly", metrics => metrics
                .GroupBy(m => new { Bucket = EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.Time), m.DeviceId })
                .Select(g => new HourlyMetric { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, AvgValue = g.Average(m => m.Value), MaxValue = g.Max(m => m.Value) }));
        }));
        var message = Assert.Throws<InvalidOperationException>(() => context.Model).Message;
        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'Sql'", message, StringComparison.Ordinal);
        Assert.Contains("IsContinuousAggregate(...) needs the Hourglass plugin, and this context is configured without UseTimescale()", message, StringComparison.Ordinal);
        Assert.Contains("Fix: add UseTimescale() to the Npgsql options", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_without_UseTimescale_names_it()
    {
        using var context = new PlainNpgsqlContext(b => b.HasJob("refresh_scores", TimeSpan.FromHours(1)).WithConfig("{\"days\": 7}"));
        var message = Assert.Throws<InvalidOperationException>(() => context.Model).Message;
        Assert.StartsWith("Job 'refresh_scores': HasJob(...) needs the Hourglass plugin, and this context is configured without UseTimescale()", message, StringComparison.Ordinal);
        Assert.Contains("Fix: add UseTimescale() to the Npgsql options, e.g. options.UseNpgsql(connectionString, npgsql => npgsql.UseTimescale())", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_builds_with_UseTimescale()
    {
        using var context = ModelContext.Create(NoServer, b => b.HasJob("refresh_scores", TimeSpan.FromHours(1)));
        Assert.Contains(context.Model.GetAnnotations(), a => a.Name.EndsWith("refresh_scores", StringComparison.Ordinal));
    }

    /// <summary>
    /// Attributes are read only by the plugin's conventions, so without UseTimescale() no Hourglass code runs when the model
    /// is built: the model builds (as a plain table). `migrations add` is where Hourglass's design-time services run anyway,
    /// and there the attributes are refused with the fix, before a migration without the hypertable is written.
    /// </summary>
    [Theory]
    [InlineData(typeof(AttributeOnlyReading), "Hypertable", "Time", "[Hypertable]")]
    [InlineData(typeof(ColumnstoreOnlyReading), "Columnstore", "-", "[Columnstore]")]
    [InlineData(typeof(RetentionOnlyReading), "Retention policy", "-", "[RetentionPolicy]")]
    public void Migrations_add_of_an_attribute_only_model_names_UseTimescale(Type entity, string feature, string property, string attribute)
    {
        using var context = new PlainNpgsqlContext(b =>
        {
            b.Entity<Metric>().HasKey(x => new { x.Time, x.DeviceId });
            b.Entity(entity).HasNoKey().ToTable(entity.Name.ToLowerInvariant());
        });
        Assert.NotNull(context.Model.FindEntityType(entity));
        var error = Assert.Throws<InvalidOperationException>(() => DesignTime.Services(context).GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Readings", "App"));
        Assert.Contains($"{feature} on entity '{entity.Name}', property '{property}': {attribute} needs the Hourglass plugin, and this context is configured without UseTimescale()", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: add UseTimescale() to the Npgsql options", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrations_add_of_the_attribute_model_with_UseTimescale_creates_the_hypertable()
    {
        using var context = ModelContext.Create(NoServer, b => b.Entity<AttributeOnlyReading>().HasNoKey().ToTable("attributeonlyreading"));
        var migration = DesignTime.Services(context).GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Readings", "App");
        Assert.Contains("CreateHypertable(", migration.MigrationCode, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_model_builds_with_UseTimescale()
    {
        using var context = ModelContext.Create(NoServer, Hypertable);
        Assert.Equal("Time", context.Model.FindEntityType(typeof(Metric))!.FindAnnotation("Hourglass:Hypertable:TimeProperty")?.Value);
    }
}

[Hypertable(nameof(Time))]
public class AttributeOnlyReading
{
    public DateTime Time { get; set; }

    public double Value { get; set; }
}

[Columnstore]
public class ColumnstoreOnlyReading
{
    public DateTime Time { get; set; }
}

[RetentionPolicy("90 days")]
public class RetentionOnlyReading
{
    public DateTime Time { get; set; }
}
