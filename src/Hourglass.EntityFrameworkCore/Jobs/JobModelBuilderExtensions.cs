using System.Text.RegularExpressions;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Jobs;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Declares TimescaleDB jobs (user-defined actions) in the EF Core model.</summary>
public static partial class JobModelBuilderExtensions
{
    /// <summary>
    /// Schedules a procedure as a TimescaleDB job: migrations call <c>add_job(procedure, schedule_interval, ...)</c>, change it
    /// with <c>alter_job</c> and remove it with <c>delete_job</c>. The procedure takes <c>(job_id int, config jsonb)</c> and must
    /// exist when the migration adds the job, e.g. created by <c>migrationBuilder.Sql("CREATE PROCEDURE ...")</c> earlier in
    /// the same migration. One job per procedure.
    /// </summary>
    /// <param name="modelBuilder">The model builder.</param>
    /// <param name="procedure">The procedure, as <c>name</c> (found through the search path) or <c>schema.name</c>.</param>
    /// <param name="scheduleInterval">How often the job runs.</param>
    /// <returns>A builder for the job's config, retries and schedule.</returns>
    public static JobBuilder HasJob(this ModelBuilder modelBuilder, string procedure, TimeSpan scheduleInterval)
        => Job(modelBuilder, procedure).WithSchedule(s => s.Every(scheduleInterval));

    /// <summary>
    /// Schedules a procedure as a TimescaleDB job, as <see cref="HasJob(ModelBuilder, string, TimeSpan)"/> does, with the
    /// interval given as text: the way to run a job by calendar months, e.g. <c>HasJob("close_books", "1 month")</c>.
    /// </summary>
    /// <param name="modelBuilder">The model builder.</param>
    /// <param name="procedure">The procedure, as <c>name</c> (found through the search path) or <c>schema.name</c>.</param>
    /// <param name="scheduleInterval">How often the job runs, as interval text such as "1 month", "1 year" or "6 hours".</param>
    /// <returns>A builder for the job's config, retries and schedule.</returns>
    public static JobBuilder HasJob(this ModelBuilder modelBuilder, string procedure, string scheduleInterval)
        => Job(modelBuilder, procedure).WithSchedule(s => s.Every(scheduleInterval));

    private static JobBuilder Job(ModelBuilder modelBuilder, string procedure)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        ArgumentNullException.ThrowIfNull(procedure);
        if (!ProcedureName().IsMatch(procedure))
        {
            throw new InvalidOperationException(
                $"Job '{procedure}': the procedure must be written as name or schema.name (letters, digits, _ and $; lower case, as PostgreSQL folds unquoted names). Fix: pass e.g. \"refresh_scores\" or \"analytics.refresh_scores\".");
        }

        TimescalePluginCheck.Require(modelBuilder.Model, $"Job '{procedure}'", "HasJob(...)");
        var existing = modelBuilder.Model.FindAnnotation(JobDefinition.AnnotationPrefix + procedure)?.Value is string json
            ? JobDefinition.Deserialize(json)
            : new JobDefinition { Procedure = procedure };
        return new JobBuilder(modelBuilder.Model, existing);
    }

    [GeneratedRegex(@"^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$")]
    private static partial Regex ProcedureName();
}
