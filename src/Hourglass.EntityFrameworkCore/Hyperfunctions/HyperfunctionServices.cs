using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>The hyperfunctions feature's services: query translators for <c>EF.Functions.TimeBucket</c> and friends.</summary>
internal static class HyperfunctionServices
{
    public static void Add(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IMethodCallTranslatorPlugin, HyperfunctionMethodTranslatorPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAggregateMethodCallTranslatorPlugin, HyperfunctionAggregateTranslatorPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInterceptor, MissingTimescaleInterceptor>());

        // Replaces Npgsql's postprocessor with a subclass of it, so gap filling survives EF's GROUP BY subquery.
        services.Replace(ServiceDescriptor.Scoped<IQueryTranslationPostprocessorFactory, GapfillQueryTranslationPostprocessorFactory>());
    }
}

internal sealed class HyperfunctionMethodTranslatorPlugin(ISqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings)
    : IMethodCallTranslatorPlugin
{
    public IEnumerable<IMethodCallTranslator> Translators { get; } = [new HyperfunctionMethodTranslator(sql, typeMappings)];
}

internal sealed class HyperfunctionAggregateTranslatorPlugin(ISqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings)
    : IAggregateMethodCallTranslatorPlugin
{
    // UseTimescale extends the Npgsql provider, whose factory renders aggregate FILTER clauses.
    public IEnumerable<IAggregateMethodCallTranslator> Translators { get; } = [new HyperfunctionAggregateTranslator((NpgsqlSqlExpressionFactory)sql, typeMappings)];
}
