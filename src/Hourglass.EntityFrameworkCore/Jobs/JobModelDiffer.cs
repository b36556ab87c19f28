using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>
/// Compares the jobs of two models by procedure. Removals run before EF's operations (a migration may drop the
/// procedure); additions and changes after them. A change keeps the job (alter_job) unless it clears a setting
/// alter_job cannot clear (config, initial start, time zone; see <see cref="JobScheduleComparison"/>); then the job is
/// deleted and added again.
/// </summary>
internal sealed class JobModelDiffer : ITimescaleModelDiffer
{
    public void AddDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        List<MigrationOperation> before,
        List<MigrationOperation> after)
    {
        var existing = JobDefinition.All(source?.Model);
        var wanted = JobDefinition.All(target?.Model);
        foreach (var procedure in existing.Keys)
        {
            if (!wanted.ContainsKey(procedure))
            {
                before.Add(new DeleteJobOperation { Procedure = procedure });
            }
        }

        foreach (var (procedure, job) in wanted)
        {
            if (!existing.TryGetValue(procedure, out var old))
            {
                after.Add(Fill(new AddJobOperation(), job));
            }
            else if (old != job)
            {
                // alter_job cannot clear a config; the schedule says what else it cannot do in place.
                if ((old.Config is not null && job.Config is null)
                    || JobScheduleComparison.InPlace(old.Schedule, job.Schedule, JobDefinition.Defaults) is null)
                {
                    after.Add(new DeleteJobOperation { Procedure = procedure });
                    after.Add(Fill(new AddJobOperation(), job));
                }
                else
                {
                    after.Add(Fill(new AlterJobOperation(), job));
                }
            }
        }
    }

    private static AddJobOperation Fill(AddJobOperation operation, JobDefinition job)
    {
        operation.Procedure = job.Procedure;
        operation.Config = job.Config;
        operation.Schedule = job.Schedule;
        return operation;
    }
}
