using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Microsoft.EntityFrameworkCore;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

public class Metric
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }
}

public class HourlyMetric
{
    public DateTime Bucket { get; set; }

    public int DeviceId { get; set; }

    public double AvgValue { get; set; }

    public double MaxValue { get; set; }
}

public class DailyMetric
{
    public DateTime Bucket { get; set; }

    public int DeviceId { get; set; }

    public double AvgValue { get; set; }

    public double MaxValue { get; set; }
}

/// <summary>Models with a metrics hypertable and an hourly continuous aggregate over it (snake_case names, as in the docs).</summary>
public static class CaggModels
{
    public const string HourlySql = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM {0} GROUP BY 1, 2";

    public static Action<ModelBuilder> Model(
        string table,
        string view,
        Action<ContinuousAggregateBuilder>? cagg = null,
        string sql = HourlySql,
        bool includeSource = true,
        bool includeAggregate = true,
        Action<Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<Metric>>? source = null)
        => b =>
        {
            if (includeSource)
            {
                b.Entity<Metric>(e =>
                {
                    e.ToTable(table);
                    e.HasKey(x => new { x.Time, x.DeviceId });
                    e.IsHypertable(x => x.Time).WithChunkInterval("1 day");
                    source?.Invoke(e);
                });
            }

            if (includeAggregate)
            {
                b.Entity<HourlyMetric>(e =>
                {
                    e.HasNoKey();
                    var builder = e.IsContinuousAggregate(view, string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, table));
                    cagg?.Invoke(builder);
                });
            }
        };

    public static ModelContext Context(string connectionString, Action<ModelBuilder> model, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null, Action<Infrastructure.TimescaleDbContextOptionsBuilder>? timescale = null)
        => ModelContext.Create(connectionString, model, timescale, snakeCase: true, loggerFactory: loggerFactory);

    /// <summary>Rows every 10 minutes over <paramref name="hours"/> hours for three devices, with values that differ per row.</summary>
    public static List<Metric> Rows(DateTime start, int hours)
        => Enumerable.Range(0, hours * 6)
            .SelectMany(i => Enumerable.Range(1, 3).Select(d => new Metric { Time = start.AddMinutes(10 * i), DeviceId = d, Value = (i * 7 % 13) + (d * 0.5) }))
            .ToList();

    /// <summary>The aggregate computed in C#: what the view must return.</summary>
    public static List<HourlyMetric> Expected(IEnumerable<Metric> rows)
        => rows.GroupBy(r => (Bucket: new DateTime(r.Time.Year, r.Time.Month, r.Time.Day, r.Time.Hour, 0, 0, DateTimeKind.Utc), r.DeviceId))
            .Select(g => new HourlyMetric { Bucket = g.Key.Bucket, DeviceId = g.Key.DeviceId, AvgValue = g.Average(r => r.Value), MaxValue = g.Max(r => r.Value) })
            .OrderBy(m => m.Bucket).ThenBy(m => m.DeviceId)
            .ToList();
}
