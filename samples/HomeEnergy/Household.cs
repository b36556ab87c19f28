namespace HomeEnergy;

/// <summary>
/// A seeded-random month of a household's metrics: every five minutes, each device's power (W) and the energy of the
/// interval (kWh). Same seed, same rows, so a re-run finds every row already stored.
/// </summary>
public sealed class Household(DateTime start, int days, int seed)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    public DateTime Start { get; } = start;

    public DateTime End { get; } = start.AddDays(days);

    public static IReadOnlyList<Device> Devices { get; } =
    [
        new()
        {
            DeviceId = "shelly-plug-office-01", Name = "Office Desk Plug", Type = "smart_plug", Manufacturer = "Shelly", Model = "Plug S",
            Location = """{"room": "office", "floor": 2}""", Capabilities = ["power_monitoring", "on_off_control"],
            Configuration = """{"ip_address": "192.168.1.100", "polling_interval": 30}""",
        },
        new()
        {
            DeviceId = "tp-link-living-room", Name = "Living Room Lamp", Type = "smart_plug", Manufacturer = "TP-Link", Model = "HS110",
            Location = """{"room": "living_room", "floor": 1}""", Capabilities = ["power_monitoring", "on_off_control"],
            Configuration = """{"ip_address": "192.168.1.101", "polling_interval": 60}""",
        },
        new()
        {
            DeviceId = "solar-inverter-01", Name = "Rooftop Solar Inverter", Type = "solar_inverter", Manufacturer = "Enphase", Model = "IQ7+",
            Location = """{"room": "garage", "floor": 1}""", Capabilities = ["power_generation", "energy_metering"],
            Configuration = """{"ip_address": "192.168.1.102", "polling_interval": 300}""",
        },
        new()
        {
            DeviceId = "ecobee-hallway", Name = "Hallway Thermostat (heat pump)", Type = "thermostat", Manufacturer = "ecobee", Model = "Premium",
            Location = """{"room": "hallway", "floor": 1}""", Capabilities = ["power_monitoring", "temperature"],
            Configuration = """{"ip_address": "192.168.1.103", "polling_interval": 300}""",
        },
        new()
        {
            DeviceId = "wallbox-garage", Name = "EV Charger", Type = "ev_charger", Manufacturer = "Wallbox", Model = "Pulsar Plus",
            Location = """{"room": "garage", "floor": 1}""", Capabilities = ["power_monitoring", "scheduling"],
            Configuration = """{"ip_address": "192.168.1.104", "polling_interval": 60}""",
        },
    ];

    public static IReadOnlyList<User> Users { get; } =
    [
        new() { UserId = "usr-001", Username = "admin", Email = "admin@aetherlens.local", Role = "admin", Preferences = """{"timezone": "America/Los_Angeles", "currency": "USD", "theme": "dark"}""" },
        new() { UserId = "usr-002", Username = "viewer", Email = "viewer@aetherlens.local", Role = "viewer", Preferences = """{"timezone": "America/Los_Angeles", "currency": "USD", "theme": "light"}""" },
    ];

    public static IReadOnlyList<RateSchedule> RateSchedules { get; } =
    [
        new()
        {
            RateId = "test-tou-schedule", Provider = "Sample Utility", PlanName = "Time-of-Use", EffectiveDate = new DateOnly(2024, 1, 1),
            Currency = "USD", TimeZone = "America/Los_Angeles",
            RateStructure = """{"type": "time_of_use", "periods": [{"name": "peak", "rate": 0.42, "days": ["weekday"], "hours": "16:00-21:00"}, {"name": "off_peak", "rate": 0.24, "days": ["all"], "hours": "00:00-15:59,21:00-23:59"}]}""",
        },
    ];

    /// <summary>Power and interval energy of every device, every five minutes.</summary>
    public IEnumerable<Metric> Metrics()
    {
        var random = new Random(seed);
        var cloudiness = Enumerable.Range(0, (int)(End - Start).TotalDays + 1).Select(_ => random.NextDouble()).ToArray();
        foreach (var device in Devices)
        {
            var tags = $$"""{"room": "{{device.Location.Split('"')[3]}}", "type": "{{device.Type}}"}""";
            var on = false;
            for (var time = Start; time < End; time += Interval)
            {
                var watts = Power(device.DeviceId, time, random, cloudiness[(int)(time - Start).TotalDays], ref on);
                yield return new Metric { Time = time, DeviceId = device.DeviceId, MetricType = "power", Value = Math.Round(watts, 1), Unit = "watts", Tags = tags };
                yield return new Metric { Time = time, DeviceId = device.DeviceId, MetricType = "energy", Value = Math.Round(watts * Interval.TotalHours / 1000, 5), Unit = "kWh", Tags = tags };
            }
        }
    }

    // Local time in Los Angeles is UTC-7 in summer; close enough for a household's rhythm.
    private static double Power(string device, DateTime utc, Random random, double cloudiness, ref bool on)
    {
        var local = utc.AddHours(-7);
        var hour = local.Hour + (local.Minute / 60.0);
        var weekday = local.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);
        switch (device)
        {
            case "shelly-plug-office-01":
                return weekday && hour is >= 8.5 and < 17.5 ? 110 + (random.NextDouble() * 50) : 4 + random.NextDouble();
            case "tp-link-living-room":
                return hour is >= 18.5 and < 23 ? 60 + (random.NextDouble() * 2) : 0.5;
            case "solar-inverter-01":
                var sun = Math.Sin((hour - 6) / 14 * Math.PI);
                return sun <= 0 ? 0 : 3_600 * sun * (1 - (0.6 * cloudiness)) * (0.9 + (random.NextDouble() * 0.1));
            case "ecobee-hallway":
                // The heat pump cycles: more often in the afternoon heat.
                var duty = 0.15 + (0.35 * Math.Max(0, Math.Sin((hour - 9) / 12 * Math.PI)));
                on = on ? random.NextDouble() > 0.3 : random.NextDouble() < duty * 0.4;
                return on ? 2_400 + (random.NextDouble() * 300) : 8;
            default:
                // The car charges at 7.2 kW after midnight on weeknights, off-peak.
                return weekday && hour is >= 0.5 and < 3.5 ? 7_200 * (0.97 + (random.NextDouble() * 0.03)) : 2;
        }
    }
}
