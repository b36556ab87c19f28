using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hourglass;

/// <summary>
/// When and how a TimescaleDB job runs: the one description every policy (columnstore, retention, reorder, continuous
/// aggregate refresh) and every user job shares. A null setting is TimescaleDB's default for that kind of job
/// (<see cref="JobDefaults"/>). <see cref="TimescaleClient.AlterJobAsync"/> takes one as <see cref="JobChanges"/>; the
/// EF Core plugin declares, compares, writes and scaffolds policies' and jobs' schedules as this type.
/// </summary>
/// <remarks>The JSON property names (<see cref="Serialize"/>) are those EF Core's job annotations have always used, so older snapshots still load.</remarks>
public sealed record JobSchedule
{
    private static readonly JsonSerializerOptions s_json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

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

    /// <summary>No setting: TimescaleDB's defaults throughout.</summary>
    public static JobSchedule Empty { get; } = new();

    /// <summary>Whether no setting is set.</summary>
    [JsonIgnore]
    public bool IsEmpty => this == Empty;

    /// <summary>The settings of <paramref name="other"/> that are set, over this schedule's.</summary>
    /// <param name="other">The settings that win.</param>
    /// <returns>The combined schedule.</returns>
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
    /// <param name="defaults">The job kind's defaults (<see cref="JobKinds.Defaults"/>).</param>
    /// <returns>The schedule without defaults.</returns>
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
    /// <param name="defaults">The job kind's defaults.</param>
    /// <returns>The problem, or null.</returns>
    public string? FixedScheduleProblem(JobDefaults defaults)
        => ScheduleInterval is { HasMonths: true, Microseconds: not 0 } interval && (FixedSchedule ?? defaults.FixedSchedule ?? InitialStart is not null)
            ? $"the schedule interval \"{interval}\" mixes months with days or time, which TimescaleDB refuses on a fixed schedule"
            : null;

    /// <summary>
    /// alter_job moves a job's start to now when it sets <c>fixed_schedule</c> without <c>initial_start</c>, so a call
    /// that sets it on a job with a start passes the start again.
    /// </summary>
    /// <param name="start">The job's current initial start.</param>
    /// <returns>The settings to pass to alter_job.</returns>
    public JobSchedule KeepingStart(DateTimeOffset? start)
        => FixedSchedule is null || InitialStart is not null || start is null ? this : this with { InitialStart = start };

    /// <summary>
    /// alter_job clears a job's time zone when it is not passed (TimescaleDB 2.23 and 2.28 alike), so a call that
    /// changes anything on a job with a time zone passes it again.
    /// </summary>
    /// <param name="timezone">The job's current time zone.</param>
    /// <returns>The settings to pass to alter_job.</returns>
    public JobSchedule KeepingTimezone(string? timezone)
        => IsEmpty || Timezone is not null || timezone is null ? this : this with { Timezone = timezone };

    /// <summary>The schedule as one JSON object, unset settings left out; intervals as canonical text ("6 hours", "1 month").</summary>
    /// <returns>The JSON text.</returns>
    public string Serialize() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Reads <see cref="Serialize"/>'s JSON (also older zeros: "0", "00:00:00").</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The schedule.</returns>
    public static JobSchedule Deserialize(string json)
        => JsonSerializer.Deserialize<JobSchedule>(json, s_json) ?? throw new InvalidOperationException($"'{json}' cannot be read as a job schedule.");

    /// <summary>Reads the schedule settings out of a larger JSON object (EF's job annotation keeps them beside its own).</summary>
    /// <param name="element">The JSON object.</param>
    /// <returns>The schedule.</returns>
    public static JobSchedule FromJson(JsonElement element)
        => element.Deserialize<JobSchedule>(s_json) ?? throw new InvalidOperationException($"'{element}' cannot be read as a job schedule.");

    /// <summary>The schedule's settings as a JSON object, to write into a larger one.</summary>
    /// <returns>The JSON object.</returns>
    public JsonElement ToJson() => JsonSerializer.SerializeToElement(this, s_json);
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
public sealed record JobDefaults(
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
    /// <param name="current">The schedule the job will have (its interval is the refresh policies' retry period).</param>
    /// <returns>The settings that reset each setting.</returns>
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
