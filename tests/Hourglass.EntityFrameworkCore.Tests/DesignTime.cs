using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef` runs it

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>EF's design-time services for a context, built as `dotnet ef` builds them, and scaffolding through them.</summary>
internal static class DesignTime
{
    public static IServiceProvider Services(DbContext context)
    {
        var assembly = typeof(DesignTime).Assembly;
        return new DesignTimeServicesBuilder(assembly, assembly, new OperationReporter(null), []).Build(context);
    }

    /// <summary>What `dotnet ef dbcontext scaffold` writes for the database, limited to <paramref name="schemas"/> (all when none).</summary>
    public static ScaffoldedModel Scaffold(IServiceProvider services, string connectionString, params string[] schemas)
        => services.GetRequiredService<IReverseEngineerScaffolder>().ScaffoldModel(
            connectionString,
            new DatabaseModelFactoryOptions([], schemas),
            new ModelReverseEngineerOptions(),
            new ModelCodeGenerationOptions
            {
                ContextName = "ScaffoldedContext",
                ContextNamespace = "Scaffolded",
                ModelNamespace = "Scaffolded",
                RootNamespace = "Scaffolded",
                SuppressConnectionStringWarning = true,
                SuppressOnConfiguring = true,
            });
}
