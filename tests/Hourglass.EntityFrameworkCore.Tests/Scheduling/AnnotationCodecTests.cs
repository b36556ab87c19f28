using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Jobs;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Scheduling;

/// <summary>The one annotation codec: values round-trip, and annotations written before it (older snapshots) still load.</summary>
public class AnnotationCodecTests
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Database=none";

    [Fact]
    public void Schedules_dimensions_and_orders_round_trip_through_json()
    {
        var schedule = new JobSchedule
        {
            ScheduleInterval = TimescaleInterval.FromTimeSpan(TimeSpan.FromHours(6)),
            InitialStart = new DateTimeOffset(2026, 1, 1, 3, 0, 0, TimeSpan.Zero),
            Timezone = "Europe/Berlin",
            MaxRuntime = TimescaleInterval.Zero,
            MaxRetries = 3,
            RetryPeriod = TimescaleInterval.FromTimeSpan(TimeSpan.FromMilliseconds(1500)),
            FixedSchedule = false,
            Scheduled = false,
        };
        var json = schedule.Serialize();
        Assert.Contains("\"ScheduleInterval\":\"6 hours\"", json, StringComparison.Ordinal);
        Assert.Contains("\"MaxRuntime\":\"0 seconds\"", json, StringComparison.Ordinal);
        Assert.Contains("\"RetryPeriod\":\"1500 milliseconds\"", json, StringComparison.Ordinal);
        Assert.Equal(schedule, JobSchedule.Deserialize(json));
        Assert.Equal("{}", JobSchedule.Empty.Serialize());

        var monthly = new JobSchedule { ScheduleInterval = TimescaleInterval.FromMonths(1), MaxRuntime = TimescaleInterval.Parse("1 year 2 days"), RetryPeriod = TimescaleInterval.FromMonths(2) };
        var monthlyJson = monthly.Serialize();
        Assert.Equal("""{"ScheduleInterval":"1 month","MaxRuntime":"12 months 2 days","RetryPeriod":"2 months"}""", monthlyJson);
        Assert.Equal(monthly, JobSchedule.Deserialize(monthlyJson));

        List<HypertableDimension> dimensions = [new("DeviceId", 4, null), new("Region", null, TimescaleInterval.Parse("24 hours")), new("Site", null, null), new("Sequence", null, TimescaleInterval.FromInteger(1000))];
        var text = HypertableDimension.Format(dimensions);
        Assert.DoesNotContain("IsHash", text, StringComparison.Ordinal);
        Assert.Contains("{\"Property\":\"Region\",\"Interval\":\"1 day\"}", text, StringComparison.Ordinal);
        Assert.Contains("{\"Property\":\"Sequence\",\"Interval\":\"1000\"}", text, StringComparison.Ordinal);
        Assert.Equal(dimensions, HypertableDimension.Parse(text));

        List<ColumnstoreOrder> order = [new("Time", true, null), new("Quoted, \"Name\"", false, true)];
        Assert.Equal(order, ColumnstoreOrderAnnotation.FromAnnotation(ColumnstoreOrderAnnotation.ToAnnotation(order)));
        Assert.Equal(["DeviceId", "Other"], ColumnstoreDefinition.SegmentByFromAnnotation(ColumnstoreDefinition.SegmentByToAnnotation(["DeviceId", "Other"])));
    }

    [Fact]
    public void Annotations_in_the_text_of_older_snapshots_still_load()
    {
        Assert.Equal([new HypertableDimension("DeviceId", 4, null), new HypertableDimension("Region", null, TimescaleInterval.Parse("1 day"))], HypertableDimension.Parse("hash(DeviceId, 4); range(Region, 1 day)"));
        Assert.Equal([new ColumnstoreOrder("Time", true, null), new ColumnstoreOrder("Sequence", false, null)], ColumnstoreOrderAnnotation.FromAnnotation("Time DESC, Sequence"));
        Assert.Equal(["DeviceId", "Other"], ColumnstoreDefinition.SegmentByFromAnnotation("DeviceId, Other"));

        // A job annotation as snapshots wrote it before the shared schedule: every setting spelled out, defaults included.
        var job = JobDefinition.Deserialize("""{"Procedure":"p","ScheduleInterval":"1 hour","MaxRetries":3,"FixedSchedule":true,"Scheduled":true}""");
        Assert.Equal(new JobSchedule { ScheduleInterval = TimescaleInterval.FromTimeSpan(TimeSpan.FromHours(1)), MaxRetries = 3 }, job.Schedule);

        // Zero as the schedule codecs before this one wrote it ("0", "00:00:00"), and as it is written today, are one value.
        var zero = new JobSchedule { MaxRuntime = TimescaleInterval.Zero, RetryPeriod = TimescaleInterval.Zero };
        Assert.Equal(zero, JobSchedule.Deserialize("""{"MaxRuntime":"0","RetryPeriod":"00:00:00"}"""));
        Assert.Equal(zero, JobSchedule.Deserialize(zero.Serialize()));
        Assert.Equal("""{"MaxRuntime":"0 seconds","RetryPeriod":"0 seconds"}""", zero.Serialize());
    }

    [Fact]
    public void A_model_with_older_annotation_text_diffs_empty_against_the_same_model_today()
    {
        Action<ModelBuilder> today = Readings("codec_today", h => h
            .PartitionByHash(x => x.DeviceId, 4)
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true)));
        Action<ModelBuilder> older = b =>
        {
            Readings("codec_today", h => h.WithColumnstore())(b);
            var entity = b.Entity<Reading<DateTime>>();
            entity.HasAnnotation("Hourglass:Hypertable:Dimensions", "hash(DeviceId, 4)");
            entity.HasAnnotation("Hourglass:Columnstore:SegmentBy", "DeviceId");
            entity.HasAnnotation("Hourglass:Columnstore:OrderBy", "Time DESC");
        };
        using var current = ModelContext.Create(NoServer, today);
        using var previous = ModelContext.Create(NoServer, older);
        Assert.NotEqual(
            current.DesignModel.FindEntityType(typeof(Reading<DateTime>))!["Hourglass:Columnstore:OrderBy"],
            previous.DesignModel.FindEntityType(typeof(Reading<DateTime>))!["Hourglass:Columnstore:OrderBy"]);
        Assert.Empty(current.DiffFrom(previous));
        Assert.Empty(previous.DiffFrom(current));
    }
}
