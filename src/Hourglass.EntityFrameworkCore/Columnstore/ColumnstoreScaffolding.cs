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
    /// <summary>Table annotation: "segmentby columns|orderby with column names".</summary>
    public const string SettingsAnnotation = "Hourglass:Scaffold:Columnstore";

    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        foreach (var hypertable in catalog.Hypertables)
        {
            if (hypertable.Columnstore is { } settings && ScaffoldedHypertables.Find(model, hypertable.Schema, hypertable.Name) is { } table)
            {
                table[SettingsAnnotation] = string.Join(", ", settings.SegmentBy) + "|" + ColumnstoreOrder.Format(settings.OrderBy);
            }
        }
    }
}

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
            var parts = text.Split('|');
            var segmentBy = ColumnstoreDefinition.SplitList(parts[0]).Select(Property).ToArray();
            var orderBy = (ColumnstoreOrder.Parse(parts[1], out _) ?? []).Select(o => o with { Name = Property(o.Name) }).ToList();
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

            yield return inner is null
                ? new MethodCallCodeFragment(s_withColumnstore, [null])
                : new MethodCallCodeFragment(s_withColumnstore, new NestedClosureCodeFragment("c", inner));
        }
    }
}
