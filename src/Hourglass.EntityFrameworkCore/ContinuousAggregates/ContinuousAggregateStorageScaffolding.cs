using System.Reflection;
using System.Text.Json;
using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// Reads a continuous aggregate's own hypertable back (chunk interval, group indexes, columnstore settings, columnstore
/// and retention policies, refresh options) and writes it as calls chained on <c>IsContinuousAggregate</c>. TimescaleDB's
/// defaults are left out: a chunk interval ten times the source's, group indexes created, options not in the job's config.
/// </summary>
internal static class ContinuousAggregateStorageScaffolding
{
    private const string Prefix = "Hourglass:Scaffold:ContinuousAggregate:";
    public const string ChunkIntervalAnnotation = Prefix + "ChunkInterval";
    public const string CreateGroupIndexesAnnotation = Prefix + "CreateGroupIndexes";

    /// <summary>"segmentby columns|orderby with column names", as the hypertables' columnstore scaffolding writes it.</summary>
    public const string ColumnstoreAnnotation = Prefix + "Columnstore";

    private static string PolicyAnnotation(HypertablePolicyKind kind) => Prefix + kind.Policy + "Policy";

    public static void Read(ScaffoldingCatalog catalog, Hourglass.AggregateDefinition aggregate, DatabaseTable view)
    {
        var storage = catalog.AggregateStorage.FirstOrDefault(s => s.Schema == aggregate.Schema && s.Name == aggregate.Name);
        if (storage is null)
        {
            return;
        }

        if (storage.ChunkInterval is { } interval && interval != storage.SourceChunkInterval * 10)
        {
            view[ChunkIntervalAnnotation] = TimescaleInterval.FromTimeSpan(interval).ToString();
        }

        // Not in the catalog as such: without group indexes, an aggregate grouping by more than its bucket has no index over several columns.
        if (!storage.HasGroupIndexes && GroupByTerms(aggregate.Definition) > 1)
        {
            view[CreateGroupIndexesAnnotation] = false;
        }

        if (storage.Columnstore is { } columnstore)
        {
            view[ColumnstoreAnnotation] = string.Join(", ", columnstore.SegmentBy) + "|" + ColumnstoreOrder.Format(columnstore.OrderBy);
        }

        foreach (var kind in ContinuousAggregateStorage.PolicyKinds)
        {
            var procedure = kind.Policy.ProcedureName();
            var job = catalog.Jobs.FirstOrDefault(j => j.ProcedureName == procedure && j.RelationSchema == aggregate.Schema && j.RelationName == aggregate.Name);
            var value = job?.ConfigValues.GetValueOrDefault(kind.ConfigKey);
            var createdBefore = value is null && kind.Policy.CreatedBeforeKey() is { } key ? job?.ConfigValues.GetValueOrDefault(key) : null;
            if (job is null || TimescaleInterval.FromCatalog(createdBefore is not null ? createdBefore.Interval : (object?)value?.WholeNumber ?? value?.Interval) is not { } argument)
            {
                continue;
            }

            view[PolicyAnnotation(kind)] = argument.ToString();
            if (createdBefore is not null)
            {
                view[PolicyAnnotation(kind) + ":ByCreationTime"] = true;
            }

            var defaults = kind.Defaults with { ScheduleInterval = kind.Policy.DefaultScheduleInterval(storage.ChunkInterval) };
            if (JobScheduleCatalog.Read(job, defaults) is { IsEmpty: false } schedule)
            {
                view[PolicyAnnotation(kind) + ":Schedule"] = schedule.Serialize();
            }
        }
    }

    /// <summary>The refresh options a policy's config sets (the keys it has), typed.</summary>
    public static ContinuousAggregateRefreshOptions RefreshOptions(string? config)
    {
        if (string.IsNullOrEmpty(config))
        {
            return ContinuousAggregateRefreshOptions.Empty;
        }

        using var json = JsonDocument.Parse(config);
        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            return ContinuousAggregateRefreshOptions.Empty;
        }

        int? Integer(string key) => json.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
        bool? Boolean(string key) => json.RootElement.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
        return new ContinuousAggregateRefreshOptions(Integer("buckets_per_batch"), Integer("max_batches_per_execution"), Boolean("refresh_newest_first"), Boolean("include_tiered_data"));
    }

    /// <summary><c>.WithRefreshOptions(r =&gt; r.BucketsPerBatch(...)...)</c>; null when no option is set.</summary>
    public static MethodCallCodeFragment? RefreshOptionsCall(ContinuousAggregateRefreshOptions options)
    {
        var type = typeof(ContinuousAggregateRefreshOptionsBuilder);
        MethodCallCodeFragment? inner = null;
        void Add(string method, object value)
        {
            var call = new MethodCallCodeFragment(type.GetMethod(method)!, value);
            inner = inner is null ? call : inner.Chain(call);
        }

        if (options.BucketsPerBatch is { } buckets)
        {
            Add(nameof(ContinuousAggregateRefreshOptionsBuilder.BucketsPerBatch), buckets);
        }

        if (options.MaxBatchesPerExecution is { } batches)
        {
            Add(nameof(ContinuousAggregateRefreshOptionsBuilder.MaxBatchesPerExecution), batches);
        }

        if (options.RefreshNewestFirst is { } newest)
        {
            Add(nameof(ContinuousAggregateRefreshOptionsBuilder.NewestFirst), newest);
        }

        if (options.IncludeTieredData is { } tiered)
        {
            Add(nameof(ContinuousAggregateRefreshOptionsBuilder.IncludeTieredData), tiered);
        }

        return inner is null
            ? null
            : new MethodCallCodeFragment(typeof(ContinuousAggregateBuilder).GetMethod(nameof(ContinuousAggregateBuilder.WithRefreshOptions))!, new NestedClosureCodeFragment("r", inner));
    }

    /// <summary>Chains the scaffolded storage calls on <paramref name="call"/>.</summary>
    public static MethodCallCodeFragment Chain(IEntityType entityType, IDictionary<string, IAnnotation> annotations, MethodCallCodeFragment call)
    {
        var builder = typeof(ContinuousAggregateBuilder);
        if (annotations.Remove(ChunkIntervalAnnotation, out var chunk) && chunk.Value is string interval)
        {
            var value = TimescaleInterval.Parse(interval);
            call = call.Chain(builder.GetMethod(nameof(ContinuousAggregateBuilder.WithChunkInterval), [typeof(TimeSpan)])!, value.ToTimeSpan());
        }

        if (annotations.Remove(CreateGroupIndexesAnnotation, out var groups) && groups.Value is false)
        {
            call = call.Chain(builder.GetMethod(nameof(ContinuousAggregateBuilder.CreateGroupIndexes))!, false);
        }

        if (annotations.Remove(ColumnstoreAnnotation, out var settings) && settings.Value is string text)
        {
            var store = StoreObjectIdentifier.View(entityType.GetViewName()!, entityType.GetViewSchema());
            string Property(string column) => entityType.GetProperties().FirstOrDefault(p => p.GetColumnName(store) == column)?.Name ?? column;
            var parts = text.Split('|');
            var segmentBy = ColumnstoreDefinition.SplitList(parts[0]).Select(Property).ToArray();
            var orderBy = (ColumnstoreOrder.Parse(parts[1], out _) ?? []).Select(o => o with { Name = Property(o.Name) }).ToList();
            MethodCallCodeFragment? inner = null;
            if (segmentBy.Length > 0)
            {
                inner = new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.SegmentBy))!, segmentBy.Cast<object?>().ToArray());
            }

            if (orderBy.Count > 0)
            {
                var order = new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.OrderBy))!, ColumnstoreOrder.Format(orderBy));
                inner = inner is null ? order : inner.Chain(order);
            }

            var withColumnstore = builder.GetMethod(nameof(ContinuousAggregateBuilder.WithColumnstore))!;
            call = inner is null ? call.Chain(withColumnstore, [null]) : call.Chain(withColumnstore, new NestedClosureCodeFragment("c", inner));
        }

        foreach (var kind in ContinuousAggregateStorage.PolicyKinds)
        {
            if (!annotations.Remove(PolicyAnnotation(kind), out var policy) || policy.Value is not string argument)
            {
                continue;
            }

            var closure = annotations.Remove(PolicyAnnotation(kind) + ":Schedule", out var json) && json.Value is string schedule
                ? JobScheduleCode.Closure(JobSchedule.Deserialize(schedule))
                : null;
            var byCreationTime = annotations.Remove(PolicyAnnotation(kind) + ":ByCreationTime", out var marker) && marker.Value is true;
            var value = JobScheduleCode.CodeValue(TimescaleInterval.Parse(argument));
            var method = builder.GetMethod(byCreationTime ? kind.CreatedBeforeFluentMethod! : kind.FluentMethod, [value.GetType(), typeof(Action<JobScheduleBuilder>)])!;
            call = closure is null ? call.Chain(method, value) : call.Chain(method, value, closure);
        }

        return call;
    }

    /// <summary>How many terms the last GROUP BY of a view definition (as PostgreSQL prints it) has.</summary>
    internal static int GroupByTerms(string definition)
    {
        var at = definition.LastIndexOf("GROUP BY", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return 0;
        }

        var terms = 1;
        var depth = 0;
        var quoted = false;
        foreach (var c in definition[(at + "GROUP BY".Length)..])
        {
            if (c == '\'' || c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c == ',')
            {
                terms++;
            }
            else if (!quoted && depth == 0 && c == ';')
            {
                break;
            }
        }

        return terms;
    }
}
