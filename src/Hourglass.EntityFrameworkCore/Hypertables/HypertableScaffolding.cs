using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;

namespace Hourglass.EntityFrameworkCore.Hypertables;

/// <summary>Marks hypertables read from the catalog so they scaffold as <c>IsHypertable</c>, and leaves out the indexes TimescaleDB creates by default.</summary>
internal sealed class HypertableScaffoldingReader : ITimescaleScaffoldingReader
{
    /// <summary>Table annotation carrying a scaffolded hypertable by column names, as <see cref="HypertableDefinition"/> JSON.</summary>
    public const string ScaffoldAnnotation = "Hourglass:Scaffold:Hypertable";

    public void Read(DbConnection connection, DatabaseModel model) => MarkHypertables(connection, model);

    private static void MarkHypertables(DbConnection connection, DatabaseModel model)
    {
        var catalog = CatalogQueries.Rows(
            connection,
            """
            SELECT hypertable_schema::text, hypertable_name::text, column_name::text, time_interval, integer_interval, num_partitions
            FROM timescaledb_information.dimensions
            ORDER BY hypertable_schema, hypertable_name, dimension_number
            """);
        foreach (var hypertable in catalog.GroupBy(r => ((string)r[0]!, (string)r[1]!)))
        {
            var table = model.Tables.FirstOrDefault(t => t.Schema == hypertable.Key.Item1 && t.Name == hypertable.Key.Item2);
            if (table is null)
            {
                continue;
            }

            var rows = hypertable.ToList();
            var time = (string)rows[0][2]!;
            var defaultIndexNames = new HashSet<string> { $"{table.Name}_{time}_idx" };
            var dimensions = new List<HypertableDimension>();
            foreach (var row in rows.Skip(1))
            {
                var column = (string)row[2]!;
                defaultIndexNames.Add($"{table.Name}_{column}_{time}_idx");
                dimensions.Add(row[5] is short partitions ? new HypertableDimension(column, partitions, null) : new HypertableDimension(column, null, Interval(row)));
            }

            var defaultIndexes = table.Indexes.Where(i => i.Name is not null && defaultIndexNames.Contains(i.Name)).ToList();
            foreach (var index in defaultIndexes)
            {
                table.Indexes.Remove(index);
            }

            table[ScaffoldAnnotation] = AnnotationJson.Serialize(new HypertableDefinition(
                time, Interval(rows[0]), dimensions, CreateDefaultIndexes: defaultIndexes.Count > 0, MigrateData: false, IntegerNowFunction: null));
        }
    }

    // The interval as a typed value (Npgsql's interval), never PostgreSQL's output text.
    private static TimescaleInterval Interval(object?[] row)
        => TimescaleInterval.FromCatalog(row[4] ?? row[3])
            ?? throw new InvalidOperationException($"Hypertable {row[0]}.{row[1]} has no chunk interval in the catalog.");
}

/// <summary>
/// Writes scaffolded hypertables as <c>IsHypertable("Time").WithChunkInterval("1 day")...</c>. Model snapshots keep the
/// <c>Hourglass:Hypertable:*</c> annotations as <c>HasAnnotation</c> calls: EF writes snapshot calls type-qualified,
/// which cannot chain.
/// </summary>
internal sealed class HypertableScaffoldingCodeGenerator : ITimescaleScaffoldingCodeGenerator
{
    private static readonly MethodInfo s_isHypertable = typeof(HypertableEntityTypeBuilderExtensions)
        .GetMethod(nameof(HypertableEntityTypeBuilderExtensions.IsHypertable), [typeof(EntityTypeBuilder), typeof(string)])!;

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (annotations.Remove(HypertableScaffoldingReader.ScaffoldAnnotation, out var scaffolded) && scaffolded.Value is string text)
        {
            string Property(string column) => entityType.GetProperties().FirstOrDefault(p => p.GetColumnName() == column)?.Name ?? column;

            var scaffoldedTable = AnnotationJson.Deserialize<HypertableDefinition>(text);
            yield return Call(scaffoldedTable with
            {
                TimeProperty = Property(scaffoldedTable.TimeProperty),
                ChunkInterval = scaffoldedTable.ChunkInterval == TimescaleInterval.DefaultChunkInterval ? null : scaffoldedTable.ChunkInterval,
                Dimensions = scaffoldedTable.Dimensions.Select(d => d with { Property = Property(d.Property) }).ToList(),
            });
        }
    }

    private static MethodCallCodeFragment Call(HypertableDefinition definition)
    {
        var builder = typeof(HypertableBuilder);
        var call = new MethodCallCodeFragment(s_isHypertable, definition.TimeProperty);
        if (definition.ChunkInterval is { } interval)
        {
            var value = interval.ToCodeValue();
            call = call.Chain(builder.GetMethod(nameof(HypertableBuilder.WithChunkInterval), [value.GetType()])!, value);
        }

        foreach (var dimension in definition.Dimensions)
        {
            call = dimension.IsHash
                ? call.Chain(builder.GetMethod(nameof(HypertableBuilder.PartitionByHash))!, dimension.Property, dimension.Partitions)
                : call.Chain(builder.GetMethod(nameof(HypertableBuilder.PartitionByRange))!, dimension.Property, dimension.Interval?.ToString());
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
