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
                ("integerNowFunction", o.IntegerNowFunction is null ? null : code.Literal(o.IntegerNowFunction)),
                ("uuidV7", o.UuidV7 ? "true" : null)),
            AddHypertableDimensionOperation o => Call(
                "AddHypertableDimension",
                ("table", code.Literal(o.Table)),
                ("schema", o.Schema is null ? null : code.Literal(o.Schema)),
                ("column", code.Literal(o.Column)),
                ("numberOfPartitions", o.NumberOfPartitions is { } n ? code.Literal(n) : null),
                ("interval", o.Interval is null ? null : code.Literal(o.Interval)),
                ("uuidV7", o.UuidV7 ? "true" : null)),
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
        return call is not null && MigrationCallWriter.Write(builder, call.Value.Method, call.Value.Arguments);
    }

    private static (string Method, (string Name, string? Value)[] Arguments)? Call(string method, params (string Name, string? Value)[] arguments)
        => (method, arguments);
}
