using System.Text.Json;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>Configures a TimescaleDB job declared with <c>modelBuilder.HasJob(...)</c>.</summary>
public sealed class JobBuilder
{
    private readonly IMutableModel _model;
    private JobDefinition _definition;

    internal JobBuilder(IMutableModel model, JobDefinition definition)
    {
        _model = model;
        _definition = definition;
        Save();
    }

    /// <summary>Passes this JSON object to the procedure as its <c>config</c> argument.</summary>
    /// <param name="json">A JSON object, e.g. <c>{"days": 7}</c>.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithConfig(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Error($"its config must be a JSON object, not {document.RootElement.ValueKind}", "pass an object such as {\"days\": 7}");
            }

            return Set(_definition with { Config = JsonSerializer.Serialize(document.RootElement) });
        }
        catch (JsonException ex)
        {
            throw Error($"its config is not valid JSON ({ex.Message})", "pass a JSON object such as {\"days\": 7}");
        }
    }

    /// <summary>Passes this object, serialized as JSON, to the procedure as its <c>config</c> argument.</summary>
    /// <param name="config">An object serialized with System.Text.Json, e.g. <c>new { days = 7 }</c>.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithConfig(object config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config is string json ? WithConfig(json) : WithConfig(JsonSerializer.Serialize(config));
    }

    /// <summary>
    /// Sets the job's schedule with the options every policy shares, e.g. <c>s =&gt; s.MaxRetries(3).RetryPeriod(TimeSpan.FromMinutes(1))</c>;
    /// the interval is <c>HasJob</c>'s unless <c>Every(...)</c> changes it.
    /// </summary>
    /// <param name="schedule">Sets the options.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithSchedule(Action<JobScheduleBuilder> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return Set(_definition with { Schedule = JobScheduleBuilder.Build($"Job {_definition.Procedure}", _definition.Schedule, schedule).WithoutDefaults(JobDefinition.Defaults) });
    }

    /// <summary>Stops a run after this long (<c>max_runtime</c>); the same as <c>WithSchedule(s =&gt; s.MaxRuntime(...))</c>.</summary>
    /// <param name="maxRuntime">A positive time span.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithMaxRuntime(TimeSpan maxRuntime) => WithSchedule(s => s.MaxRuntime(maxRuntime));

    /// <summary>Retries a failed run this many times; -1 retries forever (<c>max_retries</c>).</summary>
    /// <param name="maxRetries">-1 or more.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithMaxRetries(int maxRetries) => WithSchedule(s => s.MaxRetries(maxRetries));

    /// <summary>Waits this long before retrying a failed run (<c>retry_period</c>).</summary>
    /// <param name="retryPeriod">A positive time span.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithRetryPeriod(TimeSpan retryPeriod) => WithSchedule(s => s.RetryPeriod(retryPeriod));

    /// <summary>Runs for the first time at this moment (<c>initial_start</c>); later runs follow the schedule from it.</summary>
    /// <param name="initialStart">The first run.</param>
    /// <returns>This builder.</returns>
    public JobBuilder StartingAt(DateTimeOffset initialStart) => WithSchedule(s => s.StartingAt(initialStart));

    /// <summary>
    /// Schedules each run a schedule interval after the previous run ended, instead of on a fixed grid from the initial
    /// start (<c>fixed_schedule =&gt; false</c>).
    /// </summary>
    /// <returns>This builder.</returns>
    public JobBuilder AfterPreviousRun() => WithSchedule(s => s.Drifting());

    /// <summary>Aligns a fixed schedule with this time zone's calendar, so daily runs stay at the same local hour across daylight saving changes.</summary>
    /// <param name="timezone">An IANA time zone name, e.g. <c>Europe/Berlin</c>.</param>
    /// <returns>This builder.</returns>
    public JobBuilder InTimezone(string timezone) => WithSchedule(s => s.InTimezone(timezone));

    /// <summary>Creates the job paused (<c>scheduled =&gt; false</c>): it runs only when called with <c>run_job</c>.</summary>
    /// <returns>This builder.</returns>
    public JobBuilder Paused() => WithSchedule(s => s.Paused());

    private InvalidOperationException Error(string problem, string fix) => new($"Job {_definition.Procedure}: {problem}. Fix: {fix}.");

    private JobBuilder Set(JobDefinition definition)
    {
        _definition = definition;
        Save();
        return this;
    }

    private void Save() => _model.SetAnnotation(JobDefinition.AnnotationPrefix + _definition.Procedure, _definition.Serialize());
}
