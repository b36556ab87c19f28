using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>Writes a feature's operation in a migration file as a readable <c>migrationBuilder</c> call.</summary>
internal interface ITimescaleOperationCSharpGenerator
{
    /// <summary>Appends <c>.Method(args)</c> (the receiver is already written) and returns true, or returns false when the operation is not this feature's.</summary>
    bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder);
}

/// <summary>EF's C# operation generator plus the TimescaleDB features' operations.</summary>
internal sealed class TimescaleCSharpMigrationOperationGenerator(
    CSharpMigrationOperationGeneratorDependencies dependencies,
    IEnumerable<ITimescaleOperationCSharpGenerator> featureGenerators)
    : CSharpMigrationOperationGenerator(dependencies)
{
    private readonly ITimescaleOperationCSharpGenerator[] _featureGenerators = featureGenerators.ToArray();

    // EF dispatches known operation types itself and sends every other type here.
    protected override void Generate(MigrationOperation operation, IndentedStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(operation);
        foreach (var feature in _featureGenerators)
        {
            if (feature.TryGenerate(operation, Dependencies.CSharpHelper, builder))
            {
                return;
            }
        }

        base.Generate(operation, builder);
    }
}

/// <summary>Writes <c>.Method(name: value, ...)</c> with one named argument per line, leaving out null values.</summary>
internal static class MigrationCallWriter
{
    public static bool Write(IndentedStringBuilder builder, string? method, params (string Name, string? Value)[] arguments)
    {
        if (method is null)
        {
            return false;
        }

        var written = arguments.Where(a => a.Value is not null).Select(a => $"{a.Name}: {a.Value}").ToList();
        builder.AppendLine("." + method + "(");
        using (builder.Indent())
        {
            for (var i = 0; i < written.Count; i++)
            {
                builder.Append(written[i]);
                if (i < written.Count - 1)
                {
                    builder.AppendLine(",");
                }
            }

            builder.Append(")");
        }

        return true;
    }
}
