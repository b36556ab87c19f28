using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Hypertables;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// Checks continuous aggregate declarations and explains every problem as "entity, property, what is wrong, how to fix
/// it", when the model is built: before anything reaches the database.
/// </summary>
internal static class ContinuousAggregateModelErrors
{
    public static InvalidOperationException Error(IReadOnlyEntityType entityType, string property, string problem, string fix)
        => TimescaleModelError.Create("Continuous aggregate", entityType, property, problem, fix);

    /// <summary>
    /// A refresh window offset: a time span or interval text (months, zero and negative, in the future, allowed), or an
    /// amount of an integer time column's units (any number).
    /// </summary>
    public static TimescaleInterval Offset(IReadOnlyEntityType entityType, string parameter, object value)
        => value is long amount ? TimescaleInterval.FromInteger(amount) : IntervalUse.Offset("interval").Require(value, "Continuous aggregate", entityType, parameter);

    /// <summary>The refresh policy's schedule interval: a time span, or interval text (which may have months).</summary>
    public static TimescaleInterval ScheduleInterval(IReadOnlyEntityType entityType, object value)
        => s_scheduleInterval.Require(value, "Continuous aggregate", entityType, "scheduleInterval");

    private static readonly IntervalUse s_scheduleInterval = IntervalUse.JobSetting("schedule interval", "give a positive interval, e.g. TimeSpan.FromHours(1) or \"1 month\"");

    /// <summary>Throws for the first problem in the model's continuous aggregate declarations.</summary>
    public static void Validate(IReadOnlyModel model)
    {
        var entityTypes = model.GetEntityTypes().ToList();
        var byView = new Dictionary<(string? Schema, string View), IReadOnlyEntityType>();
        foreach (var entityType in entityTypes)
        {
            if (ContinuousAggregateDefinition.Find(entityType) is not { } definition)
            {
                continue;
            }

            var view = entityType.GetViewName();
            if (view is null)
            {
                throw Error(entityType, "ViewName", "the entity is not mapped to a view", "call IsContinuousAggregate(\"view_name\", sql) and do not remove the view mapping with ToView(null)");
            }

            if (string.IsNullOrWhiteSpace(definition.Sql) && ContinuousAggregateQuery.Find(entityType) is null)
            {
                throw Error(entityType, "Sql", $"the query of view '{view}' is empty", "pass the aggregate query, e.g. IsContinuousAggregate(\"" + view + "\", \"SELECT time_bucket('1 hour', time) AS bucket, avg(value) AS avg_value FROM metrics GROUP BY 1\")");
            }

            if (entityType.GetTableName() is { } table)
            {
                throw Error(entityType, "TableName", $"the entity is mapped to table '{table}' as well as to continuous aggregate '{view}', and a continuous aggregate is read-only", "remove ToTable(...) from this entity (or call ToTable((string?)null)); map the source rows to their own entity");
            }

            var key = (entityType.GetViewSchema(), view);
            if (byView.TryGetValue(key, out var other))
            {
                throw Error(entityType, "ViewName", $"view '{view}' is already the continuous aggregate of entity '{other.DisplayName()}'", "give each continuous aggregate its own view name");
            }

            byView[key] = entityType;
            var clash = entityTypes.FirstOrDefault(e => e != entityType && e.GetTableName() == view && e.GetSchema() == key.Item1)
                ?? entityTypes.FirstOrDefault(e => e != entityType && ContinuousAggregateDefinition.Find(e) is null && e.GetViewName() == view && e.GetViewSchema() == key.Item1);
            if (clash is not null)
            {
                throw Error(entityType, "ViewName", $"the name '{view}' is also used by entity '{clash.DisplayName()}' ({(clash.GetTableName() == view ? "table" : "view")})", "choose a view name no table or other view of the model uses");
            }

            if (definition.Policy is { } refresh)
            {
                CheckWindow(entityType, definition.Sql, refresh);
            }
            else if (!definition.RefreshOptions.IsEmpty)
            {
                throw Error(entityType, "RefreshOptions", "refresh options are declared, but the aggregate has no refresh policy for them to tune", "add WithRefreshPolicy(...) before WithRefreshOptions(...), or remove WithRefreshOptions(...)");
            }

            if (definition.Policy is { } policy && !policy.ScheduleInterval.IsPositive)
            {
                throw Error(entityType, "scheduleInterval", $"the schedule interval {policy.ScheduleInterval} is not positive", "give a positive interval, e.g. TimeSpan.FromHours(1)");
            }
        }
    }

    /// <summary>
    /// The refresh window as TimescaleDB's add_continuous_aggregate_policy checks it: start after end, time offsets for
    /// a time bucket, and at least two buckets between the offsets, a month counted as 30 days (as the server counts it).
    /// </summary>
    internal static void CheckWindow(IReadOnlyEntityType entityType, string sql, ContinuousAggregatePolicy policy)
    {
        const string Example = "use e.g. WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromHours(1)), or WithRefreshPolicy(\"3 months\", \"1 day\", \"1 day\") for months";
        var bucket = ContinuousAggregateSql.BucketWidth(sql);
        if (policy is { StartOffset: { } first, EndOffset: { } second } && first.IsInteger != second.IsInteger)
        {
            throw Error(entityType, "endOffset", $"one offset is an integer amount and the other a time interval ({first}, {second})", "give both as integers for an integer time column, or both as time intervals");
        }

        if (bucket is { } kind && (policy.StartOffset ?? policy.EndOffset) is { } offset && offset.IsInteger != kind.IsInteger)
        {
            throw Error(
                entityType,
                policy.StartOffset is null ? "endOffset" : "startOffset",
                kind.IsInteger
                    ? $"the query buckets an integer time column (time_bucket({kind}, ...)), so TimescaleDB takes integer offsets for its refresh policy, not the interval {offset}"
                    : $"the query buckets a time column (time_bucket('{kind}', ...)), so TimescaleDB takes time intervals for its refresh policy's offsets, not the integer {offset}",
                kind.IsInteger
                    ? "give the offsets in the time column's units, e.g. WithRefreshPolicy(100, 10, \"1 hour\")"
                    : "give time spans or interval text, e.g. WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))");
        }

        if (policy is not { StartOffset: { } start, EndOffset: { } end })
        {
            return;
        }

        var window = start.PolicyCheckLength - end.PolicyCheckLength;
        if (window <= 0)
        {
            throw Error(
                entityType,
                "startOffset",
                $"the refresh policy's start offset ({start}) must be greater than its end offset ({end}): the window runs from now − start to now − end{(start.HasMonths || end.HasMonths ? ", and TimescaleDB counts a month as 30 days" : "")}",
                Example);
        }

        if (bucket is { } width && window < 2 * width.PolicyCheckLength)
        {
            var twoBuckets = width.IsInteger ? TimescaleInterval.FromInteger(2 * width.Microseconds)
                : width.HasMonths && width.Microseconds == 0 ? TimescaleInterval.FromMonths(2 * width.Months)
                : TimescaleInterval.FromMicroseconds((long)(2 * width.PolicyCheckLength));
            throw Error(
                entityType,
                "startOffset",
                $"the refresh window from now − {start} to now − {end} is shorter than two of the query's {(width.IsInteger ? $"buckets of {width}" : $"{width} buckets")}, and TimescaleDB refuses such a policy (\"policy refresh window too small\"{(width.IsInteger ? "" : "; it counts a month as 30 days")})",
                $"make the start offset at least {twoBuckets} more than the end offset ({end}), or remove one of them for an unbounded window");
        }
    }
}

/// <summary>Validates continuous aggregate declarations once the model is complete.</summary>
internal sealed class ContinuousAggregateValidationConvention : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
        => ContinuousAggregateModelErrors.Validate(modelBuilder.Metadata);
}

/// <summary>Adds the continuous aggregate conventions to the provider's convention set.</summary>
internal sealed class ContinuousAggregateConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.Add(new ContinuousAggregateValidationConvention());
        conventionSet.Add(new ContinuousAggregateQueryCheckConvention());
        return conventionSet;
    }
}
