using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Composition;

/// <summary>Hourglass's warnings are EF events: ConfigureWarnings raises or ignores them, loggers see their IDs.</summary>
public class DiagnosticsTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    private static CompositionContext Context(string connection, ILoggerFactory loggerFactory, Action<WarningsConfigurationBuilder>? warnings = null)
    {
        var builder = new DbContextOptionsBuilder<CompositionContext>()
            .UseNpgsql(connection, o => o.UseTimescale())
            .UseLoggerFactory(loggerFactory);
        if (warnings is not null)
        {
            builder.ConfigureWarnings(warnings);
        }

        return new CompositionContext(builder.Options);
    }

    private static IReadOnlyList<MigrationCommand> Generate(DbContext context)
    {
        var model = context.GetService<IDesignTimeModel>().Model;
        return context.GetService<IMigrationsSqlGenerator>().Generate(context.GetService<IMigrationsModelDiffer>().GetDifferences(null, model.GetRelationalModel()), model);
    }

    [Fact]
    public void Skipped_features_are_logged_as_FeatureSkipped_warnings()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var context = Context(fixture.Database.ConnectionString, loggerFactory);

        var sql = string.Join("\n", Generate(context).Select(c => c.CommandText));

        Assert.DoesNotContain("create_hypertable", sql, StringComparison.Ordinal);
        var skipped = Assert.Single(logs.Events, e => e.Id == TimescaleEventId.FeatureSkipped);
        Assert.Contains("skipped hypertable \"composed_samples\"", skipped.Message, StringComparison.Ordinal);
        Assert.Equal("Microsoft.EntityFrameworkCore.Migrations.Timescale.FeatureSkipped", skipped.Id.Name);
        Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning && m.Category == DbLoggerCategory.Migrations.Name);
    }

    [Fact]
    public void ConfigureWarnings_can_throw_for_a_skipped_feature()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var context = Context(fixture.Database.ConnectionString, loggerFactory, w => w.Throw(TimescaleEventId.FeatureSkipped));

        var error = Assert.Throws<InvalidOperationException>(() => Generate(context));

        Assert.Contains(TimescaleEventId.FeatureSkipped.Name!, error.Message, StringComparison.Ordinal);
        Assert.Contains("skipped hypertable \"composed_samples\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigureWarnings_can_ignore_a_skipped_feature()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var context = Context(fixture.Database.ConnectionString, loggerFactory, w => w.Ignore(TimescaleEventId.FeatureSkipped));

        Assert.NotEmpty(Generate(context));

        Assert.DoesNotContain(logs.Events, e => e.Id == TimescaleEventId.FeatureSkipped);
    }
}

/// <summary>Scripts do not depend on which server is reachable: the same migrations give the same script.</summary>
public class ScriptDeterminismTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static string Script(string connection, Action<TimescaleDbContextOptionsBuilder>? timescale = null)
    {
        var options = new DbContextOptionsBuilder<CaggMigrateContext>()
            .UseNpgsql(connection, o => o.UseTimescale(timescale))
            .UseSnakeCaseNamingConvention()
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options;
        using var context = new CaggMigrateContext(options);
        return context.GetService<IMigrator>().GenerateScript();
    }

    [Fact]
    public async Task A_script_is_the_same_with_a_live_server_and_with_none()
    {
        var live = Script(fixture.Database.ConnectionString);
        var none = Script("Host=127.0.0.1;Port=1;Username=nobody;Timeout=1");
        var plainPostgres = Script((await TestServers.Postgres).AdminConnectionString);

        Assert.Equal(none, live);
        Assert.Equal(none, plainPostgres);
        Assert.Contains("by_range('time'", live, StringComparison.Ordinal);
    }

    [Fact]
    public void TargetVersion_chooses_the_API_of_a_script()
    {
        var old = Script("Host=127.0.0.1;Port=1;Username=nobody;Timeout=1", t => t.TargetVersion(new Version(2, 12)));

        Assert.DoesNotContain("by_range(", old, StringComparison.Ordinal);
        Assert.Contains("create_hypertable('mig_metrics', 'time'", old, StringComparison.Ordinal);
    }
}
