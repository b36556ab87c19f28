using System.Globalization;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>
/// SQL for jobs. A job is found by its procedure in <c>timescaledb_information.jobs</c>: by schema and name when the
/// model qualifies it, else by name in the first schema of the search path that has it.
/// </summary>
internal sealed class JobSqlGenerator : ITimescaleOperationSqlGenerator
{
    /// <summary>TimescaleDB's own values for settings the model leaves out, so removing a setting resets it.</summary>
    private const string DefaultMaxRuntime = "0";
    private const int DefaultMaxRetries = -1;
    private const string DefaultRetryPeriod = "5 minutes";

    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        switch (operation)
        {
            case AlterJobOperation alter:
                context.AppendCall(builder, $"alter_job(job_id, {string.Join(", ", Settings(alter))}) FROM {JobsOf(alter.Procedure)}");
                return true;
            case AddJobOperation add:
                var created = $"add_job({string.Join(", ", AddArguments(add))})";
                var retries = RetrySettings(add).ToList();
                context.AppendCall(builder, retries.Count == 0 ? created : $"alter_job(({created}), {string.Join(", ", retries)})");
                return true;
            case DeleteJobOperation delete:
                context.AppendCall(builder, $"delete_job(job_id) FROM {JobsOf(delete.Procedure)}");
                return true;
            default:
                return false;
        }
    }

    /// <summary>The jobs of a procedure, as a FROM clause with a job_id column.</summary>
    internal static string JobsOf(string procedure)
    {
        var dot = procedure.IndexOf('.', StringComparison.Ordinal);
        return dot < 0
            ? $"""
               (SELECT j.job_id FROM timescaledb_information.jobs j
                 JOIN unnest(current_schemas(false)) WITH ORDINALITY AS s(name, position) ON s.name = j.proc_schema
                WHERE j.proc_name = {TimescaleSqlContext.Literal(procedure)}
                ORDER BY s.position LIMIT 1) AS job
               """
            : $"(SELECT job_id FROM timescaledb_information.jobs WHERE proc_schema = {TimescaleSqlContext.Literal(procedure[..dot])} AND proc_name = {TimescaleSqlContext.Literal(procedure[(dot + 1)..])}) AS job";
    }

    private static IEnumerable<string> AddArguments(AddJobOperation operation)
    {
        yield return TimescaleSqlContext.Literal(operation.Procedure) + "::regproc";
        yield return Interval(operation.ScheduleInterval);
        if (operation.Config is not null)
        {
            yield return $"config => {TimescaleSqlContext.Literal(operation.Config)}::jsonb";
        }

        if (operation.InitialStart is { } start)
        {
            yield return $"initial_start => {Timestamp(start)}";
        }

        if (!operation.Scheduled)
        {
            yield return "scheduled => FALSE";
        }

        if (!operation.FixedSchedule)
        {
            yield return "fixed_schedule => FALSE";
        }

        if (operation.Timezone is not null)
        {
            yield return $"timezone => {TimescaleSqlContext.Literal(operation.Timezone)}";
        }
    }

    private static IEnumerable<string> RetrySettings(AddJobOperation operation)
    {
        if (operation.MaxRuntime is not null)
        {
            yield return $"max_runtime => {Interval(operation.MaxRuntime)}";
        }

        if (operation.MaxRetries is { } retries)
        {
            yield return $"max_retries => {retries.ToString(CultureInfo.InvariantCulture)}";
        }

        if (operation.RetryPeriod is not null)
        {
            yield return $"retry_period => {Interval(operation.RetryPeriod)}";
        }
    }

    // alter_job leaves a NULL argument unchanged, so every setting is written, defaults included. It cannot clear the
    // config, initial start or time zone: the differ deletes and adds the job for that.
    private static IEnumerable<string> Settings(AddJobOperation operation)
    {
        yield return $"schedule_interval => {Interval(operation.ScheduleInterval)}";
        yield return $"max_runtime => {Interval(operation.MaxRuntime ?? DefaultMaxRuntime)}";
        yield return $"max_retries => {(operation.MaxRetries ?? DefaultMaxRetries).ToString(CultureInfo.InvariantCulture)}";
        yield return $"retry_period => {Interval(operation.RetryPeriod ?? DefaultRetryPeriod)}";
        yield return $"scheduled => {(operation.Scheduled ? "TRUE" : "FALSE")}";
        if (operation.Config is not null)
        {
            yield return $"config => {TimescaleSqlContext.Literal(operation.Config)}::jsonb";
        }

        yield return $"fixed_schedule => {(operation.FixedSchedule ? "TRUE" : "FALSE")}";
        if (operation.InitialStart is { } start)
        {
            yield return $"initial_start => {Timestamp(start)}";
        }

        if (operation.Timezone is not null)
        {
            yield return $"timezone => {TimescaleSqlContext.Literal(operation.Timezone)}";
        }
    }

    private static string Interval(string interval) => "INTERVAL " + TimescaleSqlContext.Literal(interval == "0" ? "0 seconds" : interval);

    private static string Timestamp(DateTimeOffset value)
        => TimescaleSqlContext.Literal(value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", CultureInfo.InvariantCulture)) + "::timestamptz";

}
