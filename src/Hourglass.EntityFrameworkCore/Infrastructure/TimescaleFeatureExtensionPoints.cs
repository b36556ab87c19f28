using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>What a feature's SQL generation gets to work with.</summary>
/// <param name="Target">The server the SQL is for.</param>
/// <param name="Sql">The provider's identifier and literal helper.</param>
/// <param name="Idempotent">An idempotent script, whose statements run inside DO blocks.</param>
/// <param name="CompletedByMigrator">
/// True while <see cref="TimescaleMigrator"/> applies migrations: a step TimescaleDB refuses to run in a transaction is
/// then only recorded in the migration's transaction, for an <see cref="ITimescaleMigrationCompletion"/> to run once the
/// migration is committed. False for scripts and <c>EnsureCreated</c>, where the step is a command of its own outside
/// the transaction.
/// </param>
internal sealed record TimescaleSqlContext(
    TimescaleServerTarget Target,
    ISqlGenerationHelper Sql,
    bool Idempotent,
    bool CompletedByMigrator = false)
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

    /// <summary>
    /// Tables that stay plain in this migration because their hypertable needs a newer TimescaleDB (Degrade), with the
    /// version needed: every later TimescaleDB operation on them is skipped with the same warning instead of failing on a
    /// table that is not a hypertable.
    /// </summary>
    public Dictionary<(string? Schema, string Table), Version> TablesLeftPlain { get; } = [];

    /// <summary>Range dimensions left out of this migration because they need a newer TimescaleDB (Degrade).</summary>
    public HashSet<(string? Schema, string Table, string Column)> ColumnsNotPartitioned { get; } = [];
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

/// <summary>
/// Looks at the operations of a migration being generated (<c>GetDifferences</c>, never <c>HasDifferences</c>) and throws
/// when one must not be generated as it stands, e.g. a change whose cost grows with the data that nothing allowed.
/// </summary>
internal interface ITimescaleDifferencesCheck
{
    /// <summary>Throws for operations that must not be generated from <paramref name="source"/> to <paramref name="target"/>.</summary>
    void Check(IRelationalModel? source, IRelationalModel? target, IReadOnlyList<MigrationOperation> operations);
}

/// <summary>
/// A feature's work that <see cref="TimescaleMigrator"/> finishes after EF's migrator has applied and recorded the
/// migrations, under the migration lock: steps TimescaleDB refuses to run inside a transaction (a continuous
/// aggregate's refresh), which a migration only records inside its own transaction, so a process that dies midway
/// leaves them pending, never half-applied, for the next run to finish.
/// </summary>
internal interface ITimescaleMigrationCompletion
{
    /// <summary>Before the migrations: reports work an earlier, interrupted run left pending.</summary>
    Task ReportLeftoversAsync(bool async, CancellationToken cancellationToken);

    /// <summary>After the migrations: runs every pending step and forgets each one once it has run.</summary>
    Task CompleteAsync(bool async, CancellationToken cancellationToken);
}
