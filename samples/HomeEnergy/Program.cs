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
    // and `dotnet ef migrations add SeedJsonDefaults` (the seed's '{}' defaults).
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

    // Seed test 3 reads the hourly/daily continuous aggregates; until those land in Hourglass, time_bucket over the raw
    // metrics through SqlQuery (snake_case aliases: the naming convention applies to SqlQuery results too).
    var weekBefore = household.End.AddDays(-7);
    var dailyQuery = context.Database.SqlQuery<DailyEnergy>($"""
        SELECT time_bucket(INTERVAL '1 day', time) AS day, device_id, sum(value) AS kwh
        FROM aetherlens.metrics
        WHERE metric_type = 'energy' AND time >= {weekBefore} AND time < {household.End}
        GROUP BY 1, 2
        """);
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
    Console.WriteLine(FormattableString.Invariant($"Query test 4: columnstore segmentby {metrics.ColumnstoreSettings?.SegmentBy}, orderby {metrics.ColumnstoreSettings?.OrderBy}; {converted.Count} chunks converted now, {stats.ConvertedChunks} of {metrics.ChunkCount} in the columnstore; {stats.BeforeBytes / 1024.0:N0} kB before, {stats.AfterBytes / 1024.0:N0} kB after: compression_ratio {stats.Savings * 100:0.00}% (seed: > 70%)."));

    // Seed query test 5, verbatim, then the same jobs typed through the Hourglass library.
    var seedJobs = await context.Database.SqlQuery<SeedJob>($"""
        SELECT * FROM timescaledb_information.jobs
        WHERE proc_name IN ('policy_compression', 'policy_retention');
        """).ToListAsync();
    Console.WriteLine($"Query test 5: {seedJobs.Count(j => j.HypertableSchema == HomeEnergyContext.Schema)} policy jobs on {HomeEnergyContext.Schema} in timescaledb_information.jobs.");
    foreach (var job in (await context.JobsAsync<Metric>()).OrderBy(j => j.Kind))
    {
        Console.WriteLine(FormattableString.Invariant($"  {job.Kind} policy of {job.Relation}: {job.Config}, every {job.ScheduleIntervalText}{(job.Scheduled ? "" : " (paused)")}."));
    }

    Console.WriteLine(FormattableString.Invariant($"Retention: {beforeRetention} metric older than 90 days before the retention policy ran, {afterRetention} after."));

    var stored = await context.Metrics.LongCountAsync();
    var distinctKeys = await context.Metrics.Select(m => new { m.DeviceId, m.MetricType, m.Time }).Distinct().LongCountAsync();
    var tagged = await context.Metrics.LongCountAsync(m => m.Tags != "{}");

    var databaseBytes = await DatabaseSizeAsync(context);
    Console.WriteLine("Performance (measured on this machine, each against the seed's target):");
    Console.WriteLine(FormattableString.Invariant($"  24 h query: {dayQueryTime.TotalMilliseconds:0.0} ms (target < 50 ms)"));
    Console.WriteLine(FormattableString.Invariant($"  7-day query: {weekQueryTime.TotalMilliseconds:0.0} ms (target < 500 ms)"));
    Console.WriteLine(FormattableString.Invariant($"  aggregate query: {aggregateQueryTime.TotalMilliseconds:0.0} ms (target < 20 ms; time_bucket over the raw metrics)"));
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
