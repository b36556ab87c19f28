using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// Compares a continuous aggregate's SQL with the model, without a server: the relations its FROM/JOIN clauses name
/// against the model's tables and views, and the entity's columns against the query's output names. It reads the SQL
/// conservatively: whatever it cannot read for certain (a select item without a plain name, <c>*</c>, a relation the
/// model does not know at all) is not judged, so it never refuses a query the server would take.
/// </summary>
internal static class ContinuousAggregateQueryCheck
{
    public static void Validate(IReadOnlyModel model)
    {
        var entityTypes = model.GetEntityTypes().ToList();
        var relations = entityTypes
            .SelectMany(e => new[] { e.GetTableName(), e.GetViewName() })
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        foreach (var entityType in entityTypes)
        {
            if (ContinuousAggregateDefinition.Find(entityType) is not { } definition || entityType.GetViewName() is not { } view
                || SqlQueryShape.Read(definition.Sql) is not { } shape)
            {
                continue;
            }

            foreach (var relation in shape.Relations)
            {
                CheckRelation(entityType, view, relation, relations);
            }

            if (shape.OutputNames is { } outputs)
            {
                CheckColumns(entityType, view, outputs);
            }
        }
    }

    private static void CheckRelation(IReadOnlyEntityType entityType, string view, string relation, HashSet<string> modelRelations)
    {
        if (modelRelations.Contains(relation))
        {
            return;
        }

        // Only a near miss is judged: a relation the model does not know at all may be created outside it.
        var near = modelRelations.FirstOrDefault(r => string.Equals(r, relation, StringComparison.OrdinalIgnoreCase))
            ?? modelRelations.FirstOrDefault(r => Squeeze(r) == Squeeze(relation));
        if (near is null)
        {
            return;
        }

        throw ContinuousAggregateModelErrors.Error(
            entityType,
            "Sql",
            $"the query of view '{view}' reads relation \"{relation}\", which is not a table or view of the model; the model's table is \"{near}\", "
            + "and only the casing or the naming convention differs (PostgreSQL folds unquoted names to lower case; without a naming convention "
            + "EF names a table after its DbSet or class, e.g. \"Metrics\", and a column after its property, e.g. \"DeviceId\")",
            $"write the model's names in the SQL, quoted where they have capitals (FROM \"{near}\"), or give the model the names the SQL uses "
            + "(ToTable(\"...\")/HasColumnName(\"...\"), or UseSnakeCaseNamingConvention() from EFCore.NamingConventions before the first migration)");
    }

    private static void CheckColumns(IReadOnlyEntityType entityType, string view, IReadOnlyList<string> outputs)
    {
        var storeObject = StoreObjectIdentifier.View(view, entityType.GetViewSchema());
        foreach (var property in entityType.GetProperties())
        {
            if (property.GetColumnName(storeObject) is not { } column || outputs.Contains(column, StringComparer.Ordinal))
            {
                continue;
            }

            var near = outputs.FirstOrDefault(o => string.Equals(o, column, StringComparison.OrdinalIgnoreCase))
                ?? outputs.FirstOrDefault(o => Squeeze(o) == Squeeze(column));
            throw ContinuousAggregateModelErrors.Error(
                entityType,
                property.Name,
                near is null
                    ? $"the property is read from column \"{column}\", but the query of view '{view}' has no such output column (it has {string.Join(", ", outputs.Select(o => $"\"{o}\""))}), so every query of the entity would fail with 42703"
                    : $"the property is read from column \"{column}\", but the query of view '{view}' names it \"{near}\": only the casing or the naming convention differs (PostgreSQL folds unquoted aliases to lower case)",
                near is null
                    ? $"add the column to the query's SELECT list (e.g. ... AS {column}), map the property to an output column with HasColumnName(\"...\"), or Ignore(x => x.{property.Name})"
                    : $"name the output as the model does (AS \"{column}\"), or map the property with HasColumnName(\"{near}\")");
        }
    }

    private static string Squeeze(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
}

/// <summary>What <see cref="ContinuousAggregateQueryCheck"/> reads from the aggregate's SQL.</summary>
/// <param name="Relations">The relations after FROM and JOIN, schema left out, as PostgreSQL resolves them (unquoted folded to lower case).</param>
/// <param name="OutputNames">The output column names, or null when one of them cannot be told for certain.</param>
internal sealed record SqlQueryShape(IReadOnlyList<string> Relations, IReadOnlyList<string>? OutputNames)
{
    private static readonly HashSet<string> s_keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "select", "from", "where", "group", "by", "having", "order", "limit", "offset", "join", "inner", "left", "right", "full",
        "outer", "cross", "on", "using", "as", "and", "or", "not", "case", "when", "then", "else", "end", "distinct", "lateral",
        "only", "union", "with", "filter", "over", "within", "is", "null", "in", "between", "like", "window",
    };

    /// <summary>Null when the SQL cannot be read (unclosed quote or parenthesis, no SELECT).</summary>
    public static SqlQueryShape? Read(string sql)
    {
        if (Tokenize(sql) is not { } tokens)
        {
            return null;
        }

        // Depth of each token and whether its parenthesis holds a query (a subquery) rather than arguments.
        var relations = new List<string>();
        var queryDepths = new Stack<bool>();
        queryDepths.Push(true);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Text == "(")
            {
                queryDepths.Push(i + 1 < tokens.Count && tokens[i + 1].IsWord("select", "with"));
                continue;
            }

            if (token.Text == ")")
            {
                if (queryDepths.Count == 1)
                {
                    return null;
                }

                queryDepths.Pop();
                continue;
            }

            // FROM inside function arguments (extract(epoch FROM time), substring(x FROM 2)) names no relation.
            if (!queryDepths.Peek() || !token.IsWord("from", "join"))
            {
                continue;
            }

            var next = i + 1;
            while (next < tokens.Count && tokens[next].IsWord("only", "lateral"))
            {
                next++;
            }

            if (next >= tokens.Count || !tokens[next].IsIdentifier)
            {
                continue;
            }

            // schema.name: the last part; a name followed by "(" is a function in FROM.
            var last = next;
            while (last + 2 < tokens.Count && tokens[last + 1].Text == "." && tokens[last + 2].IsIdentifier)
            {
                last += 2;
            }

            if (last + 1 < tokens.Count && tokens[last + 1].Text == "(")
            {
                continue;
            }

            relations.Add(tokens[last].Name);
        }

        if (queryDepths.Count != 1)
        {
            return null;
        }

        return new SqlQueryShape(relations, ReadOutputNames(tokens));
    }

    /// <summary>The top-level select list's names: "expr AS name", "name", "t.name"; null when any item is anything else.</summary>
    private static List<string>? ReadOutputNames(List<Token> tokens)
    {
        if (tokens.Count == 0 || !tokens[0].IsWord("select"))
        {
            return null; // WITH ... or VALUES: not read
        }

        var items = new List<List<Token>> { new() };
        var depth = 0;
        for (var i = 1; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (depth == 0 && token.IsWord("from"))
            {
                break;
            }

            if (depth == 0 && (token.IsWord("distinct", "all") && items is [[]]))
            {
                return null;
            }

            depth += token.Text == "(" ? 1 : token.Text == ")" ? -1 : 0;
            if (depth == 0 && token.Text == ",")
            {
                items.Add([]);
                continue;
            }

            items[^1].Add(token);
        }

        var names = new List<string>();
        foreach (var item in items)
        {
            if (item is [.., { } a, { } alias] && a.IsWord("as") && alias.IsIdentifier)
            {
                names.Add(alias.Name);
            }
            else if (item is [{ IsIdentifier: true } column] && !s_keywords.Contains(column.Text))
            {
                names.Add(column.Name);
            }
            else if (item is [.., { IsIdentifier: true }, { Text: "." }, { IsIdentifier: true } qualified])
            {
                if (item.Count % 2 == 0 || Enumerable.Range(0, item.Count).Any(k => k % 2 == 0 ? !item[k].IsIdentifier : item[k].Text != "."))
                {
                    return null;
                }

                names.Add(qualified.Name);
            }
            else
            {
                return null;
            }
        }

        return names;
    }

    private static List<Token>? Tokenize(string sql)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return null;
                }

                i = end + 2;
            }
            else if (c is '\'' or '"')
            {
                var start = i++;
                while (true)
                {
                    if (i >= sql.Length)
                    {
                        return null;
                    }

                    if (sql[i] == c)
                    {
                        if (i + 1 < sql.Length && sql[i + 1] == c)
                        {
                            i += 2;
                            continue;
                        }

                        break;
                    }

                    i++;
                }

                i++;
                tokens.Add(new Token(sql[start..i]));
            }
            else if (c == '$')
            {
                return null; // dollar quoting: not read
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '$'))
                {
                    i++;
                }

                tokens.Add(new Token(sql[start..i]));
            }
            else if (char.IsDigit(c))
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '.'))
                {
                    i++;
                }

                tokens.Add(new Token(sql[start..i]));
            }
            else if (c == ':' && i + 1 < sql.Length && sql[i + 1] == ':')
            {
                tokens.Add(new Token("::"));
                i += 2;
            }
            else
            {
                tokens.Add(new Token(c.ToString()));
                i++;
            }
        }

        return tokens;
    }

    private sealed record Token(string Text)
    {
        public bool IsQuotedIdentifier => Text.Length >= 2 && Text[0] == '"';

        public bool IsIdentifier => IsQuotedIdentifier || ((char.IsLetter(Text[0]) || Text[0] == '_') && !s_keywords.Contains(Text));

        /// <summary>The name PostgreSQL resolves: quoted as written, unquoted folded to lower case.</summary>
        public string Name => IsQuotedIdentifier ? Text[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : Text.ToLowerInvariant();

        public bool IsWord(params string[] words) => !IsQuotedIdentifier && words.Any(w => string.Equals(w, Text, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Runs <see cref="ContinuousAggregateQueryCheck"/> once the model is final, naming conventions applied.</summary>
internal sealed class ContinuousAggregateQueryCheckConvention : IModelFinalizedConvention
{
    public Microsoft.EntityFrameworkCore.Metadata.IModel ProcessModelFinalized(Microsoft.EntityFrameworkCore.Metadata.IModel model)
    {
        ContinuousAggregateQueryCheck.Validate(model);
        return model;
    }
}
