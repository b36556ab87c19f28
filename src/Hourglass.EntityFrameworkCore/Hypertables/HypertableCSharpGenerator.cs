using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Writes hypertable operations in migration files as <c>migrationBuilder.CreateHypertable(...)</c> and friends.</summary>
internal sealed class HypertableCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
    {
        var call = operation switch
        {
            CreateHypertableOperation o => Call(
                "CreateHypertable",
                ("name", code.Literal(o.Table)),
                ("schema", o.Schema is null ? null : code.Literal(o.Schema)),
                ("timeColumn", code.Literal(o.TimeColumn)),
                ("chunkInterval", o.ChunkInterval is null ? null : code.Literal(o.ChunkInterval)),
                ("createDefaultIndexes", o.CreateDefaultIndexes ? null : "false"),
                ("migrateData", o.MigrateData ? "true" : null),
                ("integerNowFunction", o.IntegerNowFunction is null ? null : code.Literal(o.IntegerNowFunction))),
            AddHypertableDimensionOperation o => Call(
                "AddHypertableDimension",
                ("table", code.Literal(o.Table)),
                ("schema", o.Schema is null ? null : code.Literal(o.Schema)),
                ("column", code.Literal(o.Column)),
                ("numberOfPartitions", o.NumberOfPartitions is { } n ? code.Literal(n) : null),
                ("interval", o.Interval is null ? null : code.Literal(o.Interval))),
            SetHypertableChunkIntervalOperation o => Call(
                "SetHypertableChunkInterval",
                ("table", code.Literal(o.Table)),
                ("schema", o.Schema is null ? null : code.Literal(o.Schema)),
                ("column", o.Column is null ? null : code.Literal(o.Column)),
                ("interval", code.Literal(o.Interval))),
            SetHypertablePartitionsOperation o => Call(
                "SetHypertablePartitions",
                ("table", code.Literal(o.Table)),
                ("schema", o.Schema is null ? null : code.Literal(o.Schema)),
                ("column", code.Literal(o.Column)),
                ("numberOfPartitions", code.Literal(o.NumberOfPartitions))),
            SetHypertableIntegerNowFunctionOperation o => Call(
                "SetHypertableIntegerNowFunction",
                ("table", code.Literal(o.Table)),
                ("schema", o.Schema is null ? null : code.Literal(o.Schema)),
                ("function", code.Literal(o.Function))),
            ConvertHypertableToTableOperation o => Call(
                "ConvertHypertableToTable",
                ("name", code.Literal(o.Table)),
                ("schema", o.Schema is null ? null : code.Literal(o.Schema)),
                ("timeColumn", o.TimeColumn is null ? null : code.Literal(o.TimeColumn))),
            _ => null,
        };
        if (call is null)
        {
            return false;
        }

        builder.AppendLine("." + call.Value.Method + "(");
        using (builder.Indent())
        {
            var arguments = call.Value.Arguments;
            for (var i = 0; i < arguments.Count; i++)
            {
                builder.Append(arguments[i]);
                if (i < arguments.Count - 1)
                {
                    builder.AppendLine(",");
                }
            }

            builder.Append(")");
        }

        return true;
    }

    private static (string Method, List<string> Arguments)? Call(string method, params (string Name, string? Value)[] arguments)
        => (method, arguments.Where(a => a.Value is not null).Select(a => $"{a.Name}: {a.Value}").ToList());
}
