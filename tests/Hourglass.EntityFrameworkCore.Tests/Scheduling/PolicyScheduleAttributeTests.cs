using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.EntityFrameworkCore.Scheduling;
using Hourglass.Testing;
using System.ComponentModel.DataAnnotations.Schema;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Scheduling;

/// <summary><c>[PolicySchedule]</c> gives attribute-declared policies the schedule the fluent <c>schedule</c> argument gives.</summary>
public class PolicyScheduleAttributeTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task The_attribute_schedule_is_the_fluent_schedule_and_reaches_the_job()
    {
        await using var attribute = ModelContext.Create(Db.ConnectionString, b => b.Entity<ScheduledReading>().HasKey(x => new { x.Time, x.DeviceId }));
        await using var fluent = ModelContext.Create(Db.ConnectionString, b => b.Entity<ScheduledReading>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time)
                .WithColumnstore(c => c.SegmentBy(x => x.DeviceId))
                .WithColumnstorePolicy(TimeSpan.FromDays(7), s => s.Every(TimeSpan.FromHours(6)).Paused())
                .WithRetentionPolicy(
                    TimeSpan.FromDays(90),
                    s => s.Every(TimeSpan.FromDays(1)).MaxRuntime(TimeSpan.FromMinutes(10)).MaxRetries(3).RetryPeriod(TimeSpan.FromMinutes(2))
                        .StartingAt(new DateTimeOffset(2026, 1, 1, 3, 0, 0, TimeSpan.Zero)).InTimezone("Europe/Berlin").Fixed());
        }));
        Assert.Empty(fluent.DiffFrom(attribute));
        Assert.Empty(attribute.DiffFrom(fluent));

        await attribute.ApplyAsync(attribute.DiffFrom(null));
        var retention = await Db.ScalarAsync<string>("""
            SELECT concat_ws('|', schedule_interval, max_runtime, max_retries, retry_period, fixed_schedule,
                   to_char(initial_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), scheduled)
            FROM timescaledb_information.jobs
            WHERE hypertable_schema = current_schema() AND hypertable_name = 'scheduled_readings' AND proc_name = 'policy_retention'
            """);
        Assert.Equal("1 day|00:10:00|3|00:02:00|t|2026-01-01 03:00|t", retention);
        var columnstore = await Db.ScalarAsync<string>("""
            SELECT concat_ws('|', schedule_interval, scheduled) FROM timescaledb_information.jobs
            WHERE hypertable_schema = current_schema() AND hypertable_name = 'scheduled_readings' AND proc_name = 'policy_compression'
            """);
        Assert.Equal("06:00:00|f", columnstore);
    }

    [Fact]
    public void A_monthly_attribute_schedule_is_the_fluent_monthly_schedule()
    {
        using var attribute = ModelContext.Create(Db.ConnectionString, b => b.Entity<MonthlyReading>().HasKey(x => new { x.Time, x.DeviceId }));
        using var fluent = ModelContext.Create(Db.ConnectionString, b => b.Entity<MonthlyReading>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithRetentionPolicy("1 year", s => s.Every("1 month").RetryPeriod("1 month"));
        }));
        Assert.Empty(fluent.DiffFrom(attribute));
        Assert.Empty(attribute.DiffFrom(fluent));
        var add = Assert.Single(attribute.DiffFrom(null).OfType<Hourglass.EntityFrameworkCore.Policies.AddHypertablePolicyOperation>());
        Assert.Contains("schedule_interval => INTERVAL '1 month'", attribute.Sql([add]), StringComparison.Ordinal);
        Assert.Contains("retry_period => INTERVAL '1 month'", attribute.Sql([add]), StringComparison.Ordinal);
    }

    public static TheoryData<Type, string, string> Mistakes => new()
    {
        {
            typeof(OrphanSchedule),
            "Retention policy on entity 'OrphanSchedule', property 'PolicyScheduleAttribute': a schedule is declared for the retention policy, but the entity has no such policy",
            "Fix: declare the policy too (WithRetentionPolicy(...) or its attribute)"
        },
        {
            typeof(BadScheduleText),
            "Retention policy on entity 'BadScheduleText', property 'PolicyScheduleAttribute(Retention).Every'",
            "Fix: write a positive interval such as Every = \"1 hour\""
        },
        {
            typeof(FixedAndDrifting),
            "Retention policy on entity 'FixedAndDrifting', property 'PolicyScheduleAttribute(Retention)': the schedule is both Fixed and Drifting",
            "Fix: set one of Fixed = true or Drifting = true"
        },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_schedule_attribute_that_cannot_apply_is_a_model_error(Type entity, string problem, string fix)
    {
        using var context = ModelContext.Create(NoServer, b => b.Entity(entity).HasKey("Time"));
        var message = Assert.Throws<InvalidOperationException>(() => context.Model).Message;
        Assert.Contains(problem, message, StringComparison.Ordinal);
        Assert.Contains(fix, message, StringComparison.Ordinal);
    }
}

[Table("scheduled_readings")]
[Hypertable(nameof(Time))]
[Columnstore(SegmentBy = nameof(DeviceId), PolicyAfter = "7 days")]
[PolicySchedule(JobKind.Columnstore, Every = "6 hours", Paused = true)]
[RetentionPolicy("90 days")]
[PolicySchedule(JobKind.Retention, Every = "1 day", MaxRuntime = "10 minutes", MaxRetries = 3, RetryPeriod = "2 minutes",
    StartingAt = "2026-01-01T03:00:00+00:00", Timezone = "Europe/Berlin", Fixed = true)]
public class ScheduledReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}

[Hypertable(nameof(Time))]
[PolicySchedule(JobKind.Retention, Every = "1 day")]
public class OrphanSchedule
{
    public DateTime Time { get; set; }
}

[Hypertable(nameof(Time))]
[RetentionPolicy("90 days")]
[PolicySchedule(JobKind.Retention, Every = "1 fortnight")]
public class BadScheduleText
{
    public DateTime Time { get; set; }
}

[Hypertable(nameof(Time))]
[RetentionPolicy("90 days")]
[PolicySchedule(JobKind.Retention, Fixed = true, Drifting = true)]
public class FixedAndDrifting
{
    public DateTime Time { get; set; }
}

[Table("monthly_readings")]
[Hypertable(nameof(Time))]
[RetentionPolicy("1 year")]
[PolicySchedule(JobKind.Retention, Every = "1 month", RetryPeriod = "1 month")]
public class MonthlyReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}
