using System.Reflection;
using Hourglass.EntityFrameworkCore.Scheduling;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>Reads user-defined jobs (not TimescaleDB's own policy jobs) so they scaffold as <c>modelBuilder.HasJob(...)</c>.</summary>
internal sealed class JobScaffoldingReader : ITimescaleScaffoldingReader
{
    public const string ScaffoldPrefix = "Hourglass:Scaffold:Job:";

    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        // Only the jobs of the schemas asked for, as EF limits tables.
        var schemas = model[TimescaleDatabaseModelFactory.ScaffoldedSchemasAnnotation] as IReadOnlyList<string> ?? [];
        foreach (var row in catalog.Jobs.Where(j => !j.IsTimescaleProcedure))
        {
            if (schemas.Count > 0 && !schemas.Contains(row.ProcedureSchema))
            {
                continue;
            }

            var procedure = row.ProcedureSchema == "public" ? row.ProcedureName : $"{row.ProcedureSchema}.{row.ProcedureName}";
            var job = new JobDefinition
            {
                Procedure = procedure,
                Config = row.Config,
                Schedule = JobScheduleCatalog.Read(row, JobDefinition.Defaults),
            };
            model[ScaffoldPrefix + procedure] = job.Serialize();
        }
    }
}

/// <summary>Writes scaffolded jobs as <c>modelBuilder.HasJob("proc", TimeSpan or "1 month").WithConfig(...).WithSchedule(s =&gt; ...)</c>.</summary>
internal sealed class JobScaffoldingCodeGenerator : ITimescaleScaffoldingCodeGenerator
{
    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations) => [];

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IModel model, IDictionary<string, IAnnotation> annotations)
    {
        foreach (var name in annotations.Keys.Where(k => k.StartsWith(JobScaffoldingReader.ScaffoldPrefix, StringComparison.Ordinal)).ToList())
        {
            annotations.Remove(name, out var annotation);
            var job = JobDefinition.Deserialize((string)annotation!.Value!);
            // A time span as users write it; interval text when it has months (HasJob("p", "1 month")).
            var interval = JobScheduleCode.CodeValue(job.Schedule.ScheduleInterval ?? TimescaleInterval.Zero);
            var hasJob = typeof(JobModelBuilderExtensions).GetMethod(nameof(JobModelBuilderExtensions.HasJob), [typeof(ModelBuilder), typeof(string), interval.GetType()])!;
            var call = new MethodCallCodeFragment(hasJob, job.Procedure, interval);
            if (job.Config is not null)
            {
                call = call.Chain(typeof(JobBuilder).GetMethod(nameof(JobBuilder.WithConfig), [typeof(string)])!, job.Config);
            }

            if (JobScheduleCode.Closure(job.Schedule with { ScheduleInterval = null }) is { } schedule)
            {
                call = call.Chain(typeof(JobBuilder).GetMethod(nameof(JobBuilder.WithSchedule))!, schedule);
            }

            yield return call;
        }
    }
}
