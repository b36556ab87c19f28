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
