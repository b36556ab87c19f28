using System.Text.Json;
using System.Text.Json.Serialization;
using Hourglass.EntityFrameworkCore.Hypertables;

namespace Hourglass.EntityFrameworkCore.Scheduling;

/// <summary>
/// When and how a TimescaleDB job runs: the one description every policy (columnstore, retention, reorder, continuous
/// aggregate refresh) and every user job shares. A null setting is TimescaleDB's default for that kind of job. It is
/// written (<see cref="JobScheduleSql"/>), compared (<see cref="JobScheduleComparison"/>), read from the catalog
/// (<see cref="JobScheduleCatalog"/>) and rendered in C# (<see cref="JobScheduleCode"/>) in one place each; adding an
/// option means adding it here and in those four.
/// </summary>
/// <remarks>The JSON property names are those the job annotation has always used, so older snapshots still load.</remarks>
internal sealed record JobSchedule
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new IntervalConverter() },
    };

    /// <summary>How often the job runs (<c>schedule_interval</c>).</summary>
    public TimeSpan? ScheduleInterval { get; init; }

    /// <summary>The first run (<c>initial_start</c>); a fixed schedule counts its runs from it.</summary>
    public DateTimeOffset? InitialStart { get; init; }

    /// <summary>The IANA time zone a fixed schedule follows (<c>timezone</c>).</summary>
    public string? Timezone { get; init; }

    /// <summary>How long a run may take before it is stopped (<c>max_runtime</c>); zero is no limit.</summary>
    public TimeSpan? MaxRuntime { get; init; }

    /// <summary>How often a failed run is retried (<c>max_retries</c>); -1 retries forever.</summary>
    public int? MaxRetries { get; init; }

    /// <summary>How long to wait before retrying a failed run (<c>retry_period</c>).</summary>
    public TimeSpan? RetryPeriod { get; init; }

    /// <summary>True: runs at initial start + n × interval; false: an interval after the previous run ended (<c>fixed_schedule</c>).</summary>
    public bool? FixedSchedule { get; init; }

    /// <summary>False: the scheduler leaves the job alone; it runs only through <c>run_job</c> (<c>scheduled</c>).</summary>
    public bool? Scheduled { get; init; }

    public static JobSchedule Empty { get; } = new();

    public bool IsEmpty => this == Empty;

    /// <summary>The settings of <paramref name="other"/> that are set, over this schedule's.</summary>
    public JobSchedule Over(JobSchedule other) => new()
    {
        ScheduleInterval = other.ScheduleInterval ?? ScheduleInterval,
        InitialStart = other.InitialStart ?? InitialStart,
        Timezone = other.Timezone ?? Timezone,
        MaxRuntime = other.MaxRuntime ?? MaxRuntime,
        MaxRetries = other.MaxRetries ?? MaxRetries,
        RetryPeriod = other.RetryPeriod ?? RetryPeriod,
        FixedSchedule = other.FixedSchedule ?? FixedSchedule,
        Scheduled = other.Scheduled ?? Scheduled,
    };

    /// <summary>
    /// The schedule with every setting that equals the job kind's default left out, so a schedule written out in full
    /// (as the catalog reports it) and one that names only what differs compare equal.
    /// </summary>
    public JobSchedule WithoutDefaults(JobDefaults defaults)
    {
        var fixedByDefault = defaults.FixedSchedule ?? (InitialStart is not null);
        return this with
        {
            ScheduleInterval = ScheduleInterval == defaults.ScheduleInterval ? null : ScheduleInterval,
            MaxRuntime = MaxRuntime == defaults.MaxRuntime ? null : MaxRuntime,
            MaxRetries = MaxRetries == defaults.MaxRetries ? null : MaxRetries,
            RetryPeriod = RetryPeriod == (defaults.RetryPeriod ?? (defaults.RetryPeriodIsScheduleInterval ? ScheduleInterval : null)) ? null : RetryPeriod,
            FixedSchedule = FixedSchedule == fixedByDefault ? null : FixedSchedule,
            Scheduled = Scheduled is true ? null : Scheduled,
        };
    }

    /// <summary>The schedule as one JSON object (intervals as canonical interval text, e.g. "6 hours").</summary>
    public string Serialize() => JsonSerializer.Serialize(this, s_json);

    public static JobSchedule Deserialize(string json) => JsonSerializer.Deserialize<JobSchedule>(json, s_json)
        ?? throw new InvalidOperationException($"The job schedule annotation '{json}' cannot be read.");

    /// <summary>Reads the schedule settings out of a larger JSON object (the job annotation keeps them beside its own).</summary>
    public static JobSchedule FromJson(JsonElement element) => element.Deserialize<JobSchedule>(s_json) ?? Empty;

    /// <summary>Writes the schedule's settings into a larger JSON object.</summary>
    public JsonElement ToJson() => JsonSerializer.SerializeToElement(this, s_json);

    /// <summary>Intervals as the canonical text the other annotations use ("90 minutes", "6 hours").</summary>
    private sealed class IntervalConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString() ?? "";
            if (JobScheduleSql.IsZero(text))
            {
                return TimeSpan.Zero;
            }

            return ChunkInterval.Normalize(text, out var error) is { } canonical
                ? ChunkInterval.ToTimeSpan(canonical)
                : throw new JsonException($"The job schedule interval '{text}' cannot be read: {error}.");
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options)
            => writer.WriteStringValue(JobScheduleSql.IntervalText(value));
    }
}

/// <summary>
/// What TimescaleDB sets for a kind of job when a setting is not given; null where it is not one fixed value (then a
/// setting that is no longer wanted is reset by recreating the job).
/// </summary>
/// <param name="ScheduleInterval">The default interval, or null when the server derives it (from the chunk interval).</param>
/// <param name="MaxRuntime">The default run limit.</param>
/// <param name="MaxRetries">The default retry count.</param>
/// <param name="RetryPeriod">The default retry period, or null when not fixed.</param>
/// <param name="FixedSchedule">True or false, or null for policies: fixed exactly when an initial start was given.</param>
/// <param name="RetryPeriodIsScheduleInterval">True when the retry period defaults to the schedule interval (refresh policies).</param>
/// <param name="CreateTakesScheduleInterval">Whether the creating function takes <c>schedule_interval</c> (add_reorder_policy does not).</param>
internal sealed record JobDefaults(
    TimeSpan? ScheduleInterval,
    TimeSpan MaxRuntime,
    int MaxRetries,
    TimeSpan? RetryPeriod,
    bool? FixedSchedule,
    bool RetryPeriodIsScheduleInterval = false,
    bool CreateTakesScheduleInterval = true)
{
    /// <summary><c>add_job</c>: fixed schedule, no run limit, retries forever every 5 minutes.</summary>
    public static JobDefaults UserJob { get; } = new(null, TimeSpan.Zero, -1, TimeSpan.FromMinutes(5), true);

    /// <summary>The value a setting returns to when the model stops naming it, or null when only recreating the job resets it.</summary>
    public JobSchedule ResetValues(JobSchedule current) => new()
    {
        ScheduleInterval = ScheduleInterval,
        MaxRuntime = MaxRuntime,
        MaxRetries = MaxRetries,
        RetryPeriod = RetryPeriod ?? (RetryPeriodIsScheduleInterval ? current.ScheduleInterval : null),
        FixedSchedule = FixedSchedule ?? (current.InitialStart is not null),
        Scheduled = true,
    };
}
