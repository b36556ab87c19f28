using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>Writes job operations in migration files as <c>migrationBuilder.AddJob(...)</c>, <c>AlterJob</c> and <c>DeleteJob</c>.</summary>
internal sealed class JobCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
    {
        switch (operation)
        {
            case AddJobOperation job:
                var schedule = JobScheduleCode.Arguments(job.Schedule, code);
                return MigrationCallWriter.Write(
                    builder,
                    job is AlterJobOperation ? "AlterJob" : "AddJob",
                    [("procedure", code.Literal(job.Procedure)), schedule[0], ("config", job.Config is null ? null : code.Literal(job.Config)), .. schedule[1..]]);
            case DeleteJobOperation delete:
                return MigrationCallWriter.Write(builder, "DeleteJob", ("procedure", code.Literal(delete.Procedure)));
            default:
                return false;
        }
    }
}
