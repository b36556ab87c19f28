namespace MacroTrading;

/// <summary>
/// A seeded-random year of data for the store: the same seed gives the same rows on every run, which is what makes a
/// re-run of the backfill a no-op.
/// </summary>
public sealed class MarketHistory(DateOnly from, DateOnly to, int seed)
{
    private static readonly (string Label, int Days)[] UsTreasuryTenors = [("3M", 91), ("6M", 182), ("1Y", 365), ("2Y", 730), ("5Y", 1825), ("10Y", 3650), ("30Y", 10950)];
    private static readonly (string Label, int Days)[] BrazilDiTenors = [("1M", 30), ("3M", 91), ("6M", 182), ("1Y", 365), ("2Y", 730), ("3Y", 1095), ("5Y", 1825), ("10Y", 3650)];
    private static readonly double[] Deltas = [0.10, 0.25, 0.50, 0.75, 0.90];
    private static readonly int[] VolTenors = [30, 60, 90, 180];

    public static IReadOnlyList<Instrument> Instruments { get; } =
    [
        new() { Ticker = "SPY", Name = "SPDR S&P 500 ETF", AssetClass = "equity", Country = "US", Currency = "USD" },
        new() { Ticker = "QQQ", Name = "Invesco QQQ Trust", AssetClass = "equity", Country = "US", Currency = "USD" },
        new() { Ticker = "EWZ", Name = "iShares MSCI Brazil ETF", AssetClass = "equity", Country = "BR", Currency = "USD" },
        new() { Ticker = "TLT", Name = "iShares 20+ Year Treasury Bond ETF", AssetClass = "rates", Country = "US", Currency = "USD" },
        new() { Ticker = "GLD", Name = "SPDR Gold Shares", AssetClass = "commodity", Country = "US", Currency = "USD" },
        new() { Ticker = "USDBRL", Name = "US dollar / Brazilian real", AssetClass = "fx", Country = "BR", Currency = "BRL" },
        new() { Ticker = "EURUSD", Name = "Euro / US dollar", AssetClass = "fx", Country = "EU", Currency = "USD" },
        new() { Ticker = "IBOV", Name = "Ibovespa index", AssetClass = "equity", Country = "BR", Currency = "BRL" },
    ];

    private static readonly Dictionary<string, (double Start, double Drift, double Vol)> Dynamics = new()
    {
        ["SPY"] = (590, 0.08, 0.16), ["QQQ"] = (515, 0.10, 0.21), ["EWZ"] = (23, 0.05, 0.28), ["TLT"] = (87, 0.00, 0.14),
        ["GLD"] = (240, 0.12, 0.15), ["USDBRL"] = (6.18, -0.03, 0.14), ["EURUSD"] = (1.035, 0.04, 0.07), ["IBOV"] = (120_000, 0.09, 0.20),
    };

    public static IReadOnlyList<DataSource> Sources { get; } =
    [
        new() { Name = "fred", BaseUrl = "https://api.stlouisfed.org/fred", AuthType = "api_key", RateLimitPerMinute = 120 },
        new() { Name = "bcb_sgs", BaseUrl = "https://api.bcb.gov.br/dados/serie", AuthType = "none", RateLimitPerMinute = 60 },
        new() { Name = "stn_tesouro", BaseUrl = "https://apidatalake.tesouro.gov.br", AuthType = "none", RateLimitPerMinute = 30 },
    ];

    public static IEnumerable<SeriesMetadata> Series(IReadOnlyDictionary<string, int> sources) =>
    [
        new() { SourceId = sources["fred"], SeriesCode = "PAYEMS", Name = "All employees, total nonfarm", Frequency = "monthly", Unit = "thousands", Country = "US" },
        new() { SourceId = sources["fred"], SeriesCode = "CPIAUCSL", Name = "Consumer price index, all urban", Frequency = "monthly", Unit = "index", Country = "US" },
        new() { SourceId = sources["fred"], SeriesCode = "UNRATE", Name = "Unemployment rate", Frequency = "monthly", Unit = "percent", Country = "US" },
        new() { SourceId = sources["bcb_sgs"], SeriesCode = "IPCA", Name = "IPCA monthly inflation", Frequency = "monthly", Unit = "percent", Country = "BR" },
        new() { SourceId = sources["bcb_sgs"], SeriesCode = "IBC_BR", Name = "Central bank economic activity index", Frequency = "monthly", Unit = "index", Country = "BR" },
        new() { SourceId = sources["bcb_sgs"], SeriesCode = "FX_FLOW", Name = "Foreign exchange flow", Frequency = "weekly", Unit = "USD millions", Country = "BR" },
        new() { SourceId = sources["fred"], SeriesCode = "TIC_NET", Name = "Net foreign purchases of US securities", Frequency = "weekly", Unit = "USD millions", Country = "US" },
        new() { SourceId = sources["stn_tesouro"], SeriesCode = "RTN", Name = "Central government primary result", Frequency = "monthly", Unit = "BRL millions", Country = "BR" },
        new() { SourceId = sources["fred"], SeriesCode = "MTS", Name = "Monthly treasury statement", Frequency = "monthly", Unit = "USD millions", Country = "US" },
    ];

    private IEnumerable<DateOnly> BusinessDays()
    {
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                yield return day;
            }
        }
    }

    private IEnumerable<DateOnly> Fridays() => BusinessDays().Where(d => d.DayOfWeek == DayOfWeek.Friday);

    private IEnumerable<DateOnly> Months()
    {
        for (var month = new DateOnly(from.Year, from.Month, 1); month <= to; month = month.AddMonths(1))
        {
            yield return month;
        }
    }

    /// <summary>Daily OHLCV bars: a geometric random walk per instrument, stamped at the 21:00 UTC close.</summary>
    public IEnumerable<MarketData> Bars(IReadOnlyDictionary<string, int> instruments)
    {
        var random = new Random(seed);
        foreach (var instrument in Instruments)
        {
            var (price, drift, vol) = Dynamics[instrument.Ticker];
            var daily = vol / Math.Sqrt(252);
            foreach (var day in BusinessDays())
            {
                var open = price * (1 + Normal(random) * daily * 0.3);
                var close = open * Math.Exp((drift / 252) - (daily * daily / 2) + (daily * Normal(random)));
                var high = Math.Max(open, close) * (1 + Math.Abs(Normal(random)) * daily * 0.5);
                var low = Math.Min(open, close) * (1 - Math.Abs(Normal(random)) * daily * 0.5);
                yield return new MarketData
                {
                    InstrumentId = instruments[instrument.Ticker],
                    Timestamp = day.ToDateTime(new TimeOnly(21, 0), DateTimeKind.Utc),
                    Frequency = "1d",
                    Open = Math.Round(open, 4),
                    High = Math.Round(high, 4),
                    Low = Math.Round(low, 4),
                    Close = Math.Round(close, 4),
                    Volume = instrument.AssetClass == "fx" ? 0 : (long)(random.Next(20, 120) * 1_000_000L / (instrument.Ticker == "IBOV" ? 100 : 1)),
                };
                price = close;
            }
        }
    }

    /// <summary>Monthly macro releases about two weeks after the month; payrolls and IPCA are revised a month later (a second row).</summary>
    public IEnumerable<MacroSeries> MacroReleases(IReadOnlyDictionary<string, int> series)
    {
        var random = new Random(seed + 1);
        (string Code, double Start, double Step, bool Revised)[] specs =
            [("PAYEMS", 159_000, 150, true), ("CPIAUCSL", 317.6, 0.7, false), ("UNRATE", 4.0, 0.05, false), ("IPCA", 0.40, 0.0, true), ("IBC_BR", 150.0, 0.3, false)];
        foreach (var (code, start, step, revised) in specs)
        {
            var level = start;
            foreach (var month in Months())
            {
                level = code == "IPCA" ? Math.Round(0.40 + (Normal(random) * 0.15), 2) : level + step + (Normal(random) * step);
                var firstRelease = month.AddMonths(1).AddDays(9).ToDateTime(new TimeOnly(12, 30), DateTimeKind.Utc);
                yield return new MacroSeries { SeriesId = series[code], ObservationDate = month, ReleaseTime = firstRelease, Value = Math.Round(level, 2) };
                if (revised)
                {
                    var revision = level + (Normal(random) * (code == "IPCA" ? 0.03 : 40));
                    yield return new MacroSeries { SeriesId = series[code], ObservationDate = month, ReleaseTime = firstRelease.AddMonths(1), Value = Math.Round(revision, 2) };
                    level = revision;
                }
            }
        }
    }

    /// <summary>Daily yield curves: a level, slope and curvature that wander, the Brazilian curve far above the US one.</summary>
    public IEnumerable<CurveData> Curves()
    {
        var random = new Random(seed + 2);
        foreach (var (curve, tenors, baseLevel, baseSlope) in new[] { ("UST", UsTreasuryTenors, 4.2, 0.4), ("DI_PRE", BrazilDiTenors, 14.5, -0.9) })
        {
            var level = baseLevel;
            var slope = baseSlope;
            foreach (var day in BusinessDays())
            {
                level += Normal(random) * 0.04;
                slope += Normal(random) * 0.02;
                foreach (var (label, days) in tenors)
                {
                    var years = days / 365.0;
                    var rate = level + (slope * (1 - Math.Exp(-years / 2))) + (Normal(random) * 0.01);
                    yield return new CurveData { CurveId = curve, CurveDate = day, TenorDays = days, TenorLabel = label, Rate = Math.Round(rate, 4) };
                }
            }
        }
    }

    /// <summary>Weekly flows, split by type.</summary>
    public IEnumerable<FlowData> Flows(IReadOnlyDictionary<string, int> series)
    {
        var random = new Random(seed + 3);
        foreach (var (code, types) in new[] { ("FX_FLOW", new[] { "commercial", "financial" }), ("TIC_NET", new[] { "equity", "debt" }) })
        {
            foreach (var week in Fridays())
            {
                foreach (var type in types)
                {
                    yield return new FlowData { SeriesId = series[code], ObservationDate = week, FlowType = type, Value = Math.Round(Normal(random) * 1_500, 1), Unit = "USD millions" };
                }
            }
        }
    }

    /// <summary>Monthly fiscal statements: revenue, expenditure and their balance.</summary>
    public IEnumerable<FiscalData> Fiscal(IReadOnlyDictionary<string, int> series)
    {
        var random = new Random(seed + 4);
        foreach (var (code, revenue, spending, unit) in new[] { ("RTN", 210_000.0, 215_000.0, "BRL millions"), ("MTS", 420_000.0, 560_000.0, "USD millions") })
        {
            foreach (var month in Months())
            {
                var receipts = revenue * (1 + (Normal(random) * 0.05));
                var outlays = spending * (1 + (Normal(random) * 0.05));
                foreach (var (metric, value) in new[] { ("revenue", receipts), ("expenditure", outlays), ("primary_balance", receipts - outlays) })
                {
                    yield return new FiscalData { SeriesId = series[code], ObservationDate = month, FiscalMetric = metric, Value = Math.Round(value, 1), Unit = unit };
                }
            }
        }
    }

    /// <summary>Weekly implied-volatility surfaces: a smile in delta and a term structure in tenor.</summary>
    public IEnumerable<VolSurface> VolSurfaces(IReadOnlyDictionary<string, int> instruments)
    {
        var random = new Random(seed + 5);
        foreach (var ticker in new[] { "SPY", "EWZ", "USDBRL" })
        {
            var atm = Dynamics[ticker].Vol;
            foreach (var week in Fridays())
            {
                atm = Math.Clamp(atm + (Normal(random) * 0.01), 0.05, 0.8);
                foreach (var tenor in VolTenors)
                {
                    foreach (var delta in Deltas)
                    {
                        var smile = 0.25 * Math.Pow(delta - 0.5, 2) + (ticker == "USDBRL" ? 0.02 * (0.5 - delta) : 0.04 * (delta - 0.5));
                        var term = 0.01 * Math.Log(tenor / 30.0);
                        yield return new VolSurface { InstrumentId = instruments[ticker], SurfaceDate = week, Delta = delta, TenorDays = tenor, ImpliedVol = Math.Round(atm + smile + term, 4) };
                    }
                }
            }
        }
    }

    /// <summary>Weekly momentum per instrument, monthly surprise per macro series, and a weekly market-wide risk regime.</summary>
    public IEnumerable<Signal> Signals(IReadOnlyDictionary<string, int> instruments, IReadOnlyDictionary<string, int> series)
    {
        var random = new Random(seed + 6);
        foreach (var week in Fridays())
        {
            foreach (var instrument in Instruments)
            {
                yield return new Signal { SignalType = "momentum_20d", SignalDate = week, InstrumentId = instruments[instrument.Ticker], Value = Math.Round(Normal(random), 3), Confidence = Math.Round(random.NextDouble(), 3) };
            }

            yield return new Signal { SignalType = "risk_regime", SignalDate = week, Value = Math.Round(Math.Tanh(Normal(random)), 3), Confidence = Math.Round(random.NextDouble(), 3) };
        }

        foreach (var month in Months())
        {
            foreach (var code in new[] { "PAYEMS", "CPIAUCSL", "UNRATE", "IPCA", "IBC_BR" })
            {
                yield return new Signal { SignalType = "macro_surprise", SignalDate = month.AddMonths(1).AddDays(9), SeriesId = series[code], Value = Math.Round(Normal(random), 3), Confidence = Math.Round(random.NextDouble(), 3) };
            }
        }
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
