using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hourglass.EntityFrameworkCore.Infrastructure;

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
    /// <summary>How often the job runs (<c>schedule_interval</c>); months and years are allowed, as TimescaleDB allows them.</summary>
    [JsonConverter(typeof(JobIntervalJsonConverter))]
    public TimescaleInterval? ScheduleInterval { get; init; }

    /// <summary>The first run (<c>initial_start</c>); a fixed schedule counts its runs from it.</summary>
    public DateTimeOffset? InitialStart { get; init; }

    /// <summary>The IANA time zone a fixed schedule follows (<c>timezone</c>).</summary>
    public string? Timezone { get; init; }

    /// <summary>How long a run may take before it is stopped (<c>max_runtime</c>); zero is no limit.</summary>
    [JsonConverter(typeof(JobIntervalJsonConverter))]
    public TimescaleInterval? MaxRuntime { get; init; }

    /// <summary>How often a failed run is retried (<c>max_retries</c>); -1 retries forever.</summary>
    public int? MaxRetries { get; init; }

    /// <summary>How long to wait before retrying a failed run (<c>retry_period</c>).</summary>
    [JsonConverter(typeof(JobIntervalJsonConverter))]
    public TimescaleInterval? RetryPeriod { get; init; }

    /// <summary>True: runs at initial start + n × interval; false: an interval after the previous run ended (<c>fixed_schedule</c>).</summary>
    public bool? FixedSchedule { get; init; }

    /// <summary>False: the scheduler leaves the job alone; it runs only through <c>run_job</c> (<c>scheduled</c>).</summary>
    public bool? Scheduled { get; init; }

    public static JobSchedule Empty { get; } = new();

    [JsonIgnore]
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

    /// <summary>
    /// Why TimescaleDB would refuse this schedule as <paramref name="defaults"/>' kind of job, or null: the interval of a
    /// fixed schedule has whole months or a fixed length, not both ("month intervals cannot have day or time component").
    /// </summary>
    public string? FixedScheduleProblem(JobDefaults defaults)
        => ScheduleInterval is { HasMonths: true, Microseconds: not 0 } interval && (FixedSchedule ?? defaults.FixedSchedule ?? InitialStart is not null)
            ? $"the schedule interval \"{interval}\" mixes months with days or time, which TimescaleDB refuses on a fixed schedule"
            : null;

    /// <summary>The schedule as one JSON object (<see cref="AnnotationJson"/>).</summary>
    public string Serialize() => AnnotationJson.Serialize(this);

    public static JobSchedule Deserialize(string json) => AnnotationJson.Deserialize<JobSchedule>(json);

    /// <summary>Reads the schedule settings out of a larger JSON object (the job annotation keeps them beside its own).</summary>
    public static JobSchedule FromJson(JsonElement element) => AnnotationJson.Deserialize<JobSchedule>(element);

    /// <summary>Writes the schedule's settings into a larger JSON object.</summary>
    public JsonElement ToJson() => AnnotationJson.ToElement(this);
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
    TimescaleInterval? ScheduleInterval,
    TimescaleInterval MaxRuntime,
    int MaxRetries,
    TimescaleInterval? RetryPeriod,
    bool? FixedSchedule,
    bool RetryPeriodIsScheduleInterval = false,
    bool CreateTakesScheduleInterval = true)
{
    /// <summary><c>add_job</c>: fixed schedule, no run limit, retries forever every 5 minutes.</summary>
    public static JobDefaults UserJob { get; } = new(null, TimescaleInterval.Zero, -1, TimescaleInterval.FromTimeSpan(TimeSpan.FromMinutes(5)), true);

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

/// <summary>
/// A job setting's interval in the annotation JSON: canonical interval text ("6 hours", "1 month", "0 seconds"). Older
/// snapshots wrote zero as "0", "0 seconds" or "00:00:00"; all read as zero. A job setting is never an integer amount.
/// </summary>
internal sealed class JobIntervalJsonConverter : JsonConverter<TimescaleInterval?>
{
    public override bool HandleNull => true;

    public override TimescaleInterval? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : Encoding.UTF8.GetString(reader.ValueSpan);
        try
        {
            return TimescaleInterval.ParseLength(text);
        }
        catch (FormatException ex)
        {
            throw new JsonException(ex.Message, ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, TimescaleInterval? value, JsonSerializerOptions options)
    {
        if (value is { } interval)
        {
            writer.WriteStringValue(interval.ToString());
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
