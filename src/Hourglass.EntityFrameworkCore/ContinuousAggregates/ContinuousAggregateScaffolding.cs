using System.Globalization;
using System.Reflection;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using NpgsqlTypes;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// Marks the views that are continuous aggregates with their query, materialized_only and refresh policy (read by the
/// Hourglass catalog library), so they scaffold as <c>IsContinuousAggregate</c>. Their materialization hypertables live
/// in TimescaleDB's own schemas, which scaffolding already leaves out.
/// </summary>
internal sealed class ContinuousAggregateScaffoldingReader : ITimescaleScaffoldingReader
{
    public const string SqlAnnotation = "Hourglass:Scaffold:ContinuousAggregate:Sql";
    public const string MaterializedOnlyAnnotation = "Hourglass:Scaffold:ContinuousAggregate:MaterializedOnly";

    /// <summary>The policy: "start|end|schedule" as canonical interval text, months kept; an offset is empty when unbounded.</summary>
    public const string PolicyAnnotation = "Hourglass:Scaffold:ContinuousAggregate:Policy";

    /// <summary>The policy's job schedule beyond its interval, as JSON.</summary>
    public const string ScheduleAnnotation = "Hourglass:Scaffold:ContinuousAggregate:Schedule";

    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        foreach (var aggregate in catalog.Aggregates)
        {
            var view = model.Tables.FirstOrDefault(t => t is DatabaseView && t.Schema == aggregate.Schema && t.Name == aggregate.Name);
            if (view is null)
            {
                continue;
            }

            view[SqlAnnotation] = aggregate.Definition.Trim().TrimEnd(';');
            view[MaterializedOnlyAnnotation] = aggregate.MaterializedOnly;
            var job = catalog.Jobs.FirstOrDefault(j => j.Kind == JobKind.ContinuousAggregateRefresh && j.RelationSchema == aggregate.Schema && j.RelationName == aggregate.Name);
            var start = job?.ConfigValues.GetValueOrDefault("start_offset");
            var end = job?.ConfigValues.GetValueOrDefault("end_offset");
            if (job is null)
            {
                continue;
            }

            // Offsets typed as the catalog holds them: numbers for integer-time aggregates, intervals with their months
            // ("3 mons" is not 90 days to the server) otherwise; so is the schedule.
            view[PolicyAnnotation] = string.Join('|', Text((object?)start?.WholeNumber ?? start?.Interval), Text((object?)end?.WholeNumber ?? end?.Interval), Text(job.ScheduleInterval));
            var schedule = JobScheduleCatalog.Read(job, JobKind.ContinuousAggregateRefresh.Defaults()) with { ScheduleInterval = null };
            if (!schedule.IsEmpty)
            {
                view[ScheduleAnnotation] = schedule.Serialize();
            }
        }
    }

    // Empty for an unbounded offset (SQL NULL, or a key the config does not have).
    private static string Text(object? value) => TimescaleInterval.FromCatalog(value)?.ToString() ?? "";
}

/// <summary>Writes scaffolded continuous aggregates as <c>IsContinuousAggregate("view", "SELECT ...").MaterializedOnly(...).WithRefreshPolicy(...)</c>.</summary>
internal sealed class ContinuousAggregateScaffoldingCodeGenerator : ITimescaleScaffoldingCodeGenerator
{
    private static readonly MethodInfo s_isContinuousAggregate = typeof(ContinuousAggregateEntityTypeBuilderExtensions)
        .GetMethod(nameof(ContinuousAggregateEntityTypeBuilderExtensions.IsContinuousAggregate))!;

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (!annotations.Remove(ContinuousAggregateScaffoldingReader.SqlAnnotation, out var sql) || sql.Value is not string query)
        {
            yield break;
        }

        var materializedOnly = annotations.Remove(ContinuousAggregateScaffoldingReader.MaterializedOnlyAnnotation, out var m) && m.Value is true;
        var builder = typeof(ContinuousAggregateBuilder);
        // Like EF's own ToView: the schema only when it is not the scaffolded model's default ("public").
        var schema = entityType.GetViewSchema();
        var call = schema is null || schema == entityType.Model.GetDefaultSchema()
            ? new MethodCallCodeFragment(s_isContinuousAggregate, entityType.GetViewName(), query)
            : new MethodCallCodeFragment(s_isContinuousAggregate, entityType.GetViewName(), query, schema);
        if (materializedOnly != ContinuousAggregateDefinition.DefaultMaterializedOnly)
        {
            call = call.Chain(builder.GetMethod(nameof(ContinuousAggregateBuilder.MaterializedOnly))!, materializedOnly);
        }

        if (annotations.Remove(ContinuousAggregateScaffoldingReader.PolicyAnnotation, out var p) && p.Value is string policy)
        {
            var parts = policy.Split('|');
            var schedule = annotations.Remove(ContinuousAggregateScaffoldingReader.ScheduleAnnotation, out var json) && json.Value is string text
                ? JobScheduleCode.Closure(JobSchedule.Deserialize(text))
                : null;
            var start = Offset(parts[0]);
            var end = Offset(parts[1]);
            var interval = parts[2].Length == 0 ? TimescaleInterval.FromTimeSpan(TimeSpan.FromHours(1)) : TimescaleInterval.Parse(parts[2]);
            // Time spans as users write them; all three as interval text when an offset has months, which no time span
            // holds (the schedule interval alone is text when only it has months); numbers for integer offsets.
            Type? offsetType = start?.IsInteger == true || end?.IsInteger == true ? typeof(long?)
                : start?.HasMonths == true || end?.HasMonths == true ? typeof(string)
                : null;
            object?[] arguments = offsetType == typeof(long?) ? [start?.Microseconds, end?.Microseconds, interval.ToString()]
                : offsetType == typeof(string) ? [start?.ToString(), end?.ToString(), interval.ToString()]
                : [start?.ToTimeSpan(), end?.ToTimeSpan(), JobScheduleCode.CodeValue(interval)];
            Type[] parameters = offsetType is null
                ? [typeof(TimeSpan?), typeof(TimeSpan?), arguments[2]!.GetType(), typeof(Action<JobScheduleBuilder>)]
                : [offsetType, offsetType, typeof(string), typeof(Action<JobScheduleBuilder>)];
            var withRefreshPolicy = builder.GetMethod(nameof(ContinuousAggregateBuilder.WithRefreshPolicy), parameters)!;
            call = call.Chain(withRefreshPolicy, schedule is null ? arguments : [.. arguments, schedule]);
        }

        yield return call;
    }

    private static TimescaleInterval? Offset(string text) => text.Length == 0 ? null : TimescaleInterval.Parse(text);
}
