using System.Linq.Expressions;

namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>
/// Chooses the conflict target (the primary key, a unique index of the model by its properties, or a unique index by
/// name) and the action (DO NOTHING, or DO UPDATE of all non-key columns or of named ones). Without any call the
/// target is the primary key and the action updates every non-key column.
/// </summary>
/// <typeparam name="T">The entity type.</typeparam>
public sealed class BulkUpsertConflict<T>
    where T : class
{
    internal IReadOnlyList<string>? TargetProperties { get; private set; }

    internal string? TargetIndexName { get; private set; }

    internal bool UpdateOnConflict { get; private set; } = true;

    internal IReadOnlyList<string>? UpdatedProperties { get; private set; }

    internal bool RewriteUnchanged { get; private set; }

    /// <summary>Conflicts on the primary key (the default).</summary>
    /// <returns>This builder.</returns>
    public BulkUpsertConflict<T> OnPrimaryKey()
    {
        TargetProperties = null;
        TargetIndexName = null;
        return this;
    }

    /// <summary>Conflicts on the primary key or unique index of the model made of exactly these properties, e.g. <c>m =&gt; new { m.DeviceId, m.Time }</c>.</summary>
    /// <param name="properties">One property, or an anonymous object listing several.</param>
    /// <returns>This builder.</returns>
    public BulkUpsertConflict<T> On(Expression<Func<T, object?>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        TargetProperties = PropertyNames(properties);
        TargetIndexName = null;
        return this;
    }

    /// <summary>Conflicts on the unique index of the model with this database name.</summary>
    /// <param name="indexName">The index name, as in <c>HasDatabaseName</c> or the conventional name.</param>
    /// <returns>This builder.</returns>
    public BulkUpsertConflict<T> OnIndex(string indexName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        TargetIndexName = indexName;
        TargetProperties = null;
        return this;
    }

    /// <summary>Keeps existing rows untouched (ON CONFLICT DO NOTHING): idempotent re-ingest.</summary>
    /// <returns>This builder.</returns>
    public BulkUpsertConflict<T> DoNothing()
    {
        UpdateOnConflict = false;
        UpdatedProperties = null;
        return this;
    }

    /// <summary>Overwrites every column outside the conflict target (the default).</summary>
    /// <returns>This builder.</returns>
    public BulkUpsertConflict<T> DoUpdate()
    {
        UpdateOnConflict = true;
        UpdatedProperties = null;
        return this;
    }

    /// <summary>Overwrites only these properties of existing rows, e.g. <c>m =&gt; new { m.Value, m.Quality }</c>.</summary>
    /// <param name="properties">One property, or an anonymous object listing several.</param>
    /// <returns>This builder.</returns>
    public BulkUpsertConflict<T> DoUpdate(Expression<Func<T, object?>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        UpdateOnConflict = true;
        UpdatedProperties = PropertyNames(properties);
        return this;
    }

    /// <summary>
    /// Rewrites a conflicting row even when its updated columns already hold the incoming values, byte for byte. By
    /// default such rows are left alone and counted as <see cref="BulkUpsertResult.Skipped"/>: re-ingesting the same
    /// data then writes nothing, which spares a new row version, its index entries and WAL per row. Call this when
    /// UPDATE triggers must fire for every incoming row.
    /// </summary>
    /// <returns>This builder.</returns>
    public BulkUpsertConflict<T> RewriteUnchangedRows()
    {
        RewriteUnchanged = true;
        return this;
    }

    private static string[] PropertyNames(Expression<Func<T, object?>> lambda)
    {
        var body = lambda.Body is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert ? convert.Operand : lambda.Body;
        return body switch
        {
            MemberExpression member when member.Expression == lambda.Parameters[0] => [member.Member.Name],
            NewExpression { Members: not null } anonymous => anonymous.Arguments.Select((argument, i) => argument is MemberExpression m && m.Expression == lambda.Parameters[0]
                ? m.Member.Name
                : throw Unsupported(lambda)).ToArray(),
            _ => throw Unsupported(lambda),
        };
    }

    private static ArgumentException Unsupported(LambdaExpression lambda) => new(
        $"'{lambda}' does not list properties of {typeof(T).Name}. Write one property (x => x.Time) or an anonymous object of properties (x => new {{ x.DeviceId, x.Time }}).",
        nameof(lambda));

}
