using System.Data.Common;
using System.Reflection;
using Hourglass.EntityFrameworkCore.Hypertables;
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

    public void Read(DbConnection connection, DatabaseModel model)
    {
        var rows = CatalogQueries.Rows(
            connection,
            """
            SELECT proc_schema::text, proc_name::text, schedule_interval, config::text, max_runtime, max_retries, retry_period,
                   initial_start, fixed_schedule, scheduled
            FROM timescaledb_information.jobs
            WHERE proc_schema NOT IN ('_timescaledb_functions', '_timescaledb_internal')
            ORDER BY job_id
            """);
        foreach (var row in rows)
        {
            var procedure = (string)row[0]! == "public" ? (string)row[1]! : $"{row[0]}.{row[1]}";
            var job = new JobDefinition
            {
                Procedure = procedure,
                ScheduleInterval = Interval(row[2])!,
                Config = (string?)row[3],
                MaxRuntime = row[4] is TimeSpan { Ticks: > 0 } ? Interval(row[4]) : null,
                MaxRetries = row[5] is int retries && retries != -1 ? retries : null,
                RetryPeriod = row[6] is TimeSpan period && period != TimeSpan.FromMinutes(5) ? Interval(period) : null,
                InitialStart = row[7] switch
                {
                    DateTime start => new DateTimeOffset(DateTime.SpecifyKind(start, DateTimeKind.Utc)),
                    DateTimeOffset start => start,
                    _ => null,
                },
                FixedSchedule = row[8] is not false,
                Scheduled = row[9] is not false,
            };
            model[ScaffoldPrefix + procedure] = job.Serialize();
        }
    }

    private static string? Interval(object? value) => value is TimeSpan span ? ChunkInterval.Normalize(span, out _) : null;
}

/// <summary>Writes scaffolded jobs as <c>modelBuilder.HasJob("proc", TimeSpan).WithConfig(...)...</c>.</summary>
internal sealed class JobScaffoldingCodeGenerator : ITimescaleScaffoldingCodeGenerator
{
    private static readonly MethodInfo s_hasJob = typeof(JobModelBuilderExtensions).GetMethod(nameof(JobModelBuilderExtensions.HasJob))!;

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations) => [];

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IModel model, IDictionary<string, IAnnotation> annotations)
    {
        foreach (var name in annotations.Keys.Where(k => k.StartsWith(JobScaffoldingReader.ScaffoldPrefix, StringComparison.Ordinal)).ToList())
        {
            annotations.Remove(name, out var annotation);
            var job = JobDefinition.Deserialize((string)annotation!.Value!);
            var builder = typeof(JobBuilder);
            var call = new MethodCallCodeFragment(s_hasJob, job.Procedure, ChunkInterval.ToTimeSpan(job.ScheduleInterval));
            if (job.Config is not null)
            {
                call = call.Chain(builder.GetMethod(nameof(JobBuilder.WithConfig), [typeof(string)])!, job.Config);
            }

            if (job.MaxRuntime is not null)
            {
                call = call.Chain(builder.GetMethod(nameof(JobBuilder.WithMaxRuntime))!, ChunkInterval.ToTimeSpan(job.MaxRuntime));
            }

            if (job.MaxRetries is { } retries)
            {
                call = call.Chain(builder.GetMethod(nameof(JobBuilder.WithMaxRetries))!, retries);
            }

            if (job.RetryPeriod is not null)
            {
                call = call.Chain(builder.GetMethod(nameof(JobBuilder.WithRetryPeriod))!, ChunkInterval.ToTimeSpan(job.RetryPeriod));
            }

            if (job.InitialStart is { } start)
            {
                call = call.Chain(builder.GetMethod(nameof(JobBuilder.StartingAt))!, start);
            }

            if (!job.FixedSchedule)
            {
                call = call.Chain(builder.GetMethod(nameof(JobBuilder.AfterPreviousRun))!);
            }

            if (!job.Scheduled)
            {
                call = call.Chain(builder.GetMethod(nameof(JobBuilder.Paused))!);
            }

            yield return call;
        }
    }
}
