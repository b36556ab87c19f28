using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Retention;

/// <summary>
/// Compares retention policies: a new one is added after everything else, a removed or changed one is removed before
/// everything else (a changed one is then added again).
/// </summary>
internal sealed class RetentionModelDiffer : ITimescaleModelDiffer
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
            var existing = pair.Source is null ? null : RetentionAnnotationNames.Find(pair.Source);
            var wanted = pair.Target is null ? null : RetentionAnnotationNames.Find(pair.Target);
            if (existing is not null && existing != wanted)
            {
                removals.Add(new RemoveRetentionPolicyOperation { Schema = pair.SourceSchema, Table = pair.SourceTable });
            }

            if (wanted is not null && wanted != existing)
            {
                after.Add(new AddRetentionPolicyOperation { Schema = pair.Schema, Table = pair.Table, DropAfter = wanted });
            }
        }

        before.InsertRange(0, removals);
    }
}

/// <summary>SQL for retention policies; the same functions in every TimescaleDB 2 version.</summary>
internal sealed class RetentionSqlGenerator : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        if (operation is not (AddRetentionPolicyOperation or RemoveRetentionPolicyOperation))
        {
            return false;
        }

        var policy = (TimescaleMigrationOperation)operation;
        var table = context.RegClass(policy.Table, policy.Schema);
        builder.Append(operation is AddRetentionPolicyOperation add
                ? $"{context.SelectOrPerform} add_retention_policy({table}, drop_after => {PolicyInterval.Sql(add.DropAfter)})"
                : $"{context.SelectOrPerform} remove_retention_policy({table}, if_exists => TRUE)")
            .AppendLine(";").EndCommand();
        return true;
    }
}

/// <summary>Writes retention operations in migration files as <c>migrationBuilder.AddRetentionPolicy(...)</c>.</summary>
internal sealed class RetentionCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation switch
        {
            AddRetentionPolicyOperation o => TableOperationCall.Write(builder, code, "AddRetentionPolicy", o, ("dropAfter", code.Literal(o.DropAfter))),
            RemoveRetentionPolicyOperation o => TableOperationCall.Write(builder, code, "RemoveRetentionPolicy", o),
            _ => false,
        };
}
