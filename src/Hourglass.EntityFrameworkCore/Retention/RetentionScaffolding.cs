using System.Data.Common;
using System.Globalization;
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

namespace Hourglass.EntityFrameworkCore.Retention;

/// <summary>Reads retention policies (<c>policy_retention</c> jobs) from TimescaleDB's catalog.</summary>
internal sealed class RetentionScaffoldingReader : ITimescaleScaffoldingReader
{
    /// <summary>Table annotation: the policy's canonical interval.</summary>
    public const string ScaffoldAnnotation = "Hourglass:Scaffold:RetentionPolicy";

    public void Read(DbConnection connection, DatabaseModel model)
    {
        var policies = CatalogQueries.Rows(
            connection,
            "SELECT hypertable_schema::text, hypertable_name::text, config->>'drop_after' FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name IS NOT NULL");
        foreach (var row in policies)
        {
            var table = ScaffoldedHypertables.Find(model, row);
            if (table is not null && row[2] is string dropAfter)
            {
                table[ScaffoldAnnotation] = PolicyInterval.FromPostgres(dropAfter);
            }
        }
    }
}

/// <summary>Writes a scaffolded retention policy as <c>.WithRetentionPolicy("90 days")</c> on the hypertable.</summary>
internal sealed class RetentionScaffoldingCodeGenerator : ITimescaleScaffoldingCodeGenerator
{
    private static readonly MethodInfo s_text = typeof(RetentionHypertableBuilderExtensions)
        .GetMethod(nameof(RetentionHypertableBuilderExtensions.WithRetentionPolicy), [typeof(HypertableBuilder), typeof(string)])!;

    private static readonly MethodInfo s_integer = typeof(RetentionHypertableBuilderExtensions)
        .GetMethod(nameof(RetentionHypertableBuilderExtensions.WithRetentionPolicy), [typeof(HypertableBuilder), typeof(long)])!;

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (annotations.Remove(RetentionScaffoldingReader.ScaffoldAnnotation, out var policy) && policy.Value is string dropAfter)
        {
            yield return PolicyInterval.IsInteger(dropAfter)
                ? new MethodCallCodeFragment(s_integer, long.Parse(dropAfter, CultureInfo.InvariantCulture))
                : new MethodCallCodeFragment(s_text, dropAfter);
        }
    }
}
