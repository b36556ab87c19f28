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

/// <summary>
/// Wraps the C# operation generator registered before it (EF's, unless another design-time service replaced it): runs
/// of other operations go to it unchanged and in order; TimescaleDB operations become <c>migrationBuilder</c> calls
/// through each feature's <see cref="ITimescaleOperationCSharpGenerator"/>.
/// </summary>
internal sealed class TimescaleCSharpMigrationOperationGenerator(
    IServiceProvider services,
    ICSharpHelper code,
    IEnumerable<ITimescaleOperationCSharpGenerator> featureGenerators)
    : ICSharpMigrationOperationGenerator
{
    private readonly ITimescaleOperationCSharpGenerator[] _featureGenerators = featureGenerators.ToArray();
    private ICSharpMigrationOperationGenerator? _inner;

    private ICSharpMigrationOperationGenerator Inner
        => _inner ??= ServiceDecoration.Inner<ICSharpMigrationOperationGenerator, TimescaleCSharpMigrationOperationGenerator>(services);

    public void Generate(string builderName, IReadOnlyList<MigrationOperation> operations, IndentedStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(builder);
        var run = new List<MigrationOperation>();
        var first = true;
        foreach (var operation in operations)
        {
            if (operation is not TimescaleMigrationOperation)
            {
                run.Add(operation);
                continue;
            }

            Flush();
            Separate();
            if (((TimescaleMigrationOperation)operation).DataRewrite is { } rewrite)
            {
                builder.AppendLine("// " + rewrite.Comment);
            }

            builder.Append(builderName);
            Write(operation);
            builder.Append(";");
        }

        Flush();

        void Flush()
        {
            if (run.Count > 0)
            {
                Separate();
                Inner.Generate(builderName, run.ToArray(), builder);
                run.Clear();
            }
        }

        // EF separates the calls of a migration by one blank line.
        void Separate()
        {
            if (!first)
            {
                builder.AppendLine().AppendLine();
            }

            first = false;
        }

        void Write(MigrationOperation operation)
        {
            foreach (var feature in _featureGenerators)
            {
                if (feature.TryGenerate(operation, code, builder))
                {
                    if (((TimescaleMigrationOperation)operation).OnlyBeforeTimescale is { } gate)
                    {
                        using (builder.Indent())
                        {
                            builder.AppendLine().Append($".OnlyBeforeTimescale({code.Literal(gate)})");
                        }
                    }

                    return;
                }
            }

            throw new InvalidOperationException($"No Hourglass feature writes {operation.GetType().Name} as C#.");
        }
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

/// <summary>Migration-file calls on a table: <c>.Method(table: "t", schema: "s", ...)</c>.</summary>
internal static class TableOperationCall
{
    public static bool Write(IndentedStringBuilder builder, ICSharpHelper code, string method, TimescaleMigrationOperation operation, params (string Name, string? Value)[] arguments)
        => MigrationCallWriter.Write(
            builder,
            method,
            [("table", code.Literal(operation.Table)), ("schema", operation.Schema is null ? null : code.Literal(operation.Schema)), .. arguments]);
}
