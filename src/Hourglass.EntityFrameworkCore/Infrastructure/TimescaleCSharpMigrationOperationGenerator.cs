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
