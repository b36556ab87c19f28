using System.Data.Common;
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

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// Marks the views that are continuous aggregates (<c>timescaledb_information.continuous_aggregates</c>) with their query,
/// materialized_only and refresh policy (<c>timescaledb_information.jobs</c>), so they scaffold as <c>IsContinuousAggregate</c>.
/// Their materialization hypertables live in <c>_timescaledb_internal</c>, which scaffolding already leaves out.
/// </summary>
internal sealed class ContinuousAggregateScaffoldingReader : ITimescaleScaffoldingReader
{
    public const string SqlAnnotation = "Hourglass:Scaffold:ContinuousAggregate:Sql";
    public const string MaterializedOnlyAnnotation = "Hourglass:Scaffold:ContinuousAggregate:MaterializedOnly";

    /// <summary>The policy as microseconds: "start|end|schedule", empty for an unbounded offset.</summary>
    public const string PolicyAnnotation = "Hourglass:Scaffold:ContinuousAggregate:Policy";

    /// <summary>The policy's job schedule beyond its interval, as JSON.</summary>
    public const string ScheduleAnnotation = "Hourglass:Scaffold:ContinuousAggregate:Schedule";

    public void Read(DbConnection connection, DatabaseModel model)
    {
        // Offsets of integer-time aggregates are numbers, not intervals; their policy is left out (the view is still read).
        var rows = CatalogQueries.Rows(
            connection,
            $"""
            SELECT c.view_schema::text, c.view_name::text, c.materialized_only, c.view_definition,
                   j.job_id IS NOT NULL AND jsonb_typeof(j.config -> 'start_offset') IS DISTINCT FROM 'number'
                       AND jsonb_typeof(j.config -> 'end_offset') IS DISTINCT FROM 'number' AS has_policy,
                   CASE WHEN jsonb_typeof(j.config -> 'start_offset') = 'string'
                        THEN (extract(epoch FROM (j.config ->> 'start_offset')::interval) * 1000000)::bigint END,
                   CASE WHEN jsonb_typeof(j.config -> 'end_offset') = 'string'
                        THEN (extract(epoch FROM (j.config ->> 'end_offset')::interval) * 1000000)::bigint END,
                   (extract(epoch FROM j.schedule_interval) * 1000000)::bigint,
                   {JobScheduleCatalog.Columns}
            FROM timescaledb_information.continuous_aggregates c
            JOIN _timescaledb_catalog.hypertable h
              ON h.schema_name = c.materialization_hypertable_schema AND h.table_name = c.materialization_hypertable_name
            LEFT JOIN timescaledb_information.jobs j
              ON j.proc_name = 'policy_refresh_continuous_aggregate' AND (j.config ->> 'mat_hypertable_id')::int = h.id
            LEFT {JobScheduleCatalog.Join}
            """);
        foreach (var row in rows)
        {
            var view = model.Tables.FirstOrDefault(t => t is DatabaseView && t.Schema == (string)row[0]! && t.Name == (string)row[1]!);
            if (view is null)
            {
                continue;
            }

            view[SqlAnnotation] = ((string)row[3]!).Trim().TrimEnd(';');
            view[MaterializedOnlyAnnotation] = (bool)row[2]!;
            if (row[4] is true)
            {
                view[PolicyAnnotation] = string.Join('|', row[5], row[6], row[7]);
                var schedule = JobScheduleCatalog.Read(row, 8, PolicyJobs.Defaults(TimescalePolicy.ContinuousAggregateRefresh)) with { ScheduleInterval = null };
                if (!schedule.IsEmpty)
                {
                    view[ScheduleAnnotation] = schedule.Serialize();
                }
            }
        }
    }
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
            object?[] arguments = [Span(parts[0]), Span(parts[1]), Span(parts[2]) ?? TimeSpan.FromHours(1)];
            call = call.Chain(builder.GetMethod(nameof(ContinuousAggregateBuilder.WithRefreshPolicy))!, schedule is null ? arguments : [.. arguments, schedule]);
        }

        yield return call;
    }

    private static TimeSpan? Span(string microseconds)
        => microseconds.Length == 0 ? null : TimeSpan.FromMicroseconds(long.Parse(microseconds, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
}
