using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Reorder;

/// <summary>
/// Compares reorder policies by index name: a new one is added after everything else (after EF created the index), a
/// removed or changed one is removed before everything else (a changed one is then added again).
/// </summary>
internal sealed class ReorderModelDiffer : ITimescaleModelDiffer
{
    public void AddDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        List<MigrationOperation> before,
        List<MigrationOperation> after)
    {
        var removals = new List<MigrationOperation>();
        foreach (var pair in HypertableFeaturePair.All(source, target, efOperations, after))
        {
            var existing = pair.Source is null ? null : ReorderAnnotationNames.Find(pair.Source);
            var wanted = pair.Target is null ? null : ReorderAnnotationNames.Find(pair.Target);
            if (existing is not null && existing != wanted)
            {
                removals.Add(new RemoveReorderPolicyOperation { Schema = pair.SourceSchema, Table = pair.SourceTable });
            }

            if (wanted is not null && wanted != existing)
            {
                after.Add(new AddReorderPolicyOperation { Schema = pair.Schema, Table = pair.Table, IndexName = wanted });
            }
        }

        before.InsertRange(0, removals);
    }
}

/// <summary>SQL for reorder policies; the same functions in every TimescaleDB 2 version.</summary>
internal sealed class ReorderSqlGenerator : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not (AddReorderPolicyOperation or RemoveReorderPolicyOperation))
        {
            return false;
        }

        var policy = (TimescaleMigrationOperation)operation;
        var table = context.RegClass(policy.Table, policy.Schema);
        builder.Append(operation is AddReorderPolicyOperation add
                ? $"{context.SelectOrPerform} add_reorder_policy({table}, {TimescaleSqlContext.Literal(add.IndexName)})"
                : $"{context.SelectOrPerform} remove_reorder_policy({table}, if_exists => TRUE)")
            .AppendLine(";").EndCommand();
        return true;
    }
}

/// <summary>Writes reorder operations in migration files as <c>migrationBuilder.AddReorderPolicy(...)</c>.</summary>
internal sealed class ReorderCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation switch
        {
            AddReorderPolicyOperation o => TableOperationCall.Write(builder, code, "AddReorderPolicy", o, ("indexName", code.Literal(o.IndexName))),
            RemoveReorderPolicyOperation o => TableOperationCall.Write(builder, code, "RemoveReorderPolicy", o),
            _ => false,
        };
}
