using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace Prism;

/// <summary>One bucket of the aggregate endpoint; the aggregates not asked for are null.</summary>
public sealed record BucketAggregate(DateTime Bucket, double? Avg, double? Min, double? Max, long? Count);

/// <summary>A data point as the API returns it (metadata as JSON text).</summary>
public sealed record DataPointDto(Guid Id, DateTime Timestamp, string Source, double Value, string? Metadata);

/// <summary>A bucket row as the database returns it.</summary>
public sealed record BucketRow(DateTime Bucket, double Avg, double Min, double Max, long Count);

/// <summary>
/// The aggregate query, written once for both kinds of server: Hourglass translates <c>EF.Functions.TimeBucket</c> to
/// TimescaleDB's <c>time_bucket</c>, and on PostgreSQL without TimescaleDB (under Degrade, the default) to
/// <c>date_bin</c> from time_bucket's origin (2000-01-03 00:00 UTC), so the answers are equal.
/// </summary>
public static class DataPointQueries
{
    public static Task<List<BucketRow>> AggregateAsync(PrismContext db, TimeSpan bucket, DateTime start, DateTime end, string? source, CancellationToken cancellationToken)
        => db.DataPoints
            .Where(p => p.Timestamp >= start && p.Timestamp < end && (source == null || p.Source == source))
            .GroupBy(p => EF.Functions.TimeBucket(bucket, p.Timestamp))
            .OrderBy(g => g.Key)
            .Select(g => new BucketRow(g.Key, g.Average(p => p.Value), g.Min(p => p.Value), g.Max(p => p.Value), g.LongCount()))
            .ToListAsync(cancellationToken);
}

/// <summary>The seed's three endpoints. Validation errors are RFC 7807 problem details (400, application/problem+json).</summary>
public static partial class DataPointEndpoints
{
    private static readonly string[] KnownAggregates = ["avg", "min", "max", "count"];

    public static void MapDataPoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/datapoints").WithTags("DataPoints");

        // source may repeat (?source=a&source=b), as the seed's repository takes a list of sources.
        api.MapGet("/", async (PrismContext db, string? start, string? end, string[]? source, int? limit, CancellationToken cancellationToken) =>
        {
            var errors = new Dictionary<string, string[]>();
            var range = Range(start, end, errors);
            if (limit is < 1 or > 10_000)
            {
                errors["limit"] = ["limit must be between 1 and 10000."];
            }

            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors);
            }

            var (from, to) = range!.Value;
            var sources = source ?? [];
            var points = await db.DataPoints.AsNoTracking()
                .Where(p => p.Timestamp >= from && p.Timestamp < to && (sources.Length == 0 || sources.Contains(p.Source)))
                .OrderByDescending(p => p.Timestamp).ThenBy(p => p.Source)
                .Take(limit ?? 100)
                .Select(p => new DataPointDto(p.Id, p.Timestamp, p.Source, p.Value, p.Metadata))
                .ToListAsync(cancellationToken);
            return Results.Ok(points);
        })
        .WithName("GetDataPoints")
        .WithSummary("Data points in [start, end), newest first, optionally of some sources (source repeated).")
        .ProducesValidationProblem();

        api.MapGet("/aggregate", async (PrismContext db, string? bucket, string? start, string? end, string? source, string? aggs, CancellationToken cancellationToken) =>
        {
            var errors = new Dictionary<string, string[]>();
            var width = Bucket(bucket, errors);
            var range = Range(start, end, errors);
            var wanted = (aggs ?? "avg,min,max,count").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(a => a.ToLowerInvariant()).ToHashSet();
            var unknown = wanted.Except(KnownAggregates).Order(StringComparer.Ordinal).ToList();
            if (unknown.Count > 0 || wanted.Count == 0)
            {
                errors["aggs"] = [$"Unknown aggregate(s): {string.Join(", ", unknown.DefaultIfEmpty("(none given)"))}. Use a comma-separated list of {string.Join(", ", KnownAggregates)}."];
            }

            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors);
            }

            var (from, to) = range!.Value;
            var rows = await DataPointQueries.AggregateAsync(db, width!.Value, from, to, source, cancellationToken);

            // avg is rounded: chunks and a plain table may sum the same rows in a different order.
            return Results.Ok(rows.Select(r => new BucketAggregate(
                DateTime.SpecifyKind(r.Bucket, DateTimeKind.Utc),
                wanted.Contains("avg") ? Math.Round(r.Avg, 9) : null,
                wanted.Contains("min") ? r.Min : null,
                wanted.Contains("max") ? r.Max : null,
                wanted.Contains("count") ? r.Count : null)));
        })
        .WithName("AggregateDataPoints")
        .WithSummary("avg/min/max/count per time bucket (time_bucket on TimescaleDB; the same LINQ becomes date_bin on plain PostgreSQL).")
        .ProducesValidationProblem();

        api.MapGet("/latest", async (PrismContext db, string? source, CancellationToken cancellationToken) =>
        {
            if (string.IsNullOrWhiteSpace(source))
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["source"] = ["source is required."] });
            }

            var latest = await db.DataPoints.AsNoTracking()
                .Where(p => p.Source == source)
                .OrderByDescending(p => p.Timestamp)
                .Select(p => new DataPointDto(p.Id, p.Timestamp, p.Source, p.Value, p.Metadata))
                .FirstOrDefaultAsync(cancellationToken);
            return latest is null
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No data points", detail: $"Source '{source}' has no data points.")
                : Results.Ok(latest);
        })
        .WithName("LatestDataPoint")
        .WithSummary("The most recent data point of a source.")
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static (DateTime Start, DateTime End)? Range(string? start, string? end, Dictionary<string, string[]> errors)
    {
        var from = Time(start, "start", errors);
        var to = Time(end, "end", errors);
        if (from is null || to is null)
        {
            return null;
        }

        if (from >= to)
        {
            errors["start"] = [$"start ({from:O}) must be before end ({to:O})."];
            return null;
        }

        return (from.Value, to.Value);
    }

    private static DateTime? Time(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors[name] = [$"{name} is required (ISO 8601, e.g. 2026-01-01 or 2026-01-01T12:00:00Z)."];
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            errors[name] = [$"'{text}' is not a date and time (ISO 8601, e.g. 2026-01-01 or 2026-01-01T12:00:00Z)."];
            return null;
        }

        return time.UtcDateTime;
    }

    private static TimeSpan? Bucket(string? text, Dictionary<string, string[]> errors)
    {
        var match = BucketText().Match(text ?? "");
        if (!match.Success || !int.TryParse(match.Groups["n"].Value, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1000)
        {
            errors["bucket"] = [$"'{text}' is not a bucket width. Use a number and a unit: minute(s), hour(s), day(s) or week(s), e.g. '1 hour' or '15 minutes'."];
            return null;
        }

        return match.Groups["unit"].Value.ToLowerInvariant().TrimEnd('s') switch
        {
            "minute" => TimeSpan.FromMinutes(n),
            "hour" => TimeSpan.FromHours(n),
            "day" => TimeSpan.FromDays(n),
            _ => TimeSpan.FromDays(7 * n),
        };
    }

    [GeneratedRegex(@"^\s*(?<n>\d{1,4})\s*(?<unit>minutes?|hours?|days?|weeks?)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BucketText();
}
