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

    /// <summary>A refresh window offset: zero and negative (in the future) are allowed.</summary>
    public static TimescaleInterval Offset(IReadOnlyEntityType entityType, string parameter, TimeSpan value)
        => IntervalUse.Offset("interval").Require(value, "Continuous aggregate", entityType, parameter);

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

            if (string.IsNullOrWhiteSpace(definition.Sql))
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

            if (definition.Policy is { StartOffset: { } start, EndOffset: { } end }
                && start.ToTimeSpan() <= end.ToTimeSpan())
            {
                throw Error(
                    entityType,
                    "startOffset",
                    $"the refresh policy's start offset ({start}) must be greater than its end offset ({end}): the window runs from now − start to now − end",
                    $"use e.g. WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromHours(1))");
            }

            if (definition.Policy is { } policy && !policy.ScheduleInterval.IsPositive)
            {
                throw Error(entityType, "scheduleInterval", $"the schedule interval {policy.ScheduleInterval} is not positive", "give a positive interval, e.g. TimeSpan.FromHours(1)");
            }
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
        return conventionSet;
    }
}
