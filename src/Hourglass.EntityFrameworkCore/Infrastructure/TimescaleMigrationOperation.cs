using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>A migration operation that needs TimescaleDB; skipped with a warning (or refused) when the database has none.</summary>
public abstract class TimescaleMigrationOperation : MigrationOperation
{
    /// <summary>The schema of the table the operation applies to; null means the search path decides.</summary>
    public string? Schema { get; set; }

    /// <summary>The table the operation applies to.</summary>
    public string Table { get; set; } = "";

    /// <summary>Describes the operation for warnings and errors, e.g. <c>hypertable "conditions"</c>.</summary>
    public abstract string Describe();

    /// <summary>
    /// Whether the operation needs TimescaleDB's community-licensed features (columnstore, policies, jobs, continuous
    /// aggregates), which the Apache edition lacks; there it is skipped with a warning (or refused).
    /// </summary>
    public virtual bool RequiresCommunityFeatures => false;

    /// <summary>The table name as written in messages, schema-qualified when a schema is set.</summary>
    protected string DisplayTable => Schema is null ? $"\"{Table}\"" : $"\"{Schema}\".\"{Table}\"";
}
