using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>Writes columnstore operations in migration files as <c>migrationBuilder.SetColumnstore(...)</c> and friends.</summary>
internal sealed class ColumnstoreCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
    {
        var call = operation switch
        {
            SetColumnstoreOperation o => FeatureCall.Create(
                "SetColumnstore",
                code,
                o,
                ("segmentBy", o.SegmentBy is null ? null : code.Literal(o.SegmentBy)),
                ("orderBy", o.OrderBy is null ? null : code.Literal(o.OrderBy)),
                ("resetUnset", o.ResetUnset ? "true" : null)),
            DisableColumnstoreOperation o => FeatureCall.Create("DisableColumnstore", code, o),
            AddColumnstorePolicyOperation o => FeatureCall.Create("AddColumnstorePolicy", code, o, ("after", code.Literal(o.After))),
            RemoveColumnstorePolicyOperation o => FeatureCall.Create("RemoveColumnstorePolicy", code, o),
            _ => null,
        };
        call?.WriteTo(builder);
        return call is not null;
    }
}
