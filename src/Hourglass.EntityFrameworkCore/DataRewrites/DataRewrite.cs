using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.DataRewrites;

/// <summary>
/// What a generated operation costs when that cost grows with the data (every row copied, every chunk decompressed):
/// set by the differ that emits the operation, read by <see cref="DataRewriteCheck"/> (refusal) and by the C# migration
/// generator (the comment above the call). Operations a migration file builds carry none; they run as written.
/// </summary>
/// <param name="Entity">The entity of the target model the table or view belongs to; null when it has none.</param>
/// <param name="Change">The model change, e.g. <c>turns the columnstore of hypertable "metrics" off</c>.</param>
/// <param name="Cost">What the database does, e.g. <c>converts every columnstore chunk back to rowstore</c>.</param>
/// <param name="Alternative">How to avoid it in the model instead, e.g. <c>keep WithColumnstore(...)</c>.</param>
/// <param name="Declared">The model asks for this cost already (e.g. <c>MigrateData()</c>): commented, never refused.</param>
internal sealed record DataRewrite(IReadOnlyEntityType? Entity, string Change, string Cost, string Alternative, bool Declared = false)
{
    /// <summary>The entity annotation set by <c>AllowDataRewrite()</c>; never written into snapshots.</summary>
    public const string AllowedAnnotation = "Hourglass:AllowDataRewrite";

    /// <summary>The comment written above the operation in a generated migration.</summary>
    public string Comment => $"Data rewrite: {Change}, which {Cost}; the time it takes grows with the data.";

    /// <summary>A table or view as messages write it: <c>"metrics"</c> or <c>"schema"."metrics"</c>.</summary>
    public static string Display(string? schema, string table) => schema is null ? $"\"{table}\"" : $"\"{schema}\".\"{table}\"";

    /// <summary>The entity a table or view of <paramref name="model"/> maps, for naming it and reading its allowance.</summary>
    public static IReadOnlyEntityType? EntityOf(IRelationalModel? model, string table, string? schema)
    {
        var mappings = model?.FindTable(table, schema)?.EntityTypeMappings
            ?? model?.FindView(table, schema)?.EntityTypeMappings
            ?? Enumerable.Empty<ITableMappingBase>();
        return mappings.Select(m => m.TypeBase).OfType<IReadOnlyEntityType>().FirstOrDefault();
    }

    /// <summary>Whether the entity allows data rewrites (<c>AllowDataRewrite()</c> or <see cref="AllowDataRewriteAttribute"/>).</summary>
    public static bool AllowedOn(IReadOnlyEntityType entityType)
        => entityType.FindAnnotation(AllowedAnnotation)?.Value is true
            || (entityType.ClrType is { } type && !entityType.HasSharedClrType && type.IsDefined(typeof(AllowDataRewriteAttribute), inherit: true));
}

/// <summary>
/// Refuses, when a migration is generated, the operations whose cost grows with the data unless the entity or the
/// context allows them. Only the direction toward the model being migrated to is checked: EF's scaffolder also diffs from
/// the current model back to the last migration's to write Down, and a Down that undoes a new feature (e.g. turns a new
/// columnstore off again) must still be written.
/// </summary>
internal sealed class DataRewriteCheck(ICurrentDbContext currentContext) : ITimescaleDifferencesCheck
{
    public void Check(IRelationalModel? source, IRelationalModel? target, IReadOnlyList<MigrationOperation> operations)
    {
        var rewrites = operations.OfType<TimescaleMigrationOperation>()
            .Select(o => o.DataRewrite)
            .OfType<DataRewrite>()
            .Where(r => !r.Declared && (r.Entity is null || !DataRewrite.AllowedOn(r.Entity)))
            .ToList();
        if (rewrites.Count == 0 || source is null || IsCurrentModel(source.Model)
            || currentContext.Context.GetService<IDbContextOptions>().FindExtension<TimescaleOptionsExtension>()?.AllowDataRewrite == true)
        {
            return;
        }

        throw new InvalidOperationException(string.Join(Environment.NewLine, rewrites.Select(Message)));
    }

    private bool IsCurrentModel(IReadOnlyModel model)
    {
        var context = currentContext.Context;
        return ReferenceEquals(model, context.GetService<IDesignTimeModel>().Model) || ReferenceEquals(model, context.Model);
    }

    private static string Message(DataRewrite rewrite)
    {
        var entity = rewrite.Entity?.DisplayName();
        var allowOnEntity = entity is null
            ? ""
            : $"allow it for this entity with modelBuilder.Entity<{entity}>().AllowDataRewrite() (or [AllowDataRewrite] on the class), or ";
        return $"Data rewrite on entity '{entity ?? "(none)"}': this migration {rewrite.Change}, which {rewrite.Cost}; the time it takes grows with the data. "
            + $"Fix: if that is intended, {allowOnEntity}for every entity with "
            + $"UseTimescale(o => o.AllowDataRewrite()), and add the migration again; otherwise {rewrite.Alternative}.";
    }
}
