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

    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        foreach (var hypertable in catalog.Hypertables.Where(h => h.Dimensions.Count > 0))
        {
            var table = model.Tables.FirstOrDefault(t => t.Schema == hypertable.Schema && t.Name == hypertable.Name);
            if (table is null)
            {
                continue;
            }

            var time = hypertable.Dimensions[0].Column;
            var defaultIndexNames = new HashSet<string> { $"{table.Name}_{time}_idx" };
            var dimensions = new List<HypertableDimension>();
            foreach (var dimension in hypertable.Dimensions.Skip(1))
            {
                defaultIndexNames.Add($"{table.Name}_{dimension.Column}_{time}_idx");
                dimensions.Add(dimension.Partitions is { } partitions
                    ? new HypertableDimension(dimension.Column, partitions, null)
                    : new HypertableDimension(dimension.Column, null, Interval(hypertable, dimension)));
            }

            var defaultIndexes = table.Indexes.Where(i => i.Name is not null && defaultIndexNames.Contains(i.Name)).ToList();
            foreach (var index in defaultIndexes)
            {
                table.Indexes.Remove(index);
            }

            table[ScaffoldAnnotation] = AnnotationJson.Serialize(new HypertableDefinition(
                time, Interval(hypertable, hypertable.Dimensions[0]), dimensions, CreateDefaultIndexes: defaultIndexes.Count > 0, MigrateData: false, IntegerNowFunction: null));
        }
    }

    // The interval as the catalog types it (a TimeSpan, or a long for integer columns), never PostgreSQL's output text.
    private static TimescaleInterval Interval(HypertableLayout hypertable, Dimension dimension)
        => TimescaleInterval.FromCatalog((object?)dimension.IntegerInterval ?? dimension.Interval)
            ?? throw new InvalidOperationException($"Hypertable {hypertable.Schema}.{hypertable.Name} has no chunk interval for column {dimension.Column} in the catalog.");
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
