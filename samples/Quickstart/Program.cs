// Quickstart: a hypertable declared in an EF Core model and created by its migration, one day of minute
// readings for 10 devices ingested with one idempotent bulk call, and hourly averages per device.
//
//   dotnet run --project samples/Quickstart                 # embedded TimescaleDB, temporary data
//   dotnet run --project samples/Quickstart -- --data DIR   # embedded, kept in DIR (run it twice: nothing is duplicated)
//   HOURGLASS_CONNECTION="Host=...;..." dotnet run --project samples/Quickstart   # your own server
using System.Globalization;
using Hourglass.Embedded;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Quickstart;
using Spectre.Console;

const int Devices = 10;
var day = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

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
    await using var context = QuickstartContext.Create(connectionString);

    // The migration in Migrations/ was written by `dotnet ef migrations add`: migrationBuilder.CreateHypertable(...).
    await context.Database.MigrateAsync();

    var readings = Enumerable.Range(0, 24 * 60).SelectMany(minute => Enumerable.Range(1, Devices).Select(device => new Reading
    {
        Time = day.AddMinutes(minute),
        DeviceId = device,
        Temperature = Temperature(device, minute),
    }));

    // Binary COPY into a staging table, then INSERT ... ON CONFLICT DO NOTHING: re-running adds nothing.
    var result = await context.BulkUpsertAsync(readings, conflict => conflict.OnPrimaryKey().DoNothing());

    var averages = await context.Database.SqlQuery<HourlyAverage>($"""
        SELECT time_bucket(INTERVAL '1 hour', time) AS "Hour", device_id AS "DeviceId", avg(temperature) AS "Temperature"
        FROM quickstart_readings
        GROUP BY 1, 2
        """).ToDictionaryAsync(a => (a.Hour, a.DeviceId), a => a.Temperature);

    var table = new Table().Title($"Hourly average temperature (°C) per device, {day:yyyy-MM-dd} UTC").Border(TableBorder.Rounded);
    table.AddColumn("hour");
    for (var device = 1; device <= Devices; device++)
    {
        table.AddColumn(new TableColumn($"#{device}").RightAligned());
    }

    foreach (var hour in averages.Keys.Select(k => k.Hour).Distinct().Order())
    {
        table.AddRow(Enumerable.Range(1, Devices)
            .Select(device => averages[(hour, device)].ToString("0.0", CultureInfo.InvariantCulture))
            .Prepend(hour.ToString("HH:mm", CultureInfo.InvariantCulture)).ToArray());
    }

    AnsiConsole.Write(table);

    var chunks = await context.Database
        .SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM timescaledb_information.chunks WHERE hypertable_name = 'quickstart_readings'")
        .SingleAsync();
    var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
    Console.WriteLine($"Ingested {result.Inserted + result.Skipped:N0} readings into hypertable quickstart_readings ({chunks} chunks of 6 hours): {result.Inserted:N0} new, {result.Skipped:N0} already there.");
    Console.WriteLine($"Server: {builder.Host}:{builder.Port}, database {builder.Database}.");
    if (embedded is not null)
    {
        if (embedded.DataDirectory is null)
        {
            Console.WriteLine($"The embedded TimescaleDB {embedded.TimescaleDbVersion} kept the data in a temporary folder, deleted on exit; pass --data DIR to keep it.");
        }
        else
        {
            Console.WriteLine($"The embedded TimescaleDB {embedded.TimescaleDbVersion} keeps the data in {embedded.DataDirectory}.");
        }
    }
}
finally
{
    if (embedded is not null)
    {
        await embedded.DisposeAsync();
    }
}

static double Temperature(int device, int minute) =>
    18 + device * 0.5 + 4 * Math.Sin((minute - 6 * 60) / (24.0 * 60) * 2 * Math.PI) + (minute * 7919 + device * 104729) % 100 / 200.0;
