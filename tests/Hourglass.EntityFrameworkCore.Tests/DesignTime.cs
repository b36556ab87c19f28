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

    /// <summary>The scaffolded context, compiled and created for <paramref name="connectionString"/> (Npgsql with NodaTime and Timescale).</summary>
    public static DbContext Compile(string connectionString, ScaffoldedModel scaffolded)
    {
        foreach (var name in new[] { "Hourglass.EntityFrameworkCore", "Npgsql.EntityFrameworkCore.PostgreSQL", "Microsoft.EntityFrameworkCore.Relational" })
        {
            System.Reflection.Assembly.Load(name);
        }

        var references = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && a.Location.Length > 0)
            .Select(a => Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(a.Location));
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
            "Scaffolded" + Guid.NewGuid().ToString("N"),
            new[] { scaffolded.ContextFile.Code }.Concat(scaffolded.AdditionalFiles.Select(f => f.Code)).Select(code => Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(code)),
            references,
            new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: Microsoft.CodeAnalysis.NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Xunit.Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)));
        var assembly = System.Reflection.Assembly.Load(image.ToArray());
        var contextType = assembly.GetTypes().Single(t => typeof(DbContext).IsAssignableFrom(t));
        var options = (DbContextOptionsBuilder)Activator.CreateInstance(typeof(DbContextOptionsBuilder<>).MakeGenericType(contextType))!;
        options.UseNpgsql(connectionString, o => o.UseNodaTime().UseTimescale());
        return (DbContext)Activator.CreateInstance(contextType, options.Options)!;
    }
}
