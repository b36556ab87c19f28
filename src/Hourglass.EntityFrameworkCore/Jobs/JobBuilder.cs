using System.Text.Json;
using Hourglass.EntityFrameworkCore.Hypertables;
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

    /// <summary>Stops a run after this long (<c>max_runtime</c>).</summary>
    /// <param name="maxRuntime">A positive time span.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithMaxRuntime(TimeSpan maxRuntime) => Set(_definition with { MaxRuntime = Interval(maxRuntime, "max runtime") });

    /// <summary>Retries a failed run this many times; -1 retries forever (<c>max_retries</c>).</summary>
    /// <param name="maxRetries">-1 or more.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithMaxRetries(int maxRetries)
    {
        if (maxRetries < -1)
        {
            throw Error($"max retries {maxRetries} is below -1", "use -1 (retry forever), 0 (never retry) or a positive count");
        }

        return Set(_definition with { MaxRetries = maxRetries });
    }

    /// <summary>Waits this long before retrying a failed run (<c>retry_period</c>).</summary>
    /// <param name="retryPeriod">A positive time span.</param>
    /// <returns>This builder.</returns>
    public JobBuilder WithRetryPeriod(TimeSpan retryPeriod) => Set(_definition with { RetryPeriod = Interval(retryPeriod, "retry period") });

    /// <summary>Runs for the first time at this moment (<c>initial_start</c>); later runs follow the schedule from it.</summary>
    /// <param name="initialStart">The first run.</param>
    /// <returns>This builder.</returns>
    public JobBuilder StartingAt(DateTimeOffset initialStart) => Set(_definition with { InitialStart = initialStart.ToUniversalTime() });

    /// <summary>
    /// Schedules each run a schedule interval after the previous run ended, instead of on a fixed grid from the initial
    /// start (<c>fixed_schedule =&gt; false</c>).
    /// </summary>
    /// <returns>This builder.</returns>
    public JobBuilder AfterPreviousRun() => Set(_definition with { FixedSchedule = false, Timezone = null });

    /// <summary>Aligns a fixed schedule with this time zone's calendar, so daily runs stay at the same local hour across daylight saving changes.</summary>
    /// <param name="timezone">An IANA time zone name, e.g. <c>Europe/Berlin</c>.</param>
    /// <returns>This builder.</returns>
    public JobBuilder InTimezone(string timezone)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(timezone);
        if (!_definition.FixedSchedule)
        {
            throw Error("a time zone only applies to a fixed schedule, and AfterPreviousRun() was called", "remove AfterPreviousRun() or InTimezone(...)");
        }

        return Set(_definition with { Timezone = timezone });
    }

    /// <summary>Creates the job paused (<c>scheduled =&gt; false</c>): it runs only when called with <c>run_job</c>.</summary>
    /// <returns>This builder.</returns>
    public JobBuilder Paused() => Set(_definition with { Scheduled = false });

    internal static string Interval(TimeSpan interval, string what, string procedure)
        => ChunkInterval.Normalize(interval, out _) ?? throw new InvalidOperationException(
            $"Job {procedure}: the {what} {interval} is not a positive whole number of microseconds. Fix: pass a positive TimeSpan, e.g. TimeSpan.FromHours(1).");

    private string Interval(TimeSpan interval, string what) => Interval(interval, what, _definition.Procedure);

    private InvalidOperationException Error(string problem, string fix) => new($"Job {_definition.Procedure}: {problem}. Fix: {fix}.");

    private JobBuilder Set(JobDefinition definition)
    {
        _definition = definition;
        Save();
        return this;
    }

    private void Save() => _model.SetAnnotation(JobDefinition.AnnotationPrefix + _definition.Procedure, _definition.Serialize());
}
