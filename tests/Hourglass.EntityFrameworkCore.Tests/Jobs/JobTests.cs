using System.Text.Json;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef` runs it

namespace Hourglass.EntityFrameworkCore.Tests.Jobs;

/// <summary>User-defined TimescaleDB jobs declared in the model, migrated and run on the embedded TimescaleDB.</summary>
public class JobTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private sealed record JobRow(int Id, TimeSpan Schedule, string? Config, int MaxRetries, TimeSpan RetryPeriod, TimeSpan MaxRuntime, bool Scheduled, bool FixedSchedule);

    private async Task CreateProcedureAsync(string procedure)
    {
        await Db.ExecuteAsync($"CREATE TABLE IF NOT EXISTS {procedure}_runs (job_id int, days int)");
        await Db.ExecuteAsync($"""
            CREATE OR REPLACE PROCEDURE {procedure}(job_id int, config jsonb) LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO {procedure}_runs VALUES (job_id, (config ->> 'days')::int);
            END $$
            """);
    }

    private async Task<List<JobRow>> JobsAsync(string procedure)
    {
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT job_id, schedule_interval, config::text, max_retries, retry_period, max_runtime, scheduled, fixed_schedule
            FROM timescaledb_information.jobs WHERE proc_schema = current_schema() AND proc_name = '{procedure}'
            """;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<JobRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new JobRow(
                reader.GetInt32(0), reader.GetFieldValue<TimeSpan>(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<TimeSpan>(4), reader.GetFieldValue<TimeSpan>(5), reader.GetBoolean(6), reader.GetBoolean(7)));
        }

        return rows;
    }

    private ModelContext Model(Action<ModelBuilder> build) => ModelContext.Create(Db.ConnectionString, build);

    private static async Task MigrateAsync(ModelContext? from, ModelContext to) => await to.ApplyAsync(to.DiffFrom(from));

    private static int Days(string? config) => JsonDocument.Parse(config!).RootElement.GetProperty("days").GetInt32();

    [Fact]
    public async Task A_job_is_added_run_changed_in_place_and_removed_by_migrations()
    {
        await CreateProcedureAsync("hg_rollup");
        await using var first = Model(b => b.HasJob("hg_rollup", TimeSpan.FromHours(1)).WithConfig(new { days = 7 }).WithMaxRetries(3).WithMaxRuntime(TimeSpan.FromMinutes(10)).Paused());
        await MigrateAsync(null, first);

        var added = Assert.Single(await JobsAsync("hg_rollup"));
        Assert.Equal(TimeSpan.FromHours(1), added.Schedule);
        Assert.Equal(7, Days(added.Config));
        Assert.Equal(3, added.MaxRetries);
        Assert.Equal(TimeSpan.FromMinutes(10), added.MaxRuntime);
        Assert.False(added.Scheduled);

        Assert.Equal(added.Id, await first.Database.RunJobAsync("hg_rollup"));
        Assert.Equal(1, await Db.ScalarAsync<long>($"SELECT count(*) FROM hg_rollup_runs WHERE job_id = {added.Id} AND days = 7"));

        await using var second = Model(b => b.HasJob("hg_rollup", TimeSpan.FromMinutes(30)).WithConfig("{\"days\": 14}").AfterPreviousRun());
        var operations = second.DiffFrom(first);
        Assert.IsType<Hourglass.EntityFrameworkCore.Jobs.AlterJobOperation>(Assert.Single(operations));
        await second.ApplyAsync(operations);

        var changed = Assert.Single(await JobsAsync("hg_rollup"));
        Assert.Equal(added.Id, changed.Id);
        Assert.Equal(TimeSpan.FromMinutes(30), changed.Schedule);
        Assert.Equal(14, Days(changed.Config));
        Assert.Equal(-1, changed.MaxRetries);
        Assert.Equal(TimeSpan.Zero, changed.MaxRuntime);
        Assert.True(changed.Scheduled);
        Assert.False(changed.FixedSchedule);

        await using var third = Model(_ => { });
        await MigrateAsync(second, third);
        Assert.Empty(await JobsAsync("hg_rollup"));
        Assert.Equal(1, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE proname = 'hg_rollup'"));

        // Down of the removal adds the job back.
        await MigrateAsync(third, second);
        Assert.Equal(14, Days(Assert.Single(await JobsAsync("hg_rollup")).Config));
        await MigrateAsync(second, third);
    }

    [Fact]
    public async Task Clearing_the_config_deletes_and_adds_the_job_and_an_unchanged_model_does_nothing()
    {
        await CreateProcedureAsync("hg_cleanup");
        await using var first = Model(b => b.HasJob("hg_cleanup", TimeSpan.FromDays(1)).WithConfig(new { days = 1 }).Paused());
        await MigrateAsync(null, first);
        await using var same = Model(b => b.HasJob("hg_cleanup", TimeSpan.FromHours(24)).WithConfig("{ \"days\" : 1 }").Paused());
        Assert.Empty(same.DiffFrom(first));

        await using var cleared = Model(b => b.HasJob("hg_cleanup", TimeSpan.FromDays(1)).Paused());
        await MigrateAsync(first, cleared);

        Assert.Null(Assert.Single(await JobsAsync("hg_cleanup")).Config);
        await MigrateAsync(cleared, Model(_ => { }));
        Assert.Empty(await JobsAsync("hg_cleanup"));
    }

    [Fact]
    public async Task Migration_files_and_scaffolding_carry_jobs()
    {
        await CreateProcedureAsync("hg_scaffolded");
        await using var context = Model(b => b.HasJob("hg_scaffolded", TimeSpan.FromHours(6)).WithConfig(new { days = 3 }).WithRetryPeriod(TimeSpan.FromMinutes(1)).Paused());
        var services = DesignTime.Services(context);

        var migration = services.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Jobs", "App");
        Assert.Contains(
            """
                        migrationBuilder.AddJob(
                            procedure: "hg_scaffolded",
                            scheduleInterval: "6 hours",
                            config: "{\"days\":3}",
                            retryPeriod: "1 minute",
                            scheduled: false);
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.DeleteJob(", migration.MigrationCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Job:hg_scaffolded\"", migration.SnapshotCode, StringComparison.Ordinal);

        await MigrateAsync(null, context);
        var scaffolded = DesignTime.Scaffold(services, Db.ConnectionString, Db.Schema);
        var code = scaffolded.ContextFile.Code;
        // Scaffolding names procedures of the default schema without it, as EF does tables.
        var procedure = Db.Schema == "public" ? "hg_scaffolded" : $"{Db.Schema}.hg_scaffolded";
        Assert.Contains($".HasJob(\"{procedure}\", new TimeSpan(0, 6, 0, 0, 0))", code, StringComparison.Ordinal);
        Assert.Contains(".WithConfig(\"{\\\"days\\\": 3}\")", code, StringComparison.Ordinal);
        Assert.Contains(".WithSchedule(s => s", code, StringComparison.Ordinal);
        Assert.Contains(".RetryPeriod(new TimeSpan(0, 0, 1, 0, 0))", code, StringComparison.Ordinal);
        Assert.Contains(".Paused()", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Hourglass:Scaffold", code, StringComparison.Ordinal);
        await MigrateAsync(context, Model(_ => { }));
    }

    [Fact]
    public async Task Running_a_job_that_does_not_exist_names_the_fix()
    {
        await using var context = Model(_ => { });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.RunJobAsync("hg_missing"));
        Assert.Contains("There is no TimescaleDB job for procedure hg_missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("HasJob(\"hg_missing\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bad-Name", "must be written as name or schema.name")]
    [InlineData("config", "its config is not valid JSON")]
    [InlineData("array", "its config must be a JSON object")]
    [InlineData("retries", "max retries -2 is below -1")]
    [InlineData("schedule", "the schedule interval 00:00:00 is not a positive")]
    [InlineData("timezone", "a time zone only applies to a fixed schedule")]
    public void Bad_job_declarations_fail_when_the_model_is_built(string kind, string expected)
    {
        // Through a context with UseTimescale(): HasJob on a model built without the plugin is refused before these checks.
        using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody;Database=none", builder =>
        {
            switch (kind)
            {
                case "Bad-Name": builder.HasJob("Bad-Name", TimeSpan.FromHours(1)); break;
                case "config": builder.HasJob("p", TimeSpan.FromHours(1)).WithConfig("{days: 1"); break;
                case "array": builder.HasJob("p", TimeSpan.FromHours(1)).WithConfig("[1, 2]"); break;
                case "retries": builder.HasJob("p", TimeSpan.FromHours(1)).WithMaxRetries(-2); break;
                case "schedule": builder.HasJob("p", TimeSpan.Zero); break;
                default: builder.HasJob("p", TimeSpan.FromHours(1)).AfterPreviousRun().InTimezone("Europe/Berlin"); break;
            }
        });
        var error = Assert.Throws<InvalidOperationException>(() => context.Model);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Jobs on PostgreSQL without TimescaleDB: skipped with a warning.</summary>
public class JobDegradeTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Jobs_are_skipped_with_a_warning_without_timescale()
    {
        var logs = new CollectingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var context = ModelContext.Create(fixture.Database.ConnectionString, b => b.HasJob("nightly", TimeSpan.FromDays(1)), loggerFactory: loggerFactory);

        await context.ApplyAsync(context.DiffFrom(null));

        Assert.Contains(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("skipped job nightly (every 1 day)", StringComparison.Ordinal));
    }
}
