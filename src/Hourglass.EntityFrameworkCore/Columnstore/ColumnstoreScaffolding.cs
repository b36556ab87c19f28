using System.Reflection;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>Reads each hypertable's columnstore settings from TimescaleDB's catalog.</summary>
internal sealed class ColumnstoreScaffoldingReader : ITimescaleScaffoldingReader
{
    /// <summary>Table annotation: the settings with column names, as JSON (<see cref="ScaffoldedColumnstore"/>).</summary>
    public const string SettingsAnnotation = "Hourglass:Scaffold:Columnstore";

    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        foreach (var hypertable in catalog.Hypertables)
        {
            if (hypertable.Columnstore is { } settings && ScaffoldedHypertables.Find(model, hypertable.Schema, hypertable.Name) is { } table)
            {
                table[SettingsAnnotation] = AnnotationJson.Serialize(new ScaffoldedColumnstore(
                    settings.SegmentBy.ToList(),
                    ColumnstoreOrder.Format(settings.OrderBy),
                    settings.SparseIndexes is null ? null : SparseIndex.Format(settings.SparseIndexes),
                    settings.MergedChunkInterval?.ToString(),
                    catalog.DirectCompress.Any(d => d.Schema == hypertable.Schema && d.Table == hypertable.Name)));
            }
        }
    }
}

/// <summary>The scaffold annotation's value: the settings with column names; sparse indexes as text ("" for none, null when not set).</summary>
internal sealed record ScaffoldedColumnstore(List<string> SegmentBy, string OrderBy, string? SparseIndexes, string? MergedChunkInterval, bool DirectCompress = false);

/// <summary>Writes scaffolded settings as <c>.WithColumnstore(c =&gt; c.SegmentBy(...).OrderBy(...))</c>; the policy follows (Policies/).</summary>
internal sealed class ColumnstoreScaffoldingCodeGenerator : ITimescaleScaffoldingCodeGenerator
{
    private static readonly MethodInfo s_withColumnstore = typeof(ColumnstoreHypertableBuilderExtensions)
        .GetMethod(nameof(ColumnstoreHypertableBuilderExtensions.WithColumnstore), [typeof(HypertableBuilder), typeof(Action<ColumnstoreBuilder>)])!;

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        string Property(string column) => entityType.GetProperties().FirstOrDefault(p => p.GetColumnName() == column)?.Name ?? column;

        if (annotations.Remove(ColumnstoreScaffoldingReader.SettingsAnnotation, out var settings) && settings.Value is string text)
        {
            var scaffolded = AnnotationJson.Deserialize<ScaffoldedColumnstore>(text);
            var segmentBy = scaffolded.SegmentBy.Select(Property).ToArray();
            var orderBy = (ColumnstoreOrder.Parse(scaffolded.OrderBy, out _) ?? []).Select(o => o with { Name = Property(o.Name) }).ToList();
            MethodCallCodeFragment? inner = null;
            if (segmentBy.Length > 0)
            {
                inner = new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.SegmentBy))!, segmentBy.Cast<object?>().ToArray());
            }

            if (orderBy.Count > 0)
            {
                var order = new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.OrderBy))!, ColumnstoreOrder.Format(orderBy));
                inner = inner is null ? order : inner.Chain(order);
            }

            foreach (var call in TuningCalls(scaffolded, Property))
            {
                inner = inner is null ? call : inner.Chain(call);
            }

            yield return inner is null
                ? new MethodCallCodeFragment(s_withColumnstore, [null])
                : new MethodCallCodeFragment(s_withColumnstore, new NestedClosureCodeFragment("c", inner));
        }
    }

    private static IEnumerable<MethodCallCodeFragment> TuningCalls(ScaffoldedColumnstore scaffolded, Func<string, string> property)
    {
        if (scaffolded.SparseIndexes is { } text)
        {
            var indexes = SparseIndex.Parse(text, out _) ?? [];
            if (indexes.Count == 0)
            {
                yield return new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.WithoutAutomaticSparseIndexes))!);
            }

            foreach (var index in indexes)
            {
                var properties = index.Columns.Select(property).Cast<object?>().ToArray();
                yield return index.Kind switch
                {
                    SparseIndexKind.Bloom => new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.Bloom))!, properties),
                    SparseIndexKind.MinMax => new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.MinMax))!, properties),
                    _ => new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.FirstLast))!, properties),
                };
            }
        }

        if (scaffolded.MergedChunkInterval is { } merged)
        {
            yield return new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.MergeChunksUpTo), [typeof(string)])!, merged);
        }

        if (scaffolded.DirectCompress)
        {
            yield return new MethodCallCodeFragment(typeof(ColumnstoreBuilder).GetMethod(nameof(ColumnstoreBuilder.DirectCompress), Type.EmptyTypes)!);
        }
    }
}
