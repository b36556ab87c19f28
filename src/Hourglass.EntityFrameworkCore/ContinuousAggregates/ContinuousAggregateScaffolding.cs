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

    /// <summary>The policy: "start|end|schedule", the offsets as microseconds (empty when unbounded), the schedule interval as interval text.</summary>
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
            // Offsets of integer-time aggregates are numbers, not intervals; their policy is left out (the view is still read).
            if (job is null || start?.Integer is not null || end?.Integer is not null)
            {
                continue;
            }

            // The schedule interval keeps its months ("1 mon" is not 30 days to the scheduler).
            view[PolicyAnnotation] = string.Join('|', Microseconds(start?.Interval), Microseconds(end?.Interval), TimescaleInterval.FromCatalog(job.ScheduleInterval)?.ToString() ?? "");
            var schedule = JobScheduleCatalog.Read(job, PolicyJobs.Defaults(TimescalePolicy.ContinuousAggregateRefresh)) with { ScheduleInterval = null };
            if (!schedule.IsEmpty)
            {
                view[ScheduleAnnotation] = schedule.Serialize();
            }
        }
    }

    // As PostgreSQL's extract(epoch ...) counts them: a month as 30 days, a day as 24 hours. Empty for an unbounded offset.
    private static string Microseconds(NpgsqlInterval? interval)
        => interval is { } i ? ((((i.Months * 30L) + i.Days) * 86_400_000_000L) + i.Time).ToString(CultureInfo.InvariantCulture) : "";
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
            // A time span as users write it; interval text when the interval has months.
            var interval = JobScheduleCode.CodeValue(parts[2].Length == 0 ? TimescaleInterval.FromTimeSpan(TimeSpan.FromHours(1)) : TimescaleInterval.Parse(parts[2]));
            object?[] arguments = [Span(parts[0]), Span(parts[1]), interval];
            var withRefreshPolicy = builder.GetMethod(nameof(ContinuousAggregateBuilder.WithRefreshPolicy), [typeof(TimeSpan?), typeof(TimeSpan?), interval.GetType(), typeof(Action<JobScheduleBuilder>)])!;
            call = call.Chain(withRefreshPolicy, schedule is null ? arguments : [.. arguments, schedule]);
        }

        yield return call;
    }

    private static TimeSpan? Span(string microseconds)
        => microseconds.Length == 0 ? null : TimeSpan.FromMicroseconds(long.Parse(microseconds, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
}
