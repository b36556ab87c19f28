using System.Security.Cryptography;
using System.Text;
using Hourglass.EntityFrameworkCore.BulkIngest;
using Microsoft.EntityFrameworkCore;

namespace Prism;

/// <summary>
/// Four weeks of hourly readings of three sources up to today's midnight (UTC). Ids are derived from (source, time), so
/// loading again on the same day adds nothing.
/// </summary>
public static class SampleData
{
    public static IReadOnlyList<string> Sources { get; } = ["electricity_price", "outdoor_temperature", "solar_output"];

    public static DateTime End => DateTime.UtcNow.Date;

    public static DateTime Start => End.AddDays(-28);

    public static IEnumerable<DataPoint> Points()
    {
        for (var time = Start; time < End; time = time.AddHours(1))
        {
            var hour = time.Hour;
            var day = (time - Start).Days;
            yield return Point("electricity_price", time, Math.Round(0.18 + (0.12 * Math.Max(0, Math.Sin((hour - 6) / 24.0 * 2 * Math.PI))) + (0.01 * (day % 5)), 4), $$"""{"unit": "EUR/kWh", "zone": "DK1"}""");
            yield return Point("outdoor_temperature", time, Math.Round(4 + (5 * Math.Sin((hour - 9) / 24.0 * 2 * Math.PI)) - (0.1 * day), 2), $$"""{"unit": "C", "sensor": "north-wall"}""");
            yield return Point("solar_output", time, Math.Round(Math.Max(0, 2.4 * Math.Sin((hour - 7) / 10.0 * Math.PI)) * (0.6 + (0.1 * (day % 4))), 3), null);
        }
    }

    public static Task<BulkUpsertResult> LoadAsync(PrismContext db) =>
        db.BulkUpsertAsync(Points(), c => c.OnPrimaryKey().DoNothing());

    private static DataPoint Point(string source, DateTime time, double value, string? metadata) => new()
    {
        Id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{source}|{time:O}")).AsSpan(0, 16)),
        Timestamp = time,
        Source = source,
        Value = value,
        Metadata = metadata,
    };
}
