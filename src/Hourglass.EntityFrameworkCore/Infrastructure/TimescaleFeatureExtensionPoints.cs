using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>What a feature's SQL generation gets to work with.</summary>
internal sealed record TimescaleSqlContext(
    TimescaleServerTarget Target,
    ISqlGenerationHelper Sql,
    bool Idempotent)
{
    /// <summary>Idempotent scripts wrap statements in DO blocks, where a bare SELECT is an error.</summary>
    public string SelectOrPerform => Idempotent ? "PERFORM" : "SELECT";

    /// <summary>A table as a regclass literal: <c>'"schema"."table"'</c>.</summary>
    public string RegClass(string table, string? schema) => Literal(Sql.DelimitIdentifier(table, schema));

    /// <summary>Writes <c>SELECT call;</c> (<c>PERFORM</c> in idempotent scripts) as one migration command.</summary>
    public void AppendCall(MigrationCommandListBuilder builder, string call)
        => builder.Append(SelectOrPerform + " " + call).AppendLine(";").EndCommand();

    /// <summary>A SQL string literal.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}

/// <summary>Turns a feature's migration operations into SQL. Each TimescaleDB feature registers one.</summary>
internal interface ITimescaleOperationSqlGenerator
{
    /// <summary>Writes the SQL for <paramref name="operation"/> and returns true, or returns false when it is not this feature's.</summary>
    bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder);
}

/// <summary>Finds a feature's differences between two models. Each TimescaleDB feature registers one.</summary>
internal interface ITimescaleModelDiffer
{
    /// <summary>
    /// Adds operations to run <paramref name="before"/> EF's own (e.g. undoing a hypertable before its columns change)
    /// and <paramref name="after"/> them (e.g. creating a hypertable once its table exists).
    /// </summary>
    void AddDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        List<MigrationOperation> before,
        List<MigrationOperation> after);
}
