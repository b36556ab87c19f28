namespace MeteoScore;

/// <summary>
/// A seeded-random season at one site: every three hours an observation of wind speed, wind direction and temperature,
/// and for each model and horizon the forecast it had made, with errors that grow with the horizon. The same seed gives
/// the same rows, so a re-run finds every deviation already stored.
/// </summary>
public sealed class ForecastHistory(DateTime start, int days, int seed)
{
    public static readonly int[] Horizons = [6, 12, 24, 48];

    public static Site Site { get; } = new() { Name = "Passy Plaine Joux", Latitude = 45.9167m, Longitude = 6.7000m, Altitude = 1360 };

    public static IReadOnlyList<ForecastModel> Models { get; } =
    [
        new() { Name = "AROME", Source = "Météo-France AROME operational model" },
        new() { Name = "Meteo-Parapente", Source = "meteo-parapente.com forecast service" },
    ];

    public static IReadOnlyList<Parameter> Parameters { get; } =
    [
        new() { Name = "Wind Speed", Unit = "km/h" },
        new() { Name = "Wind Direction", Unit = "degrees" },
        new() { Name = "Temperature", Unit = "°C" },
    ];

    public DateTime Start { get; } = start;

    public DateTime End { get; } = start.AddDays(days);

    public IEnumerable<Deviation> Deviations(int siteId, IReadOnlyDictionary<string, int> models, IReadOnlyDictionary<string, int> parameters)
    {
        var random = new Random(seed);
        var direction = 250.0;
        for (var time = Start; time < End; time = time.AddHours(3))
        {
            var hour = time.Hour + 2; // Alpine summer time, UTC+2
            var thermal = Math.Max(0, Math.Sin((hour - 8) / 12.0 * Math.PI));
            var day = (time - Start).TotalDays;
            var speed = Math.Max(0, 8 + (12 * thermal) + (Normal(random) * 4));
            direction = (direction + (Normal(random) * 25) + 360) % 360;
            var temperature = 10 + (day / 12) + (8 * thermal) + (Normal(random) * 1.5);
            foreach (var model in Models)
            {
                var arome = model.Name == "AROME";
                foreach (var horizon in Horizons)
                {
                    // AROME is sharper at short range; Meteo-Parapente overestimates the wind a little at every range.
                    var spread = (arome ? 0.8 : 1.1) * (1 + (horizon / 24.0));
                    yield return Row(time, siteId, models[model.Name], parameters["Wind Speed"], horizon,
                        Math.Max(0, speed + (arome ? 0 : 2) + (Normal(random) * 2.5 * spread)), speed, circular: false);
                    yield return Row(time, siteId, models[model.Name], parameters["Wind Direction"], horizon,
                        (direction + (Normal(random) * 18 * spread) + 360) % 360, direction, circular: true);
                    yield return Row(time, siteId, models[model.Name], parameters["Temperature"], horizon,
                        temperature + (arome ? -0.3 : 0.4) + (Normal(random) * 0.9 * spread), temperature, circular: false);
                }
            }
        }
    }

    private static Deviation Row(DateTime time, int site, int model, int parameter, int horizon, double forecast, double observed, bool circular)
    {
        var forecastValue = Math.Round((decimal)forecast, 2);
        var observedValue = Math.Round((decimal)observed, 2);
        var deviation = forecastValue - observedValue;
        if (circular)
        {
            // 350° forecast against 10° observed is 20° off, not 340°.
            deviation = deviation > 180 ? deviation - 360 : deviation < -180 ? deviation + 360 : deviation;
        }

        return new Deviation
        {
            Timestamp = time, SiteId = site, ModelId = model, ParameterId = parameter, Horizon = horizon,
            ForecastValue = forecastValue, ObservedValue = observedValue, Value = deviation,
        };
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
