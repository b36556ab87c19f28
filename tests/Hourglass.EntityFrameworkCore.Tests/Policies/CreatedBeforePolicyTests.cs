using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Policies;

/// <summary>
/// Columnstore and retention policies by chunk creation time (<c>created_before</c>, <c>drop_created_before</c>): migrated,
/// changed, undone, run, scaffolded, version-gated, on the embedded engine and the native servers.
/// </summary>
public class CreatedBeforePolicyTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build, Action<TimescaleDbContextOptionsBuilder>? timescale = null, ILoggerFactory? logs = null)
        => ModelContext.Create(Db.ConnectionString, build, timescale, loggerFactory: logs);

    private async Task<Version> ServerVersionAsync()
        => TimescaleServerTarget.ParseVersion(await Db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))!;

    /// <summary>Whether this server's retention policy by creation time works (before 2.26.3 it fails at every run).</summary>
    private async Task<bool> RetentionByCreationTimeWorksAsync() => await ServerVersionAsync() >= PolicyOptions.RetentionCreatedBefore;

    /// <summary>
    /// On a server whose retention by creation time fails at every run: Strict refuses the migration before anything
    /// runs, naming 2.26.3; Degrade creates the rest and skips the policy with a warning naming the version.
    /// </summary>
    private async Task AssertRetentionByCreationTimeRefusedAsync(Action<ModelBuilder> build, string relation, string description)
    {
        await using var strict = Context(build, t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => strict.ApplyAsync(strict.DiffFrom(null)));
        Assert.Contains($"{description} needs TimescaleDB 2.26.3 or later; this server is {await ServerVersionAsync()}. Nothing was changed.", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname = '{relation}'"));

        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var degrade = Context(build, logs: loggerFactory);
        await MigrateAsync(null, degrade);
        var warning = Assert.Single(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("too old", StringComparison.Ordinal)).Message;
        Assert.Contains(description, warning, StringComparison.Ordinal);
        Assert.Contains("2.26.3", warning, StringComparison.Ordinal);
        Assert.Equal(1, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname = '{relation}'"));
        Assert.Equal(0, await Db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND config ? 'drop_created_before'"));
    }

    [Fact]
    public async Task Retention_by_creation_time_is_created_switched_to_age_and_back_by_down()
    {
        const string table = "cb_retention";
        await using var byCreation = Context(Readings(table, h => h.WithRetentionPolicyByCreationTime(TimeSpan.FromDays(90))));
        await using var byAge = Context(Readings(table, h => h.WithRetentionPolicy("30 days")));
        await using var later = Context(Readings(table, h => h.WithRetentionPolicyByCreationTime("120 days")));

        var create = byCreation.DiffFrom(null);
        Assert.Equal("90 days", Assert.Single(create.OfType<AddRetentionPolicyOperation>()).DropCreatedBefore);
        if (!await RetentionByCreationTimeWorksAsync())
        {
            await AssertRetentionByCreationTimeRefusedAsync(Readings(table, h => h.WithRetentionPolicyByCreationTime(TimeSpan.FromDays(90))), table, "retention policy (chunks created before 90 days) of hypertable \"cb_retention\"");
            return;
        }

        Assert.Contains("SELECT add_retention_policy('cb_retention', drop_created_before => INTERVAL '90 days');", byCreation.Sql(create), StringComparison.Ordinal);
        await byCreation.ApplyAsync(create);
        Assert.Equal("{\"hypertable_id\": ID, \"drop_created_before\": \"90 days\"}", await ConfigAsync(table, "policy_retention"));
        Assert.Empty(byCreation.DiffFrom(byCreation));

        var toAge = byAge.DiffFrom(byCreation);
        Assert.Equal([typeof(RemoveRetentionPolicyOperation), typeof(AddRetentionPolicyOperation)], toAge.Select(o => o.GetType()));
        await byAge.ApplyAsync(toAge);
        Assert.Equal("{\"drop_after\": \"30 days\", \"hypertable_id\": ID}", await ConfigAsync(table, "policy_retention"));

        await later.ApplyAsync(later.DiffFrom(byAge));
        Assert.Equal("{\"hypertable_id\": ID, \"drop_created_before\": \"120 days\"}", await ConfigAsync(table, "policy_retention"));
        Assert.Equal(1, await JobCountAsync(Db, table));

        // Down of the last migration.
        await byAge.ApplyAsync(byAge.DiffFrom(later));
        Assert.Equal("{\"drop_after\": \"30 days\", \"hypertable_id\": ID}", await ConfigAsync(table, "policy_retention"));
    }

    [Fact]
    public async Task Running_a_policy_by_creation_time_keeps_new_chunks_of_old_rows_that_a_policy_by_age_drops()
    {
        const string table = "cb_run";
        await using var byCreation = Context(Readings(table, h => h.WithRetentionPolicyByCreationTime("30 days")));
        await using var byAge = Context(Readings(table, h => h.WithRetentionPolicy("30 days")));
        if (!await RetentionByCreationTimeWorksAsync())
        {
            await AssertRetentionByCreationTimeRefusedAsync(Readings(table, h => h.WithRetentionPolicyByCreationTime("30 days")), table, "retention policy (chunks created before 30 days) of hypertable \"cb_run\"");
            return;
        }

        await MigrateAsync(null, byCreation);
        await InsertHoursAsync(Db, table, 120);
        var chunks = await ChunksAsync(Db, table);

        // The chunks were created just now, so none is 30 days old, however old its rows.
        await RunJobAsync(Db, table, "policy_retention");
        Assert.Equal(chunks, await ChunksAsync(Db, table));
        Assert.Equal(120 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));

        await byAge.ApplyAsync(byAge.DiffFrom(byCreation));
        await RunJobAsync(Db, table, "policy_retention");
        Assert.True(await ChunksAsync(Db, table) < chunks - 5);
    }

    [Fact]
    public async Task Columnstore_policy_by_creation_time_uses_created_before_and_converts_nothing_new()
    {
        const string table = "cb_columnstore";
        await using var context = Context(Readings(table, h => h
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId))
            .WithColumnstorePolicyByCreationTime(TimeSpan.FromDays(7), s => s.MaxRetries(3))));
        await using var byAge = Context(Readings(table, h => h
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId))
            .WithColumnstorePolicy("7 days", s => s.MaxRetries(3))));

        var create = context.DiffFrom(null);
        Assert.Equal("7 days", Assert.Single(create.OfType<AddColumnstorePolicyOperation>()).CreatedBefore);
        var sql = context.Sql(create);
        Assert.True(
            sql.Contains("CALL add_columnstore_policy('cb_columnstore', created_before => INTERVAL '7 days');", StringComparison.Ordinal)
            || sql.Contains("add_compression_policy('cb_columnstore', compress_created_before => INTERVAL '7 days')", StringComparison.Ordinal),
            sql);
        await context.ApplyAsync(create);
        Assert.Equal("{\"hypertable_id\": ID, \"compress_created_before\": \"7 days\"}", await ConfigAsync(table, "policy_compression"));
        Assert.Equal(3, await Db.ScalarAsync<int>($"SELECT max_retries FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'"));
        Assert.Empty(context.DiffFrom(context));

        await InsertHoursAsync(Db, table, 30);
        await RunJobAsync(Db, table, "policy_compression");
        Assert.Equal(0, await CompressedChunksAsync(Db, table));

        // To a policy by age and back: remove and add, and the rows' age is what counts then.
        await byAge.ApplyAsync(byAge.DiffFrom(context));
        await RunJobAsync(Db, table, "policy_compression");
        Assert.True(await CompressedChunksAsync(Db, table) > 0);
        await context.ApplyAsync(context.DiffFrom(byAge));
        Assert.Equal("{\"hypertable_id\": ID, \"compress_created_before\": \"7 days\"}", await ConfigAsync(table, "policy_compression"));
    }

    [Fact]
    public async Task Retention_by_creation_time_takes_job_settings_and_changes_them_in_place()
    {
        const string table = "cb_settings";
        var build = Readings(table, h => h.WithRetentionPolicyByCreationTime("90 days", s => s.MaxRetries(3).Every(TimeSpan.FromHours(6))));
        if (!await RetentionByCreationTimeWorksAsync())
        {
            await AssertRetentionByCreationTimeRefusedAsync(build, table, "retention policy (chunks created before 90 days) of hypertable \"cb_settings\"");
            return;
        }

        await using var context = Context(build);
        await MigrateAsync(null, context);
        Assert.Equal("3 06:00:00", await Db.ScalarAsync<string>($"SELECT max_retries || ' ' || schedule_interval FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'"));

        var id = await JobIdAsync(Db, table, "policy_retention");
        await using var changed = Context(Readings(table, h => h.WithRetentionPolicyByCreationTime("90 days", s => s.MaxRetries(5).Every(TimeSpan.FromHours(6)))));
        var alter = changed.DiffFrom(context);
        Assert.IsType<Hourglass.EntityFrameworkCore.Scheduling.AlterPolicyScheduleOperation>(Assert.Single(alter));
        await changed.ApplyAsync(alter);
        Assert.Equal(id, await JobIdAsync(Db, table, "policy_retention"));
        Assert.Equal(5, await Db.ScalarAsync<int>($"SELECT max_retries FROM timescaledb_information.jobs WHERE job_id = {id}"));
    }

    [Fact]
    public void Servers_before_2_13_refuse_policies_by_creation_time_under_strict_and_skip_them_under_degrade()
    {
        var build = Readings("cb_old", h => h.WithRetentionPolicyByCreationTime("90 days"));
        using var strict = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", build, t => t.TargetVersion(new Version(2, 12)).WhenTimescaleMissing(TimescaleMissingBehavior.Strict));
        var error = Assert.Throws<InvalidOperationException>(() => strict.Sql(strict.DiffFrom(null)));
        Assert.Contains("retention policy (chunks created before 90 days) of hypertable \"cb_old\" needs TimescaleDB 2.26.3 or later; this server is 2.12", error.Message, StringComparison.Ordinal);
        using var columnstore = ModelContext.Create(
            "Host=127.0.0.1;Port=1;Username=nobody",
            Readings("cb_old", h => h.WithColumnstore().WithColumnstorePolicyByCreationTime("7 days")),
            t => t.TargetVersion(new Version(2, 12)).WhenTimescaleMissing(TimescaleMissingBehavior.Strict));
        Assert.Contains(
            "columnstore policy (chunks created before 7 days) of hypertable \"cb_old\" needs TimescaleDB 2.13 or later",
            Assert.Throws<InvalidOperationException>(() => columnstore.Sql(columnstore.DiffFrom(null))).Message,
            StringComparison.Ordinal);

        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var degrade = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", build, t => t.TargetVersion(new Version(2, 12)), loggerFactory: loggerFactory);
        var sql = degrade.Sql(degrade.DiffFrom(null));
        Assert.DoesNotContain("add_retention_policy", sql, StringComparison.Ordinal);
        Assert.Contains("create_hypertable", sql, StringComparison.Ordinal);
        Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("retention policy (chunks created before 90 days)", StringComparison.Ordinal) && m.Message.Contains("2.26.3", StringComparison.Ordinal));
    }

    [Fact]
    public void Model_errors_name_the_entity_the_argument_and_the_fix()
    {
        static string Error(Action<ModelBuilder> build)
        {
            using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", build);
            return Assert.ThrowsAny<InvalidOperationException>(() => context.DesignModel).Message;
        }

        // A fluent call replaces the other kind of argument; both are there only when set behind the API's back.
        var both = Error(b =>
        {
            Readings("cb_both", h => h.WithRetentionPolicy("30 days"))(b);
            b.Entity<Reading<DateTime>>().HasAnnotation("Hourglass:Retention:DropCreatedBefore", "90 days");
        });
        Assert.Contains("Retention policy on entity 'Reading<DateTime>'", both, StringComparison.Ordinal);
        Assert.Contains("both by age (30 days) and by creation time (90 days)", both, StringComparison.Ordinal);
        Assert.Contains("WithRetentionPolicyByCreationTime", both, StringComparison.Ordinal);

        var number = Error(Readings("cb_number", h => h.WithRetentionPolicyByCreationTime("5000")));
        Assert.Contains("is a number, but a chunk's creation time is a timestamp", number, StringComparison.Ordinal);

        var noColumnstore = Error(Readings("cb_nocs", h => h.WithColumnstorePolicyByCreationTime("7 days")));
        Assert.Contains("needs the columnstore enabled", noColumnstore, StringComparison.Ordinal);

        var attribute = Error(b => b.Entity<BothRetentions>().HasKey(x => new { x.Time, x.DeviceId }));
        Assert.Contains("gives both DropAfter and DropCreatedBefore", attribute, StringComparison.Ordinal);

        var aggregate = Error(b =>
        {
            Readings("cb_agg_src", h => { })(b);
            b.Entity<CreatedBeforeHourly>(e =>
            {
                e.IsContinuousAggregate("cb_agg", """SELECT time_bucket('1 hour', "Time") AS "Bucket", avg("Value") AS "Avg" FROM cb_agg_src GROUP BY 1""")
                    .WithColumnstore();
                e.HasAnnotation(ColumnstorePolicy.PolicyCreatedBeforeAnnotation, "7 days");
            });
        });
        Assert.Contains("refuses a columnstore policy by creation time", aggregate, StringComparison.Ordinal);
        Assert.Contains("WithColumnstorePolicy(after: ...)", aggregate, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attribute_declares_the_same_policies_as_the_fluent_api()
    {
        await using var attribute = Context(b => b.Entity<CreatedBeforeReading>().HasKey(x => new { x.Time, x.DeviceId }));
        var operations = attribute.DiffFrom(null);
        Assert.Equal("90 days", Assert.Single(operations.OfType<AddRetentionPolicyOperation>()).DropCreatedBefore);
        Assert.Equal("7 days", Assert.Single(operations.OfType<AddColumnstorePolicyOperation>()).CreatedBefore);
        await using var fluent = Context(b => b.Entity<CreatedBeforeReading>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithColumnstore().WithColumnstorePolicyByCreationTime("7 days").WithRetentionPolicyByCreationTime(TimeSpan.FromDays(90));
        }));
        Assert.Empty(fluent.DiffFrom(attribute));
    }

    [Fact]
    public async Task Continuous_aggregate_retention_by_creation_time_round_trips()
    {
        await using var context = Context(Aggregate("cb_hourly", a => a.WithRetentionPolicyByCreationTime("365 days")));
        await using var byAge = Context(Aggregate("cb_hourly", a => a.WithRetentionPolicy("1 year")));

        if (!await RetentionByCreationTimeWorksAsync())
        {
            await AssertRetentionByCreationTimeRefusedAsync(Aggregate("cb_hourly", a => a.WithRetentionPolicyByCreationTime("365 days")), "cb_hourly", "retention policy (chunks created before 365 days) of hypertable \"cb_hourly\"");
            return;
        }

        var create = context.DiffFrom(null);
        Assert.Contains("add_retention_policy('cb_hourly', drop_created_before => INTERVAL '365 days')", context.Sql(create), StringComparison.Ordinal);
        await context.ApplyAsync(create);
        Assert.Contains("\"drop_created_before\": \"365 days\"", await AggregateConfigAsync("cb_hourly"), StringComparison.Ordinal);
        Assert.Empty(context.DiffFrom(context));

        await byAge.ApplyAsync(byAge.DiffFrom(context));
        Assert.Contains("\"drop_after\": \"1 year\"", await AggregateConfigAsync("cb_hourly"), StringComparison.Ordinal);
        await context.ApplyAsync(context.DiffFrom(byAge));
        Assert.Contains("\"drop_created_before\": \"365 days\"", await AggregateConfigAsync("cb_hourly"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migration_files_and_scaffolding_write_policies_by_creation_time_and_the_scaffolded_model_diffs_empty()
    {
        var retention = await RetentionByCreationTimeWorksAsync();
        await using var context = Context(b =>
        {
            b.HasDefaultSchema(Db.Schema);
            Readings("cb_scaffold", h =>
            {
                h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId)).WithColumnstorePolicyByCreationTime("7 days");
                if (retention)
                {
                    h.WithRetentionPolicyByCreationTime("90 days");
                }
            })(b);
        });
        await using var files = Context(Readings("cb_scaffold", h => h
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId))
            .WithColumnstorePolicyByCreationTime("7 days")
            .WithRetentionPolicyByCreationTime("90 days")));
        var migration = DesignTime.Services(files).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        Assert.Contains("createdBefore: \"7 days\");", migration.MigrationCode, StringComparison.Ordinal);
        Assert.Contains("dropCreatedBefore: \"90 days\");", migration.MigrationCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Retention:DropCreatedBefore\", \"90 days\")", migration.SnapshotCode, StringComparison.Ordinal);

        // The migration-file calls make the same operations.
        var builder = new MigrationBuilder("Npgsql.EntityFrameworkCore.PostgreSQL");
        builder.AddRetentionPolicy(table: "cb_scaffold", dropCreatedBefore: "90 days");
        builder.AddColumnstorePolicy(table: "cb_scaffold", createdBefore: "7 days");
        Assert.Equal("90 days", ((AddRetentionPolicyOperation)builder.Operations[0]).DropCreatedBefore);
        Assert.Equal("7 days", ((AddColumnstorePolicyOperation)builder.Operations[1]).CreatedBefore);
        Assert.Throws<ArgumentException>(() => builder.AddRetentionPolicy(table: "cb_scaffold", dropAfter: "1 day", dropCreatedBefore: "90 days"));

        await MigrateAsync(null, context);
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(context), Db.ConnectionString, Db.Schema);
        var code = scaffolded.ContextFile.Code.ReplaceLineEndings("\n");
        Assert.Matches(retention ? @"\.WithColumnstorePolicyByCreationTime\(""7 days""\)\s*\.WithRetentionPolicyByCreationTime\(""90 days""\)" : @"\.WithColumnstorePolicyByCreationTime\(""7 days""\);", code);
        Assert.DoesNotContain("Hourglass:Scaffold", code, StringComparison.Ordinal);

        await using var scaffoldedContext = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var scaffoldedModel = scaffoldedContext.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model.GetRelationalModel();
        var differences = context.GetService<IMigrationsModelDiffer>().GetDifferences(context.DesignModel.GetRelationalModel(), scaffoldedModel);
        Assert.DoesNotContain(differences, o => o is TimescaleMigrationOperation);
    }

    private static Action<ModelBuilder> Aggregate(string view, Action<Hourglass.EntityFrameworkCore.ContinuousAggregates.ContinuousAggregateBuilder> configure) => b =>
    {
        Readings(view + "_src", h => { })(b);
        b.Entity<CreatedBeforeHourly>(e => configure(e.IsContinuousAggregate(view, $"""SELECT time_bucket('1 hour', "Time") AS "Bucket", avg("Value") AS "Avg" FROM {view}_src GROUP BY 1""")));
    };

    /// <summary>The policy's config with the hypertable id as ID, keys in jsonb's order.</summary>
    private async Task<string?> ConfigAsync(string table, string procName)
        => System.Text.RegularExpressions.Regex.Replace(await JobConfigAsync(Db, table, procName) ?? "", "\"hypertable_id\": [0-9]+", "\"hypertable_id\": ID");

    private Task<string> AggregateConfigAsync(string view) => Db.ScalarAsync<string>($"""
        SELECT j.config::text FROM _timescaledb_catalog.continuous_agg ca
        JOIN timescaledb_information.jobs j ON (j.config->>'hypertable_id')::int = ca.mat_hypertable_id
        WHERE ca.user_view_schema = current_schema() AND ca.user_view_name = '{view}' AND j.proc_name = 'policy_retention'
        """);
}

[Hypertables.Hypertable(nameof(Time))]
[Columnstore(PolicyCreatedBefore = "168 hours")]
[RetentionPolicy(DropCreatedBefore = "90 days")]
public class CreatedBeforeReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}

[Hypertables.Hypertable(nameof(Time))]
[RetentionPolicy("30 days", DropCreatedBefore = "90 days")]
public class BothRetentions
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}

public class CreatedBeforeHourly
{
    public DateTime Bucket { get; set; }

    public double Avg { get; set; }
}
