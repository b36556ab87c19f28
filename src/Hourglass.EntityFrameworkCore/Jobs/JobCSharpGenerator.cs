using Hourglass.EntityFrameworkCore.Infrastructure;
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
                return MigrationCallWriter.Write(
                    builder,
                    job is AlterJobOperation ? "AlterJob" : "AddJob",
                    ("procedure", code.Literal(job.Procedure)),
                    ("scheduleInterval", code.Literal(job.ScheduleInterval)),
                    ("config", job.Config is null ? null : code.Literal(job.Config)),
                    ("maxRuntime", job.MaxRuntime is null ? null : code.Literal(job.MaxRuntime)),
                    ("maxRetries", job.MaxRetries is { } retries ? code.Literal(retries) : null),
                    ("retryPeriod", job.RetryPeriod is null ? null : code.Literal(job.RetryPeriod)),
                    ("initialStart", job.InitialStart is { } start ? code.Literal(start) : null),
                    ("fixedSchedule", job.FixedSchedule ? null : "false"),
                    ("timezone", job.Timezone is null ? null : code.Literal(job.Timezone)),
                    ("scheduled", job.Scheduled ? null : "false"));
            case DeleteJobOperation delete:
                return MigrationCallWriter.Write(builder, "DeleteJob", ("procedure", code.Literal(delete.Procedure)));
            default:
                return false;
        }
    }
}
