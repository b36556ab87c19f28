using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>The tables EF's differ renamed or moved to another schema, so features follow a table to its new name.</summary>
internal static class TableRenames
{
    /// <summary>
    /// Old (schema, name) → new (schema, name). EF's differ sets <see cref="RenameTableOperation.NewSchema"/> to the target
    /// table's schema, which is null for a table in the default schema: a move from an explicit "public" to the default
    /// schema is a rename to a null schema, not "schema unchanged".
    /// </summary>
    public static Dictionary<(string? Schema, string Name), (string? Schema, string Name)> Of(IEnumerable<MigrationOperation> efOperations)
        => efOperations.OfType<RenameTableOperation>()
            .ToDictionary(o => (o.Schema, o.Name), o => (o.NewSchema, o.NewName ?? o.Name));
}
