using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;
using Npgsql.EntityFrameworkCore.PostgreSQL.Scaffolding.Internal;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>
/// Reads a database for <c>dotnet ef dbcontext scaffold</c> like Npgsql does, then leaves out what TimescaleDB owns (its
/// schemas, chunk tables, the indexes it creates by default) and marks hypertables so they scaffold as <c>IsHypertable</c>.
/// </summary>
internal sealed class HypertableDatabaseModelFactory(IDiagnosticsLogger<DbLoggerCategory.Scaffolding> logger) : IDatabaseModelFactory
{
    /// <summary>Table annotation carrying a scaffolded hypertable by column names: "time|interval|defaultIndexes;hash(col, n);range(col, interval)".</summary>
    public const string ScaffoldAnnotation = "Hourglass:Scaffold:Hypertable";

    private static readonly string[] s_internalSchemas =
    [
        "_timescaledb_internal", "_timescaledb_catalog", "_timescaledb_config", "_timescaledb_cache",
        "_timescaledb_functions", "timescaledb_information", "timescaledb_experimental",
    ];

    private readonly NpgsqlDatabaseModelFactory _npgsql = new(logger);

    public DatabaseModel Create(string connectionString, DatabaseModelFactoryOptions options)
    {
        using var connection = new NpgsqlConnection(connectionString);
        return Create(connection, options);
    }

    public DatabaseModel Create(DbConnection connection, DatabaseModelFactoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var opened = connection.State != ConnectionState.Open;
        if (opened)
        {
            connection.Open();
        }

        // One snapshot for every catalog query: inserts elsewhere create chunk tables (and their indexes)
        // at any time, and a table seen by one query but not the next breaks the read.
        using var snapshot = opened ? connection.BeginTransaction(IsolationLevel.RepeatableRead) : null;
        try
        {
            var model = _npgsql.Create(connection, options);
            if (Scalar(connection, "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'") is 0L)
            {
                return model;
            }

            var chunks = Rows(connection, "SELECT chunk_schema, chunk_name FROM timescaledb_information.chunks")
                .Select(r => ((string)r[0], (string)r[1])).ToHashSet();
            var removed = model.Tables
                .Where(t => s_internalSchemas.Contains(t.Schema) || chunks.Contains((t.Schema!, t.Name)))
                .ToHashSet();
            foreach (var table in removed)
            {
                model.Tables.Remove(table);
            }

            foreach (var table in model.Tables)
            {
                foreach (var foreignKey in table.ForeignKeys.Where(f => removed.Contains(f.PrincipalTable)).ToList())
                {
                    table.ForeignKeys.Remove(foreignKey);
                }
            }

            MarkHypertables(connection, model);
            return model;
        }
        finally
        {
            if (opened)
            {
                connection.Close();
            }
        }
    }

    private static void MarkHypertables(DbConnection connection, DatabaseModel model)
    {
        var dimensions = Rows(
            connection,
            """
            SELECT hypertable_schema::text, hypertable_name::text, column_name::text, time_interval::text, integer_interval, num_partitions
            FROM timescaledb_information.dimensions
            ORDER BY hypertable_schema, hypertable_name, dimension_number
            """);
        foreach (var hypertable in dimensions.GroupBy(r => ((string)r[0], (string)r[1])))
        {
            var table = model.Tables.FirstOrDefault(t => t.Schema == hypertable.Key.Item1 && t.Name == hypertable.Key.Item2);
            if (table is null)
            {
                continue;
            }

            var rows = hypertable.ToList();
            var time = (string)rows[0][2];
            var defaultIndexNames = new HashSet<string> { $"{table.Name}_{time}_idx" };
            var parts = new List<string>();
            foreach (var row in rows.Skip(1))
            {
                var column = (string)row[2];
                defaultIndexNames.Add($"{table.Name}_{column}_{time}_idx");
                parts.Add(row[5] is short partitions
                    ? string.Create(CultureInfo.InvariantCulture, $"hash({column}, {partitions})")
                    : $"range({column}, {Interval(row)})");
            }

            var defaultIndexes = table.Indexes.Where(i => i.Name is not null && defaultIndexNames.Contains(i.Name)).ToList();
            foreach (var index in defaultIndexes)
            {
                table.Indexes.Remove(index);
            }

            parts.Insert(0, $"{time}|{Interval(rows[0])}|{(defaultIndexes.Count > 0 ? "defaults" : "nodefaults")}");
            table[ScaffoldAnnotation] = string.Join("; ", parts);
        }
    }

    private static string Interval(object[] row)
        => row[4] is long integer
            ? integer.ToString(CultureInfo.InvariantCulture)
            : ChunkInterval.Normalize(TimeSpan.Parse(ToTimeSpanText((string)row[3]!), CultureInfo.InvariantCulture), out _) ?? (string)row[3]!;

    // PostgreSQL prints intervals as "7 days", "1 day 06:00:00" or "06:00:00".
    private static string ToTimeSpanText(string interval)
    {
        var parts = interval.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length switch
        {
            1 => parts[0],
            2 => parts[0] + ".00:00:00",
            _ => parts[0] + "." + parts[2],
        };
    }

    private static object? Scalar(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static List<object[]> Rows(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null! : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }
}

/// <summary>
/// Writes scaffolded hypertables as <c>IsHypertable("Time").WithChunkInterval("1 day")...</c>. Model snapshots keep the
/// <c>Hourglass:Hypertable:*</c> annotations as <c>HasAnnotation</c> calls: EF writes snapshot calls type-qualified,
/// which cannot chain.
/// </summary>
internal sealed class HypertableAnnotationCodeGenerator(AnnotationCodeGeneratorDependencies dependencies) : NpgsqlAnnotationCodeGenerator(dependencies)
{
    private static readonly MethodInfo s_isHypertable = typeof(HypertableEntityTypeBuilderExtensions)
        .GetMethod(nameof(HypertableEntityTypeBuilderExtensions.IsHypertable), [typeof(EntityTypeBuilder), typeof(string)])!;

    public override IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(annotations);
        var calls = base.GenerateFluentApiCalls(entityType, annotations).ToList();
        if (annotations.Remove(HypertableDatabaseModelFactory.ScaffoldAnnotation, out var scaffolded) && scaffolded.Value is string text)
        {
            string Property(string column) => entityType.GetProperties().FirstOrDefault(p => p.GetColumnName() == column)?.Name ?? column;

            var parts = text.Split("; ");
            var time = parts[0].Split('|');
            var dimensions = HypertableDimension.Parse(string.Join("; ", parts.Skip(1)))
                .Select(d => d with { Property = Property(d.Property) })
                .ToList();
            calls.Add(Call(new HypertableDefinition(
                Property(time[0]),
                time[1] == ChunkInterval.TimescaleDefault ? null : time[1],
                dimensions,
                CreateDefaultIndexes: time[2] != "nodefaults",
                MigrateData: false,
                IntegerNowFunction: null)));
        }

        return calls;
    }

    private static MethodCallCodeFragment Call(HypertableDefinition definition)
    {
        var builder = typeof(HypertableBuilder);
        var call = new MethodCallCodeFragment(s_isHypertable, definition.TimeProperty);
        if (definition.ChunkInterval is { } interval)
        {
            call = ChunkInterval.IsInteger(interval)
                ? call.Chain(builder.GetMethod(nameof(HypertableBuilder.WithChunkInterval), [typeof(long)])!, long.Parse(interval, CultureInfo.InvariantCulture))
                : call.Chain(builder.GetMethod(nameof(HypertableBuilder.WithChunkInterval), [typeof(string)])!, interval);
        }

        foreach (var dimension in definition.Dimensions)
        {
            call = dimension.IsHash
                ? call.Chain(builder.GetMethod(nameof(HypertableBuilder.PartitionByHash))!, dimension.Property, dimension.Partitions)
                : call.Chain(builder.GetMethod(nameof(HypertableBuilder.PartitionByRange))!, dimension.Property, dimension.Interval);
        }

        if (!definition.CreateDefaultIndexes)
        {
            call = call.Chain(builder.GetMethod(nameof(HypertableBuilder.WithoutDefaultIndexes))!);
        }

        if (definition.MigrateData)
        {
            call = call.Chain(builder.GetMethod(nameof(HypertableBuilder.MigrateData))!);
        }

        if (definition.IntegerNowFunction is { } function)
        {
            call = call.Chain(builder.GetMethod(nameof(HypertableBuilder.WithIntegerNowFunction))!, function);
        }

        return call;
    }
}
