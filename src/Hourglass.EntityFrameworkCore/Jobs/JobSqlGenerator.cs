using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
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
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        switch (operation)
        {
            case AlterJobOperation alter:
                // Every setting is written, defaults included, so a setting the model no longer names returns to add_job's default.
                var settings = JobScheduleSql.Settings(JobDefinition.Defaults.ResetValues(alter.Schedule).Over(alter.Schedule));
                if (alter.Config is not null)
                {
                    settings.Add($"config => {TimescaleSqlContext.Literal(alter.Config)}::jsonb");
                }

                JobScheduleSql.AppendAlter(context, builder, JobsOf(alter.Procedure), settings);
                return true;
            case AddJobOperation add:
                string[] arguments =
                [
                    TimescaleSqlContext.Literal(add.Procedure) + "::regproc",
                    .. JobScheduleSql.CreateArguments(add.Schedule, JobDefinition.Defaults),
                    .. add.Config is null ? Array.Empty<string>() : [$"config => {TimescaleSqlContext.Literal(add.Config)}::jsonb"],
                ];
                var created = $"add_job({string.Join(", ", arguments)})";
                var rest = JobScheduleSql.SettingsAfterCreate(add.Schedule, JobDefinition.Defaults);
                context.AppendCall(builder, rest.Count == 0 ? created : $"alter_job(({created}), {string.Join(", ", rest)})");
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
}
