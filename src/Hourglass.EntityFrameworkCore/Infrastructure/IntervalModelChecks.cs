using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>The EF side of <see cref="TimescaleInterval"/>: model errors that name the entity, and values for generated C#.</summary>
internal static class IntervalModelChecks
{
    /// <summary>
    /// The interval <paramref name="value"/> (text, time span, integer) where <paramref name="use"/> takes it, or the
    /// model error that names the entity, the property and the fix.
    /// </summary>
    public static TimescaleInterval Require(this IntervalUse use, object value, string feature, IReadOnlyEntityType entityType, string property)
    {
        var (interval, problem) = use.Check(value);
        return problem is null ? interval : throw TimescaleModelError.Create(feature, entityType, property, problem, use.Fix);
    }

    /// <summary>
    /// The value a C# call takes for this interval in generated code (migration files, scaffolded models): the text for
    /// time lengths, the number for integer amounts.
    /// </summary>
    public static object ToCodeValue(this TimescaleInterval interval) => interval.IsInteger ? interval.Microseconds : interval.ToString();
}

/// <summary>The one wording of model errors: "Feature on entity 'E', property 'P': problem. Fix: fix."</summary>
internal static class TimescaleModelError
{
    public static InvalidOperationException Create(string feature, IReadOnlyEntityType entityType, string property, string problem, string fix)
        => new($"{feature} on entity '{entityType.DisplayName()}', property '{property}': {problem}. Fix: {fix}.");
}
