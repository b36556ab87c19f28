using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Jobs;
using Hourglass.EntityFrameworkCore.Scheduling;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef` runs it
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Scheduling;

/// <summary>
/// Every schedule option on every kind of job (the three hypertable policies, the refresh policy, a user job): written
/// when the job is created, changed in place (same job id), rendered in migration files and scaffolded back.
/// </summary>
public class JobScheduleTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private static readonly DateTimeOffset January = new(2026, 1, 1, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset February = new(2026, 2, 1, 4, 0, 0, TimeSpan.Zero);

    private TestDatabase Db => fixture.Database;

    public static TheoryData<string> Kinds => ["columnstore", "retention", "reorder", "refresh", "job"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Every_option_is_written_changed_in_place_rendered_and_scaffolded(string kind)
    {
        var name = "js_" + kind;
        if (kind == "job")
        {
            await Db.ExecuteAsync($"CREATE OR REPLACE PROCEDURE {name}(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$");
        }

        await using var first = Context(kind, name, s => s.MaxRuntime(TimeSpan.FromMinutes(10)).MaxRetries(3).RetryPeriod(TimeSpan.FromMinutes(2)).StartingAt(January).InTimezone("Europe/Berlin"), TimeSpan.FromHours(6));
        await first.ApplyAsync(first.DiffFrom(null));
        var id = await JobIdAsync(kind, name);
        Assert.Equal("06:00:00|00:10:00|3|00:02:00|t|2026-01-01 03:00:00+00|Europe/Berlin|t", await SettingsAsync(id));
        Assert.Empty(first.DiffFrom(first));

        await using var second = Context(kind, name, s => s.MaxRuntime(TimeSpan.FromMinutes(20)).MaxRetries(5).RetryPeriod(TimeSpan.FromMinutes(3)).StartingAt(February).InTimezone("UTC").Paused(), TimeSpan.FromHours(12));
        var change = second.DiffFrom(first);
        var alter = Assert.Single(change);
        Assert.True(alter is AlterPolicyScheduleOperation or AlterJobOperation, alter.GetType().Name);
        var code = MigrationCode(second, change);
        Assert.Contains(kind == "job" ? ".AlterJob(" : ".AlterPolicySchedule(", code, StringComparison.Ordinal);
        foreach (var expected in new[] { "scheduleInterval: \"12 hours\"", "maxRuntime: \"20 minutes\"", "maxRetries: 5", "retryPeriod: \"3 minutes\"", "timezone: \"UTC\"", "initialStart: new DateTimeOffset(", "scheduled: false" })
        {
            Assert.Contains(expected, code, StringComparison.Ordinal);
        }

        await second.ApplyAsync(change);
        Assert.Equal(id, await JobIdAsync(kind, name));
        Assert.Equal("12:00:00|00:20:00|5|00:03:00|t|2026-02-01 04:00:00+00|UTC|f", await SettingsAsync(id));
        Assert.Empty(second.DiffFrom(second));

        var scaffolded = Scaffold(second);
        foreach (var expected in new[] { "MaxRuntime(new TimeSpan(0, 0, 20, 0, 0))", "MaxRetries(5)", "RetryPeriod(new TimeSpan(0, 0, 3, 0, 0))", "InTimezone(\"UTC\")", "StartingAt(new DateTimeOffset(new DateTime(2026, 2, 1, 4, 0, 0", ".Paused()" })
        {
            Assert.Contains(expected, scaffolded, StringComparison.Ordinal);
        }

        // A setting the model stops naming returns to TimescaleDB's default in place; a start no longer named needs a new job.
        await using var third = Context(kind, name, s => s.MaxRuntime(TimeSpan.FromMinutes(20)).RetryPeriod(TimeSpan.FromMinutes(3)).StartingAt(February).InTimezone("UTC"), TimeSpan.FromHours(12));
        var reset = third.DiffFrom(second);
        Assert.Single(reset);
        await third.ApplyAsync(reset);
        Assert.Equal(id, await JobIdAsync(kind, name));
        Assert.Equal("12:00:00|00:20:00|-1|00:03:00|t|2026-02-01 04:00:00+00|UTC|t", await SettingsAsync(id));

        await using var fourth = Context(kind, name, s => s.Drifting(), TimeSpan.FromHours(12));
        var recreate = fourth.DiffFrom(third);
        Assert.DoesNotContain(recreate, o => o is AlterPolicyScheduleOperation);
        await fourth.ApplyAsync(recreate);
        Assert.NotEqual(id, await JobIdAsync(kind, name));
        // Drifting, no time zone, scheduled (add_job still records when it was created as the start).
        Assert.Matches(@"\|f\|[^|]*\|-\|t$", await SettingsAsync(await JobIdAsync(kind, name)));
        Assert.Empty(fourth.DiffFrom(fourth));

        await using var none = ModelContext.Create(Db.ConnectionString, _ => { });
        await none.ApplyAsync(none.DiffFrom(fourth));
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = '{name}' OR hypertable_name IN ('{name}', '{name}_source')"));
    }

    [Fact]
    public void A_time_zone_on_a_drifting_schedule_fails_when_the_model_is_built()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ModelContext.Create(NoServer, Readings("js_bad", h => h.WithRetentionPolicy(TimeSpan.FromDays(1), s => s.Drifting().InTimezone("UTC")))).Model);
        Assert.Contains("Retention policy on entity 'Reading<DateTime>': a time zone only applies to a fixed schedule", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> MonthlyKinds => ["columnstore", "retention", "reorder", "job"];

    [Theory]
    [MemberData(nameof(MonthlyKinds))]
    public async Task A_monthly_schedule_reaches_the_server_and_scaffolds_back_to_the_same_model(string kind)
    {
        var name = "jsm_" + kind;
        if (kind == "job")
        {
            await Db.ExecuteAsync($"CREATE OR REPLACE PROCEDURE {name}(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$");
        }

        // Months in all three interval settings; a user job's fixed schedule counts whole months from its start.
        Action<JobScheduleBuilder> monthly = s => s.Every("1 month").MaxRuntime("1 month").RetryPeriod("2 months");
        await using var context = ModelContext.Create(Db.ConnectionString, b =>
        {
            b.HasDefaultSchema(Db.Schema);
            switch (kind)
            {
                case "columnstore": Readings(name, h => h.WithColumnstore().WithColumnstorePolicy(TimeSpan.FromDays(7), monthly))(b); break;
                case "retention": Readings(name, h => h.WithRetentionPolicy(TimeSpan.FromDays(365), monthly))(b); break;
                case "reorder": Readings(name, h => h.WithReorderPolicy("ix_" + name + "_device_time", monthly))(b); break;
                // Scaffolding names a procedure outside "public" with its schema.
                default: b.HasJob(Db.Schema == "public" ? name : $"{Db.Schema}.{name}", "1 month").WithSchedule(s => monthly(s.StartingAt(January))); break;
            }
        });

        var create = context.DiffFrom(null);
        var code = MigrationCode(context, create);
        foreach (var expected in new[] { "scheduleInterval: \"1 month\"", "maxRuntime: \"1 month\"", "retryPeriod: \"2 months\"" })
        {
            Assert.Contains(expected, code, StringComparison.Ordinal);
        }

        var sql = context.Sql(create);
        foreach (var expected in new[] { "schedule_interval => INTERVAL '1 month'", "max_runtime => INTERVAL '1 month'", "retry_period => INTERVAL '2 months'" })
        {
            Assert.Contains(expected, sql, StringComparison.Ordinal);
        }

        await context.ApplyAsync(create);
        var id = await JobIdAsync(kind, name);
        Assert.StartsWith("1 mon|1 mon|-1|2 mons|", await SettingsAsync(id), StringComparison.Ordinal);
        Assert.Empty(context.DiffFrom(context));

        var scaffolded = DesignTime.Scaffold(DesignTime.Services(context), Db.ConnectionString, Db.Schema);
        var scaffoldedCode = scaffolded.ContextFile.Code;
        Assert.Contains(kind == "job" ? $".HasJob(\"{(Db.Schema == "public" ? name : $"{Db.Schema}.{name}")}\", \"1 month\")" : ".Every(\"1 month\")", scaffoldedCode, StringComparison.Ordinal);
        Assert.Contains(".MaxRuntime(\"1 month\")", scaffoldedCode, StringComparison.Ordinal);
        Assert.Contains(".RetryPeriod(\"2 months\")", scaffoldedCode, StringComparison.Ordinal);

        // The scaffolded code compiles to a model that needs no TimescaleDB migration from the original.
        await using var scaffoldedContext = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var scaffoldedModel = scaffoldedContext.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model.GetRelationalModel();
        var differences = context.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrationsModelDiffer>().GetDifferences(context.DesignModel.GetRelationalModel(), scaffoldedModel);
        Assert.DoesNotContain(differences, o => o is Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation);

        await using var none = ModelContext.Create(Db.ConnectionString, b => b.HasDefaultSchema(Db.Schema));
        await none.ApplyAsync(none.DiffFrom(context));
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = '{name}' OR hypertable_name = '{name}'"));
    }

    [Fact]
    public async Task A_monthly_refresh_policy_reaches_the_server_and_scaffolds_back_with_its_months()
    {
        await using var context = CaggModels.Context(Db.ConnectionString, CaggModels.Model("jsm_refresh_source", "jsm_refresh", c => c
            .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), "1 month", s => s.MaxRuntime("1 month").RetryPeriod("2 months"))
            .WithNoData()));
        var create = context.DiffFrom(null);
        Assert.Contains("scheduleInterval: \"1 month\"", MigrationCode(context, create), StringComparison.Ordinal);
        var sql = context.Sql(create);
        foreach (var expected in new[] { "schedule_interval => INTERVAL '1 month'", "max_runtime => INTERVAL '1 month'", "retry_period => INTERVAL '2 months'" })
        {
            Assert.Contains(expected, sql, StringComparison.Ordinal);
        }

        await context.ApplyAsync(create);
        Assert.StartsWith("1 mon|1 mon|-1|2 mons|", await SettingsAsync(await JobIdAsync("refresh", "jsm_refresh")), StringComparison.Ordinal);
        Assert.Empty(context.DiffFrom(context));

        var scaffolded = DesignTime.Scaffold(DesignTime.Services(context), Db.ConnectionString, Db.Schema);
        // Compared without whitespace: the generator breaks the chain over lines.
        Assert.Contains(
            ".WithRefreshPolicy(newTimeSpan(3,0,0,0,0),newTimeSpan(0,1,0,0,0),\"1month\",s=>s.MaxRuntime(\"1month\").RetryPeriod(\"2months\"))",
            System.Text.RegularExpressions.Regex.Replace(scaffolded.ContextFile.Code, @"\s+", ""),
            StringComparison.Ordinal);

        // The scaffolded view's query is PostgreSQL's spelling of it, so the policies are compared, not the whole models.
        await using var scaffoldedContext = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var original = ContinuousAggregateDefinition.Find(context.DesignModel.GetEntityTypes().Single(e => ContinuousAggregateDefinition.Find(e) is not null))!.Policy;
        var read = ContinuousAggregateDefinition.Find(scaffoldedContext.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model.GetEntityTypes().Single(e => ContinuousAggregateDefinition.Find(e) is not null))!.Policy;
        Assert.Equal(original, read);
        Assert.Equal(TimescaleInterval.FromMonths(1), read!.ScheduleInterval);

        await using var none = ModelContext.Create(Db.ConnectionString, _ => { });
        await none.ApplyAsync(none.DiffFrom(context));
    }

    [Fact]
    public async Task A_fixed_schedule_of_months_and_days_is_refused_as_the_server_refuses_it()
    {
        // The server's rule, which the model check follows: a fixed schedule takes whole months or a fixed length.
        await Db.ExecuteAsync("CREATE OR REPLACE PROCEDURE jsm_mixed(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$");
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.ExecuteAsync("SELECT add_job('jsm_mixed', interval '1 month 1 day')"));
        Assert.Contains("month intervals cannot have day or time component", refused.MessageText, StringComparison.Ordinal);
        var drifting = await Db.ScalarAsync<int>("SELECT add_job('jsm_mixed', interval '1 month 1 day', fixed_schedule => false)");
        await Db.ExecuteAsync($"SELECT delete_job({drifting})");

        var job = Assert.Throws<InvalidOperationException>(() => ModelContext.Create(NoServer, b => b.HasJob("jsm_mixed", "1 month 1 day")).Model).Message;
        Assert.Contains("Job jsm_mixed: the schedule interval \"1 month 1 day\" mixes months with days or time, which TimescaleDB refuses on a fixed schedule", job, StringComparison.Ordinal);
        Assert.Contains("Fix: schedule by whole months (Every(\"1 month\"))", job, StringComparison.Ordinal);

        var policy = Assert.Throws<InvalidOperationException>(() => ModelContext.Create(NoServer, Readings("jsm_mixed", h => h.WithRetentionPolicy(TimeSpan.FromDays(90), s => s.Every("1 month 12 hours").StartingAt(January)))).Model).Message;
        Assert.Contains("Retention policy on entity 'Reading<DateTime>': the schedule interval \"1 month 12 hours\" mixes months with days or time", policy, StringComparison.Ordinal);
        Assert.Contains("Fix:", policy, StringComparison.Ordinal);

        // Drifting, in any order of the calls, the server takes it, and so does the model.
        using var driftingJob = ModelContext.Create(NoServer, b => b.HasJob("jsm_mixed", "1 month 1 day").AfterPreviousRun());
        Assert.Single(driftingJob.DiffFrom(null));
        using var driftingPolicy = ModelContext.Create(NoServer, Readings("jsm_mixed", h => h.WithRetentionPolicy(TimeSpan.FromDays(90), s => s.Every("1 month 12 hours"))));
        Assert.NotEmpty(driftingPolicy.DiffFrom(null));
    }

    [Theory]
    [InlineData("monthly", "the schedule interval \"monthly\" is not an interval")]
    [InlineData("5", "the schedule interval \"5\" is a number, not a time interval")]
    [InlineData("-1 month", "the schedule interval \"-1 month\" is not positive")]
    public void Interval_text_that_is_no_positive_length_fails_when_the_model_is_built(string interval, string problem)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ModelContext.Create(NoServer, b => b.HasJob("jsm_bad", interval)).Model).Message;
        Assert.Contains($"Job jsm_bad: {problem}", error, StringComparison.Ordinal);
        Assert.Contains("Fix: pass positive interval text, e.g. Every(\"1 month\")", error, StringComparison.Ordinal);
    }

    private const string NoServer = "Host=127.0.0.1;Port=1;Database=none";

    private ModelContext Context(string kind, string name, Action<JobScheduleBuilder> options, TimeSpan interval)
    {
        Action<JobScheduleBuilder> schedule = s => options(s.Every(interval));
        return kind switch
        {
            "columnstore" => ModelContext.Create(Db.ConnectionString, Readings(name, h => h.WithColumnstore().WithColumnstorePolicy(TimeSpan.FromDays(7), schedule))),
            "retention" => ModelContext.Create(Db.ConnectionString, Readings(name, h => h.WithRetentionPolicy(TimeSpan.FromDays(90), schedule))),
            "reorder" => ModelContext.Create(Db.ConnectionString, Readings(name, h => h.WithReorderPolicy("ix_" + name + "_device_time", schedule))),
            "refresh" => CaggModels.Context(Db.ConnectionString, CaggModels.Model(name + "_source", name, c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), interval, options).WithNoData())),
            _ => ModelContext.Create(Db.ConnectionString, b => b.HasJob(name, interval).WithSchedule(options)),
        };
    }

    private Task<int> JobIdAsync(string kind, string name)
        => Db.ScalarAsync<int>(kind switch
        {
            "job" => $"SELECT job_id FROM timescaledb_information.jobs WHERE proc_schema = current_schema() AND proc_name = '{name}'",
            "refresh" => $"""
                SELECT j.job_id FROM timescaledb_information.jobs j
                JOIN _timescaledb_catalog.continuous_agg c ON c.mat_hypertable_id = (j.config ->> 'mat_hypertable_id')::int
                WHERE c.user_view_schema = current_schema() AND c.user_view_name = '{name}'
                """,
            _ => $"SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{name}' AND proc_name = 'policy_{(kind == "columnstore" ? "compression" : kind)}'",
        });

    /// <summary>"interval|max runtime|max retries|retry period|fixed|initial start (UTC)|time zone|scheduled" of a job.</summary>
    private Task<string> SettingsAsync(int jobId)
        => Db.ScalarAsync<string>($"""
            SELECT concat_ws('|', j.schedule_interval, j.max_runtime, j.max_retries, j.retry_period, CASE WHEN j.fixed_schedule THEN 't' ELSE 'f' END,
                   coalesce(to_char(j.initial_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00', ''), coalesce(b.timezone, '-'),
                   CASE WHEN j.scheduled THEN 't' ELSE 'f' END)
            FROM timescaledb_information.jobs j JOIN _timescaledb_config.bgw_job b ON b.id = j.job_id WHERE j.job_id = {jobId}
            """);

    private static string MigrationCode(ModelContext context, IReadOnlyList<Microsoft.EntityFrameworkCore.Migrations.Operations.MigrationOperation> operations)
    {
        var builder = new IndentedStringBuilder();
        DesignTime.Services(context).GetRequiredService<ICSharpMigrationOperationGenerator>().Generate("migrationBuilder", operations, builder);
        return builder.ToString();
    }

    private string Scaffold(ModelContext context)
        => DesignTime.Scaffold(DesignTime.Services(context), Db.ConnectionString, Db.Schema).ContextFile.Code;
}
