using Npgsql;
using NpgsqlTypes;

namespace Hourglass.Infrastructure;

/// <summary>A table, view or chunk, resolved to its schema and name.</summary>
internal readonly record struct RelationName(string Schema, string Name)
{
    /// <summary>The regclass expression of this relation for SQL text (both parts quoted).</summary>
    public string Sql => $"{Quote(Schema)}.{Quote(Name)}";

    public override string ToString() => $"{Schema}.{Name}";

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// Resolves "schema.name" or "name" (found through search_path). Names are taken as written: "Metrics" is the table
    /// EF Core created as "Metrics", not metrics.
    /// </summary>
    public static async Task<RelationName> ResolveAsync(NpgsqlConnection connection, string relation, string what, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relation);
        var (schema, name) = Split(relation);
        var rows = await Db.QueryAsync(
            connection,
            """
            SELECT n.nspname::text, c.relname::text
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = to_regclass(CASE WHEN @schema::text IS NULL THEN format('%I', @name::text) ELSE format('%I.%I', @schema::text, @name::text) END)
            """,
            p =>
            {
                p.Add(new NpgsqlParameter("schema", NpgsqlDbType.Text) { Value = (object?)schema ?? DBNull.Value });
                p.Add(new NpgsqlParameter("name", NpgsqlDbType.Text) { Value = name });
            },
            r => new RelationName(r.GetString(0), r.GetString(1)),
            cancellationToken).ConfigureAwait(false);
        return rows.Count == 1
            ? rows[0]
            : throw new TimescaleException(schema is null
                ? $"There is no {what} '{name}' on this connection's search_path ({connection.Database}). Check the name (it is case-sensitive as written) or qualify it as schema.name."
                : $"There is no {what} '{schema}.{name}' in database '{connection.Database}'. Check the schema and name (case-sensitive as written).");
    }

    public static (string? Schema, string Name) Split(string relation)
    {
        var dot = relation.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && dot == relation.LastIndexOf('.') && dot < relation.Length - 1
            ? (relation[..dot], relation[(dot + 1)..])
            : (null, relation);
    }
}
