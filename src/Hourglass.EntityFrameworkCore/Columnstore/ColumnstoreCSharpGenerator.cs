using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>Writes columnstore operations in migration files as <c>migrationBuilder.SetColumnstore(...)</c> and <c>DisableColumnstore(...)</c>.</summary>
internal sealed class ColumnstoreCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation switch
        {
            SetColumnstoreOperation o => TableOperationCall.Write(
                builder,
                code,
                "SetColumnstore",
                o,
                ("segmentBy", o.SegmentBy is null ? null : code.Literal(o.SegmentBy)),
                ("orderBy", o.OrderBy is null ? null : code.Literal(o.OrderBy)),
                ("sparseIndexes", o.SparseIndexes is null ? null : code.Literal(o.SparseIndexes)),
                ("mergedChunkInterval", o.MergedChunkInterval is null ? null : code.Literal(o.MergedChunkInterval)),
                ("resetUnset", o.ResetUnset ? "true" : null)),
            DisableColumnstoreOperation o => TableOperationCall.Write(builder, code, "DisableColumnstore", o),
            _ => false,
        };
}
