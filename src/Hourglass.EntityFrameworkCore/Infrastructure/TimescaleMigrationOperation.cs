using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>A migration operation that needs TimescaleDB; skipped with a warning (or refused) when the database has none.</summary>
public abstract class TimescaleMigrationOperation : MigrationOperation
{
    /// <summary>The schema of the table the operation applies to; null means the search path decides.</summary>
    public string? Schema { get; set; }

    /// <summary>The table the operation applies to.</summary>
    public string Table { get; set; } = "";

    /// <summary>
    /// A TimescaleDB version (e.g. "2.28") from which the operation is not run: set on the operations that do on older
    /// servers what an operation of that version does in place (a continuous aggregate dropped and created again where
    /// 2.28 adds its column). Null (the default): run on every version. Decided when the migration runs, from the
    /// server's version; an unknown version counts as the newest.
    /// </summary>
    public string? OnlyBeforeTimescale
    {
        get => this[OnlyBeforeTimescaleAnnotation] as string;
        set => this[OnlyBeforeTimescaleAnnotation] = value;
    }

    // An annotation, so that migrationBuilder.X(...).OnlyBeforeTimescale("2.28") can set it through EF's OperationBuilder.
    internal const string OnlyBeforeTimescaleAnnotation = "Hourglass:OnlyBeforeTimescale";

    /// <summary>Whether <see cref="OnlyBeforeTimescale"/> leaves the operation out on a server of <paramref name="version"/> (null: unknown, the newest).</summary>
    internal bool SkippedOn(Version? version)
        => OnlyBeforeTimescale is { } gate && (version is null || version >= TimescaleServerTarget.ParseVersion(gate));

    /// <summary>
    /// The cost of a generated operation when it grows with the data (set by the differ that emits it): refused unless
    /// allowed, and stated in a comment in the migration file. Null for operations a migration file builds.
    /// </summary>
    internal DataRewrites.DataRewrite? DataRewrite { get; set; }

    /// <summary>Describes the operation for warnings and errors, e.g. <c>hypertable "conditions"</c>.</summary>
    public abstract string Describe();

    /// <summary>
    /// Whether the operation needs TimescaleDB's community-licensed features (columnstore, policies, jobs, continuous
    /// aggregates), which the Apache edition lacks; there it is skipped with a warning (or refused).
    /// </summary>
    public virtual bool RequiresCommunityFeatures => false;

    /// <summary>
    /// What Degrade runs instead on PostgreSQL without TimescaleDB, with the warning to log; null (the default) skips the
    /// operation with the generic warning.
    /// </summary>
    internal virtual DegradedOperation? WithoutTimescale() => null;

    /// <summary>The table name as written in messages and in Degrade's plain SQL, schema-qualified when a schema is set.</summary>
    protected string DisplayTable => Schema is null ? Delimit(Table) : $"{Delimit(Schema)}.{Delimit(Table)}";

    /// <summary>An identifier quoted for SQL text, for Degrade's plain statements (which have no SQL generator to ask).</summary>
    private protected static string Delimit(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>A plain PostgreSQL replacement for a TimescaleDB operation (null: nothing runs), and the warning that says what was done instead.</summary>
internal sealed record DegradedOperation(MigrationOperation? Operation, string Warning);
