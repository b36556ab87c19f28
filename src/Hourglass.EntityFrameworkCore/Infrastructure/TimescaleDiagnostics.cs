using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// The event definitions behind <see cref="TimescaleEventId"/>, built once per EF service provider because they carry
/// the context's <c>ConfigureWarnings</c> choices (as EF's own <see cref="LoggingDefinitions"/> do).
/// </summary>
internal sealed class TimescaleLoggingDefinitions(ILoggingOptions options)
{
    public EventDefinition<string> FeatureSkipped { get; } = Define(
        options, TimescaleEventId.FeatureSkipped, LogLevel.Warning,
        "TimescaleDB is not installed in this database: skipped {Feature}; the table stays a plain PostgreSQL table.");

    public EventDefinition<string> FeatureDegraded { get; } = Define(
        options, TimescaleEventId.FeatureDegraded, LogLevel.Warning, "TimescaleDB is not installed in this database: {Fallback}");

    public EventDefinition<string, string> CommunityFeatureSkipped { get; } = Define<string, string>(
        options, TimescaleEventId.CommunityFeatureSkipped, LogLevel.Warning,
        "This TimescaleDB is the Apache edition (timescaledb.license = '{License}'): skipped {Feature}, a community-licensed feature.");

    public EventDefinition<string, string> FeatureSkippedForVersion { get; } = Define<string, string>(
        options, TimescaleEventId.FeatureSkipped, LogLevel.Warning,
        "This TimescaleDB is too old for {Feature}: skipped it; it needs TimescaleDB {Version} or later.");

    public EventDefinition<string> TargetVersionAssumed { get; } = Define(
        options, TimescaleEventId.TargetVersionAssumed, LogLevel.Information,
        "Generating SQL for the current TimescaleDB API because {Reason}. Call UseTimescale(t => t.TargetVersion(...)) to generate for another version.");

    public EventDefinition<string, string> ServerDetected { get; } = Define<string, string>(
        options, TimescaleEventId.ServerDetected, LogLevel.Debug, "Migrating for TimescaleDB {Version} ({Edition} edition).");

    public EventDefinition<string, string> PendingStepResumed { get; } = Define<string, string>(
        options, TimescaleEventId.PendingStepResumed, LogLevel.Warning,
        "An earlier migration run recorded its migrations but was interrupted before it finished {Step} (pending since {Since}); finishing it now.");

    private static EventDefinition<string> Define(ILoggingOptions options, EventId id, LogLevel level, string format)
        => new(options, id, level, id.Name!, l => LoggerMessage.Define<string>(l, id, format));

    private static EventDefinition<T1, T2> Define<T1, T2>(ILoggingOptions options, EventId id, LogLevel level, string format)
        => new(options, id, level, id.Name!, l => LoggerMessage.Define<T1, T2>(l, id, format));
}

/// <summary>Logs Hourglass's migration events through EF's diagnostics: log, ignore or throw as <c>ConfigureWarnings</c> says.</summary>
internal sealed class TimescaleDiagnostics(IDiagnosticsLogger<DbLoggerCategory.Migrations> logger, TimescaleLoggingDefinitions definitions)
{
    public void FeatureSkipped(string feature) => Log(definitions.FeatureSkipped, feature);

    public void FeatureDegraded(string fallback) => Log(definitions.FeatureDegraded, fallback);

    public void CommunityFeatureSkipped(string license, string feature) => Log(definitions.CommunityFeatureSkipped, license, feature);

    public void FeatureSkippedForVersion(string feature, string version) => Log(definitions.FeatureSkippedForVersion, feature, version);

    public void TargetVersionAssumed(string reason) => Log(definitions.TargetVersionAssumed, reason);

    public void ServerDetected(string version, string edition) => Log(definitions.ServerDetected, version, edition);

    public void PendingStepResumed(string step, string since) => Log(definitions.PendingStepResumed, step, since);

    private void Log(EventDefinition<string> definition, string argument)
    {
        if (logger.ShouldLog(definition))
        {
            definition.Log(logger, argument);
        }

        if (logger.NeedsEventData(definition, out var diagnosticSourceEnabled, out var simpleLogEnabled))
        {
            var data = new EventData(definition, (d, _) => ((EventDefinition<string>)d).GenerateMessage(argument));
            logger.DispatchEventData(definition, data, diagnosticSourceEnabled, simpleLogEnabled);
        }
    }

    private void Log(EventDefinition<string, string> definition, string first, string second)
    {
        if (logger.ShouldLog(definition))
        {
            definition.Log(logger, first, second);
        }

        if (logger.NeedsEventData(definition, out var diagnosticSourceEnabled, out var simpleLogEnabled))
        {
            var data = new EventData(definition, (d, _) => ((EventDefinition<string, string>)d).GenerateMessage(first, second));
            logger.DispatchEventData(definition, data, diagnosticSourceEnabled, simpleLogEnabled);
        }
    }
}
