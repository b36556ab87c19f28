// HomeEnergy: the database of a home energy monitor ("aetherlens"). Devices, users and a time-of-use tariff in plain
// tables, every measurement in the metrics hypertable (7-day chunks, a cascading foreign key to devices, GIN index on its
// JSON tags), created by generated migrations; a seeded-random month of five-minute readings of five devices,
// ingested idempotently with BulkUpsertAsync(... DoNothing()); then the seed's verification queries.
//
//   dotnet run --project samples/HomeEnergy                 # embedded TimescaleDB, temporary data
//   dotnet run --project samples/HomeEnergy -- --data DIR   # embedded, kept in DIR (run it twice: nothing is duplicated)
//   HOURGLASS_CONNECTION="Host=...;..." dotnet run --project samples/HomeEnergy   # your own server (schema "aetherlens")
using System.Diagnostics;
using System.Globalization;
using HomeEnergy;
using Hourglass;
using Hourglass.Embedded;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Spectre.Console;

var dataIndex = Array.IndexOf(args, "--data");
var dataDirectory = dataIndex >= 0 && dataIndex + 1 < args.Length ? args[dataIndex + 1] : null;
var connectionString = Environment.GetEnvironmentVariable("HOURGLASS_CONNECTION");

EmbeddedTimescale? embedded = null;
if (string.IsNullOrWhiteSpace(connectionString))
{
    embedded = await AnsiConsole.Status().StartAsync("Starting the embedded TimescaleDB (first run installs it)...",
        _ => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { DataDirectory = dataDirectory }));
    connectionString = embedded.ConnectionString;
}

try
{
    await using var context = HomeEnergyContext.Create(connectionString);

    // Migrations/ was written by `dotnet ef migrations add Initial` (four tables, indexes, migrationBuilder.CreateHypertable(...))
    // and `dotnet ef migrations add SeedJsonDefaults` (the seed's '{}' defaults), then ColumnstoreAndRetention and
    // ContinuousAggregates (metrics_hourly and metrics_daily, their policies and retention).
    await context.Database.MigrateAsync();

    // The seed's sample data is "the last days up to now": a month ending at today's midnight (UTC) on the first run,
    // so the columnstore (7 days) and retention (90 days) policies have something to do. A re-run finds that month
    // stored and writes the same rows again, so it adds nothing whatever the date.
    var firstStored = await context.Metrics.Where(m => m.DeviceId == Household.Devices[0].DeviceId).MinAsync(m => (DateTime?)m.Time);
    var household = new Household(firstStored ?? DateTime.UtcNow.Date.AddDays(-30), days: 30, seed: 42);

    // The policies wait while the sample loads and converts: the scheduler (on a server that has one) must not
    // convert or drop a chunk while rows go into it.
    var columnstorePolicy = context.PolicyOf<Metric>(JobKind.Columnstore);
    var retentionPolicy = context.PolicyOf<Metric>(JobKind.Retention);
    await context.Database.Timescale().PauseJobAsync(columnstorePolicy);
    await context.Database.Timescale().PauseJobAsync(retentionPolicy);

    await context.BulkUpsertAsync(Household.Devices, c => c.OnPrimaryKey().DoNothing());
    await context.BulkUpsertAsync(Household.Users, c => c.OnPrimaryKey().DoNothing());
    await context.BulkUpsertAsync(Household.RateSchedules, c => c.OnPrimaryKey().DoNothing());

    // The metrics table has no primary key; its natural key (device, type, time) is a unique index, the conflict target.
    var clock = Stopwatch.StartNew();
    var result = await context.BulkUpsertAsync(household.Metrics(), c => c.On(m => new { m.DeviceId, m.MetricType, m.Time }).DoNothing());
    var ingestTime = clock.Elapsed;

    // Seed task 8's retention test: a metric 100 days old, the retention policy run by hand, nothing older than 90
    // days left.
    await context.BulkUpsertAsync(new[]
    {
        new Device { DeviceId = "old-device", Name = "Retired plug", Type = "smart_plug", Location = "{}", Capabilities = ["power_monitoring"], Configuration = "{}" },
    }, c => c.OnPrimaryKey().DoNothing());
    await context.BulkInsertAsync(new[] { new Metric { Time = DateTime.UtcNow.AddDays(-100), DeviceId = "old-device", MetricType = "power", Value = 100, Unit = "watts" } });
    var beforeRetention = await context.Metrics.LongCountAsync(m => m.Time < DateTime.UtcNow.AddDays(-90));
    await context.Database.Timescale().RunJobAsync(retentionPolicy);
    var afterRetention = await context.Metrics.LongCountAsync(m => m.Time < DateTime.UtcNow.AddDays(-90));
    await context.Devices.Where(d => d.DeviceId == "old-device").ExecuteDeleteAsync();

    // The aggregates' refresh policies keep the last hours and days up to date; the month just loaded is materialized
    // now, by hand (a re-run recomputes the same buckets from the same rows).
    clock.Restart();
    await context.RefreshContinuousAggregateAsync<HourlyMetric>(household.Start, household.End);
    await context.RefreshContinuousAggregateAsync<DailyMetric>(household.Start, household.End);
    var refreshTime = clock.Elapsed;
    var hourlyBuckets = await context.HourlyMetrics.LongCountAsync();
    var dailyBuckets = await context.DailyMetrics.LongCountAsync();

    // After the load, everything older than the policy's 7 days goes into the columnstore now; then the policies resume.
    var converted = await context.Database.ConvertChunksToColumnstoreAsync<Metric>(HomeEnergyContext.CompressAfter);
    await context.Database.Timescale().ResumeJobAsync(columnstorePolicy);
    await context.Database.Timescale().ResumeJobAsync(retentionPolicy);

    // Seed test 1 and "bulk insert of 1000 metrics < 1 s", in a transaction that is rolled back: a test device, 1000
    // metrics, read back, then the device deleted and its metrics gone with it (ON DELETE CASCADE).
    long testInserted, testReadBack, testDefaultTags, testAfterCascade;
    TimeSpan testInsertTime;
    await using (var transaction = await context.Database.BeginTransactionAsync())
    {
        await context.BulkInsertAsync(new[]
        {
            new Device
            {
                DeviceId = "test-device", Name = "Test device", Type = "smart_plug", Location = "{}", Capabilities = ["power_monitoring"], Configuration = "{}",
            },
        });
        var testMetrics = Enumerable.Range(0, 1000).Select(i => new Metric
        {
            Time = household.End.AddSeconds(i), DeviceId = "test-device", MetricType = "power", Value = 100 + (i % 50), Unit = "watts",
        });
        clock.Restart();
        testInserted = await context.BulkInsertAsync(testMetrics);
        testInsertTime = clock.Elapsed;
        testReadBack = await context.Metrics.LongCountAsync(m => m.DeviceId == "test-device");
        // The test metrics set no tags: the column's server default '{}' fills them, as SaveChanges would.
        testDefaultTags = await context.Metrics.LongCountAsync(m => m.DeviceId == "test-device" && m.Tags == "{}");
        await context.Devices.Where(d => d.DeviceId == "test-device").ExecuteDeleteAsync();
        testAfterCascade = await context.Metrics.LongCountAsync(m => m.DeviceId == "test-device");
        await transaction.RollbackAsync();
    }

    // Seed test 2: average power per device over the last 24 hours (of the sample month), in LINQ.
    var dayBefore = household.End.AddDays(-1);
    var lastDay = context.Metrics
        .Where(m => m.Time >= dayBefore && m.Time < household.End && m.MetricType == "power")
        .GroupBy(m => m.DeviceId)
        .Select(g => new { DeviceId = g.Key, Average = g.Average(m => m.Value), Peak = g.Max(m => m.Value), Samples = g.Count() })
        .OrderBy(a => a.DeviceId);
    var averages = await lastDay.ToListAsync();
    var dayQueryTime = await TimeAsync(() => lastDay.ToListAsync());

    var weekStart = household.End.AddDays(-7);
    var lastWeek = context.Metrics
        .Where(m => m.Time >= weekStart && m.Time < household.End && m.MetricType == "power")
        .GroupBy(m => m.DeviceId)
        .Select(g => new { DeviceId = g.Key, Average = g.Average(m => m.Value), Samples = g.Count() });
    await lastWeek.ToListAsync();
    var weekQueryTime = await TimeAsync(() => lastWeek.ToListAsync());
    var power = new Table().Title($"Power, 24 hours to {household.End:yyyy-MM-dd HH:mm}").Border(TableBorder.Rounded);
    power.AddColumn("device");
    power.AddColumn(new TableColumn("avg W").RightAligned());
    power.AddColumn(new TableColumn("peak W").RightAligned());
    power.AddColumn(new TableColumn("samples").RightAligned());
    foreach (var average in averages)
    {
        power.AddRow(average.DeviceId, average.Average.ToString("N1", CultureInfo.InvariantCulture),
            average.Peak.ToString("N0", CultureInfo.InvariantCulture), average.Samples.ToString(CultureInfo.InvariantCulture));
    }

    AnsiConsole.Write(power);

    // Seed query test 3, in LINQ over the metrics_hourly continuous aggregate: the office plug's hours of the last 7 days
    // (of the sample month, so re-runs print the same), newest first.
    var weekBefore = household.End.AddDays(-7);
    const string office = "shelly-plug-office-01";
    var officeHours = await context.HourlyMetrics
        .Where(h => h.DeviceId == office && h.Hour > weekBefore && h.Hour < household.End)
        .OrderByDescending(h => h.Hour).ThenBy(h => h.MetricType)
        .Select(h => new { h.Hour, h.DeviceId, h.MetricType, h.AvgValue })
        .ToListAsync();
    var newestPower = officeHours.First(h => h.MetricType == "power");
    Console.WriteLine(FormattableString.Invariant($"Query test 3: {officeHours.Count} rows of metrics_hourly for {office} in the last 7 days; newest hour {newestPower.Hour:yyyy-MM-dd HH:mm}, avg power {newestPower.AvgValue:0.0} W."));

    // The seed's "spot check values": one hour and one day of the aggregates against the same computation in C# over
    // the raw metrics.
    Console.WriteLine(await SpotCheckAsync(context, office, household.End));

    // The daily energy per device from metrics_daily: the seed's "aggregate query" criterion.
    var dailyQuery = context.DailyMetrics
        .Where(d => d.MetricType == "energy" && d.Day >= weekBefore && d.Day < household.End)
        .Select(d => new { d.Day, d.DeviceId, Kwh = d.TotalEnergy });
    var daily = await dailyQuery.ToListAsync();
    var aggregateQueryTime = await TimeAsync(() => dailyQuery.ToListAsync());
    var devices = Household.Devices.Select(d => d.DeviceId).ToArray();
    var energy = new Table().Title("Energy per day (kWh), last 7 days").Border(TableBorder.Rounded);
    energy.AddColumn("day");
    foreach (var device in devices)
    {
        energy.AddColumn(new TableColumn(device.Split('-')[0]).RightAligned());
    }

    var kwh = daily.ToDictionary(d => (d.Day, d.DeviceId), d => d.Kwh);
    foreach (var day in daily.Select(d => d.Day).Distinct().Order())
    {
        energy.AddRow(devices.Select(d => kwh[(day, d)].ToString("0.00", CultureInfo.InvariantCulture))
            .Prepend(day.ToString("MM-dd ddd", CultureInfo.InvariantCulture)).ToArray());
    }

    AnsiConsole.Write(energy);

    // Seed task 4: the table is a hypertable with 7-day chunks, and the month spans several of them.
    var hypertable = await context.Database.SqlQuery<HypertableInfo>($"""
        SELECT d.time_interval AS chunk_interval,
               (SELECT count(*) FROM timescaledb_information.chunks c
                WHERE c.hypertable_schema = d.hypertable_schema AND c.hypertable_name = d.hypertable_name) AS chunks
        FROM timescaledb_information.dimensions d
        WHERE d.hypertable_schema = {HomeEnergyContext.Schema} AND d.hypertable_name = 'metrics'
        """).SingleAsync();
    // Seed query test 4: the compression ratio, from the catalog through the Hourglass library (the seed's view,
    // timescaledb_information.compressed_chunk_stats, was removed in TimescaleDB 2.0).
    var metrics = await context.Database.Timescale().GetHypertableAsync($"{HomeEnergyContext.Schema}.metrics");
    var stats = metrics.ColumnstoreStats!;
    Console.WriteLine(FormattableString.Invariant($"Query test 4: columnstore segmentby {metrics.ColumnstoreSettings?.SegmentByText}, orderby {metrics.ColumnstoreSettings?.OrderByText}; {converted.Count} chunks converted now, {stats.ConvertedChunks} of {metrics.ChunkCount} in the columnstore; {stats.BeforeBytes / 1024.0:N0} kB before, {stats.AfterBytes / 1024.0:N0} kB after: compression_ratio {stats.Savings * 100:0.00}% (seed: > 70%)."));

    // Seed query test 5, verbatim, then the same jobs typed through the Hourglass library.
    var seedJobs = await context.Database.SqlQuery<SeedJob>($"""
        SELECT * FROM timescaledb_information.jobs
        WHERE proc_name IN ('policy_compression', 'policy_retention');
        """).ToListAsync();
    // The jobs of the sample's hypertable and aggregates, typed through the Hourglass library (which names an aggregate's
    // policies after the aggregate, not its internal hypertable, on every TimescaleDB version).
    var jobs = (await context.JobsAsync<Metric>()).Concat(await context.JobsAsync<HourlyMetric>()).Concat(await context.JobsAsync<DailyMetric>()).ToList();
    Console.WriteLine($"Query test 5: {seedJobs.Count(j => jobs.Any(job => job.Id == j.JobId))} policy jobs of {HomeEnergyContext.Schema} in timescaledb_information.jobs.");
    foreach (var job in jobs)
    {
        Console.WriteLine(FormattableString.Invariant($"  {job.Kind} policy of {job.Relation}: {ConfigWithoutIds(job.Config)}, every {job.ScheduleIntervalText}{(job.Scheduled ? "" : " (paused)")}."));
    }

    // The aggregates as the catalog has them: source, real-time or not, how far they are materialized, and the
    // aggregate functions of the query EF Core wrote for them.
    foreach (var name in new[] { "metrics_hourly", "metrics_daily" })
    {
        var aggregate = await context.Database.Timescale().GetContinuousAggregateAsync($"{HomeEnergyContext.Schema}.{name}");
        var functions = System.Text.RegularExpressions.Regex.Matches(aggregate.Definition, @"\b(avg|min|max|count|sum|percentile_cont)\(")
            .Select(m => m.Groups[1].Value).Distinct();
        Console.WriteLine(FormattableString.Invariant($"Aggregate {aggregate.QualifiedName} on {aggregate.SourceSchema}.{aggregate.SourceName}: materialized only {(aggregate.MaterializedOnly ? "yes" : "no")}, columnstore {(aggregate.ColumnstoreEnabled ? "on" : "off")}, materialized up to {aggregate.Watermark?.UtcDateTime:yyyy-MM-dd HH:mm}, functions {string.Join(", ", functions)}."));
    }

    Console.WriteLine(FormattableString.Invariant($"Continuous aggregates: metrics_hourly holds {hourlyBuckets:N0} buckets, metrics_daily {dailyBuckets:N0}, the sample month refreshed in {refreshTime.TotalSeconds:0.0} s."));

    Console.WriteLine(FormattableString.Invariant($"Retention: {beforeRetention} metric older than 90 days before the retention policy ran, {afterRetention} after."));

    var stored = await context.Metrics.LongCountAsync();
    var distinctKeys = await context.Metrics.Select(m => new { m.DeviceId, m.MetricType, m.Time }).Distinct().LongCountAsync();
    var tagged = await context.Metrics.LongCountAsync(m => m.Tags != "{}");

    var databaseBytes = await DatabaseSizeAsync(context);
    Console.WriteLine("Performance (measured on this machine, each against the seed's target):");
    Console.WriteLine(FormattableString.Invariant($"  24 h query: {dayQueryTime.TotalMilliseconds:0.0} ms (target < 50 ms)"));
    Console.WriteLine(FormattableString.Invariant($"  7-day query: {weekQueryTime.TotalMilliseconds:0.0} ms (target < 500 ms)"));
    Console.WriteLine(FormattableString.Invariant($"  aggregate query: {aggregateQueryTime.TotalMilliseconds:0.0} ms (target < 20 ms; a week of metrics_daily)"));
    Console.WriteLine(FormattableString.Invariant($"  1,000-row insert: {testInsertTime.TotalMilliseconds:0.0} ms (target < 1000 ms)"));
    Console.WriteLine(FormattableString.Invariant($"  compression: {stats.Savings * 100:0.0}% (target > 70%)"));
    Console.WriteLine(FormattableString.Invariant($"  database size: {databaseBytes / 1024.0 / 1024.0:0.0} MB (target < 100 MB)"));
    Console.WriteLine(FormattableString.Invariant($"Bulk insert of {testInserted:N0} metrics: {testInsertTime.TotalMilliseconds:N0} ms (seed target: under 1 s); read back {testReadBack:N0} ({testDefaultTags:N0} with the default tags {{}}); after deleting the device (ON DELETE CASCADE): {testAfterCascade}; rolled back."));
    Console.WriteLine(FormattableString.Invariant($"Ingested {result.Total:N0} metrics of {Household.Devices.Count} devices into hypertable aetherlens.metrics ({hypertable.Chunks} chunks of {hypertable.ChunkInterval.TotalDays:0} days) in {ingestTime.TotalSeconds:0.0} s: {result.Inserted:N0} new, {result.Skipped:N0} already there."));
    Console.WriteLine(FormattableString.Invariant($"metrics holds {stored:N0} rows, {distinctKeys:N0} distinct (device, type, time) keys, {tagged:N0} with the tags the ingest set."));
    Console.WriteLine(result.Inserted == 0
        ? "Every metric was already there: re-running the ingest changed nothing."
        : "Run it again: ON CONFLICT (device_id, metric_type, time) DO NOTHING skips every metric that is already stored.");
    var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
    Console.WriteLine($"Server: {builder.Host}:{builder.Port}, database {builder.Database}, schema {HomeEnergyContext.Schema}.");
    if (embedded is not null)
    {
        Console.WriteLine(embedded.DataDirectory is null
            ? $"The embedded TimescaleDB {embedded.TimescaleDbVersion} kept the data in a temporary folder, deleted on exit; pass --data DIR to keep it."
            : $"The embedded TimescaleDB {embedded.TimescaleDbVersion} keeps the data in {embedded.DataDirectory}.");
    }
}
finally
{
    if (embedded is not null)
    {
        await embedded.DisposeAsync();
    }
}

static async Task<long> DatabaseSizeAsync(HomeEnergyContext context)
{
    await context.Database.OpenConnectionAsync();
    try
    {
        await using var command = context.Database.GetDbConnection().CreateCommand();
        command.CommandText = "SELECT pg_database_size(current_database())";
        return (long)(await command.ExecuteScalarAsync())!;
    }
    finally
    {
        await context.Database.CloseConnectionAsync();
    }
}

// The hourly and daily buckets of the device's last power hour and day, against the raw metrics.
static async Task<string> SpotCheckAsync(HomeEnergyContext context, string device, DateTime end)
{
    var hour = end.AddHours(-1);
    var day = end.AddDays(-1);
    var hourly = await context.HourlyMetrics.SingleAsync(h => h.DeviceId == device && h.MetricType == "power" && h.Hour == hour);
    var daily = await context.DailyMetrics.SingleAsync(d => d.DeviceId == device && d.MetricType == "energy" && d.Day == day);
    var hourValues = await context.Metrics.Where(m => m.DeviceId == device && m.MetricType == "power" && m.Time >= hour && m.Time < end).Select(m => m.Value).ToListAsync();
    var dayValues = await context.Metrics.Where(m => m.DeviceId == device && m.MetricType == "energy" && m.Time >= day && m.Time < end).Select(m => m.Value).ToListAsync();
    var mismatches = new List<string>();
    Compare("hourly avg", hourValues.Average(), hourly.AvgValue);
    Compare("hourly min", hourValues.Min(), hourly.MinValue);
    Compare("hourly max", hourValues.Max(), hourly.MaxValue);
    Compare("hourly count", hourValues.Count, hourly.SampleCount);
    Compare("hourly energy", 0, hourly.TotalEnergy);
    Compare("hourly p95", PercentileCont(hourValues, 0.95), hourly.P95Value);
    Compare("daily avg", dayValues.Average(), daily.AvgValue);
    Compare("daily min", dayValues.Min(), daily.MinValue);
    Compare("daily max", dayValues.Max(), daily.MaxValue);
    Compare("daily energy", dayValues.Sum(), daily.TotalEnergy);
    Compare("daily median", PercentileCont(dayValues, 0.5), daily.MedianValue);
    return mismatches.Count == 0
        ? FormattableString.Invariant($"Spot check: {device}'s power hour {hour:HH:mm} ({hourValues.Count} samples, p95 {hourly.P95Value:0.0} W) and energy day {day:yyyy-MM-dd} ({daily.TotalEnergy:0.000} kWh, median {daily.MedianValue:0.00000}) equal the raw metrics.")
        : $"Spot check FAILED: {string.Join("; ", mismatches)}.";

    void Compare(string what, double expected, double actual)
    {
        if (Math.Abs(expected - actual) > 1e-9 * Math.Max(1, Math.Abs(expected)))
        {
            mismatches.Add(FormattableString.Invariant($"{what} {actual} in the aggregate, {expected} from the raw metrics"));
        }
    }
}

// PostgreSQL's percentile_cont: linear interpolation between the two values around fraction * (n - 1).
static double PercentileCont(List<double> values, double fraction)
{
    var sorted = values.Order().ToList();
    var position = fraction * (sorted.Count - 1);
    var below = (int)Math.Floor(position);
    var above = (int)Math.Ceiling(position);
    return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
}

// A refresh policy's config names the internal materialization hypertable by id; the rest is the policy.
static string? ConfigWithoutIds(string? config) =>
    config is null ? null : System.Text.RegularExpressions.Regex.Replace(config, @"""(mat_)?hypertable_id"": \d+, ?|, ?""(mat_)?hypertable_id"": \d+", "");

static async Task<TimeSpan> TimeAsync<T>(Func<Task<T>> query)
{
    var clock = Stopwatch.StartNew();
    await query();
    return clock.Elapsed;
}

/// <summary>The columns of timescaledb_information.jobs the sample reads (the seed selects them all).</summary>
internal sealed record SeedJob(int JobId, string ProcName, string? HypertableSchema, string? HypertableName);

/// <summary>The metrics hypertable's time dimension and chunk count, from timescaledb_information.</summary>
internal sealed record HypertableInfo(TimeSpan ChunkInterval, long Chunks);
