// Quickstart: a hypertable, one day of minute readings for 10 devices, hourly averages per device.
//
//   dotnet run --project samples/Quickstart                 # embedded TimescaleDB, temporary data
//   dotnet run --project samples/Quickstart -- --data DIR   # embedded, kept in DIR
//   HOURGLASS_CONNECTION="Host=...;..." dotnet run --project samples/Quickstart   # your own server
using System.Globalization;
using Hourglass.Embedded;
using Npgsql;
using NpgsqlTypes;
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
    await using var dataSource = NpgsqlDataSource.Create(connectionString);
    await using var connection = await dataSource.OpenConnectionAsync();

    await Execute(connection, """
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        DROP TABLE IF EXISTS quickstart_readings;
        CREATE TABLE quickstart_readings (
            time        timestamptz      NOT NULL,
            device_id   int              NOT NULL,
            temperature double precision NOT NULL);
        SELECT create_hypertable('quickstart_readings', by_range('time', INTERVAL '6 hours'));
        """);

    ulong written;
    await using (var import = await connection.BeginBinaryImportAsync("COPY quickstart_readings (time, device_id, temperature) FROM STDIN (FORMAT BINARY)"))
    {
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            for (var device = 1; device <= Devices; device++)
            {
                await import.StartRowAsync();
                await import.WriteAsync(day.AddMinutes(minute), NpgsqlDbType.TimestampTz);
                await import.WriteAsync(device, NpgsqlDbType.Integer);
                await import.WriteAsync(Temperature(device, minute), NpgsqlDbType.Double);
            }
        }

        written = await import.CompleteAsync();
    }

    var averages = new Dictionary<(DateTime Hour, int Device), double>();
    await using (var command = new NpgsqlCommand("""
        SELECT time_bucket(INTERVAL '1 hour', time) AS hour, device_id, avg(temperature)
        FROM quickstart_readings GROUP BY hour, device_id ORDER BY hour, device_id
        """, connection))
    await using (var reader = await command.ExecuteReaderAsync())
    {
        while (await reader.ReadAsync())
        {
            averages[(reader.GetDateTime(0), reader.GetInt32(1))] = reader.GetDouble(2);
        }
    }

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

    var chunks = await Scalar<long>(connection, "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'quickstart_readings'");
    var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
    AnsiConsole.MarkupLineInterpolated($"Wrote [green]{written:N0}[/] readings into hypertable [blue]quickstart_readings[/] ({chunks} chunks of 6 hours).");
    AnsiConsole.MarkupLineInterpolated($"Server: {builder.Host}:{builder.Port}, database {builder.Database}.");
    if (embedded is not null)
    {
        if (embedded.DataDirectory is null)
        {
            AnsiConsole.MarkupLineInterpolated($"The embedded TimescaleDB {embedded.TimescaleDbVersion} kept the data in a temporary folder, deleted on exit; pass --data DIR to keep it.");
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"The embedded TimescaleDB {embedded.TimescaleDbVersion} keeps the data in {embedded.DataDirectory}.");
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

static async Task Execute(NpgsqlConnection connection, string sql)
{
    await using var command = new NpgsqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}

static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql)
{
    await using var command = new NpgsqlCommand(sql, connection);
    return (T)(await command.ExecuteScalarAsync())!;
}
