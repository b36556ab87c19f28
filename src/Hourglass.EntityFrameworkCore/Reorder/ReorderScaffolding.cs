using System.Data.Common;
using System.Reflection;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Reorder;

/// <summary>Reads reorder policies (<c>policy_reorder</c> jobs) from TimescaleDB's catalog.</summary>
internal sealed class ReorderScaffoldingReader : ITimescaleScaffoldingReader
{
    /// <summary>Table annotation: the policy's index name.</summary>
    public const string ScaffoldAnnotation = "Hourglass:Scaffold:ReorderPolicy";

    public void Read(DbConnection connection, DatabaseModel model)
    {
        var policies = CatalogQueries.Rows(
            connection,
            "SELECT hypertable_schema::text, hypertable_name::text, config->>'index_name' FROM timescaledb_information.jobs WHERE proc_name = 'policy_reorder' AND hypertable_name IS NOT NULL");
        foreach (var row in policies)
        {
            var table = ScaffoldedHypertables.Find(model, row);
            if (table is not null && row[2] is string index)
            {
                table[ScaffoldAnnotation] = index;
            }
        }
    }
}

/// <summary>Writes a scaffolded reorder policy as <c>.WithReorderPolicy("ix_name")</c> on the hypertable.</summary>
internal sealed class ReorderScaffoldingCodeGenerator : ITimescaleScaffoldingCodeGenerator
{
    private static readonly MethodInfo s_reorder = typeof(ReorderHypertableBuilderExtensions)
        .GetMethod(nameof(ReorderHypertableBuilderExtensions.WithReorderPolicy), [typeof(HypertableBuilder), typeof(string)])!;

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (annotations.Remove(ReorderScaffoldingReader.ScaffoldAnnotation, out var policy) && policy.Value is string index)
        {
            yield return new MethodCallCodeFragment(s_reorder, index);
        }
    }
}
