using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Microsoft.EntityFrameworkCore;
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

        protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseNpgsql(NoServer);

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
    public void The_same_model_builds_with_UseTimescale()
    {
        using var context = ModelContext.Create(NoServer, Hypertable);
        Assert.Equal("Time", context.Model.FindEntityType(typeof(Metric))!.FindAnnotation("Hourglass:Hypertable:TimeProperty")?.Value);
    }
}
