using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Jobs.JobServices))]

namespace Hourglass.EntityFrameworkCore.Jobs;

/// <summary>The jobs feature's services.</summary>
internal sealed class JobServices : ITimescaleFeature
{
    // User jobs after the policies, which are jobs too.
    public int Order => 500;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, JobConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, JobModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, JobSqlGenerator>());
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, JobCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, JobScaffoldingReader>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, JobScaffoldingCodeGenerator>());
    }
}

/// <summary>
/// Checks each job's complete schedule once the model is built: its interval (<c>HasJob</c>) and whether it drifts
/// (<c>AfterPreviousRun</c>) come from separate calls, in any order.
/// </summary>
internal sealed class JobScheduleConvention : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var job in JobDefinition.All(modelBuilder.Metadata).Values)
        {
            JobScheduleBuilder.Check($"Job {job.Procedure}", job.Schedule, JobDefinition.Defaults);
        }
    }
}

/// <summary>Adds the job convention to the provider's convention set.</summary>
internal sealed class JobConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.ModelFinalizingConventions.Add(new JobScheduleConvention());
        return conventionSet;
    }
}
