using Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Hyperfunctions.HyperfunctionServices))]

namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>The hyperfunctions feature's services: query translators for <c>EF.Functions.TimeBucket</c> and friends.</summary>
internal sealed class HyperfunctionServices : ITimescaleFeature
{
    // No migrations: query translation only.
    public int Order => 700;

    public void AddDesignTimeServices(IServiceCollection services)
    {
    }

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IMethodCallTranslatorPlugin, HyperfunctionMethodTranslatorPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAggregateMethodCallTranslatorPlugin, HyperfunctionAggregateTranslatorPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInterceptor, MissingTimescaleInterceptor>());

        // A hyperfunction whose arguments are all known in C# (e.g. ToUuidV7Boundary(since)) stays in the SQL: it has no C# body.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEvaluatableExpressionFilterPlugin, HyperfunctionEvaluatableExpressionFilterPlugin>());

        // Without TimescaleDB (under Degrade) hyperfunctions become plain PostgreSQL: which server a query is for is part of its cache key.
        services.TryAddScoped<QueryEditionResolver>();
        ServiceDecoration.Decorate<ICompiledQueryCacheKeyGenerator, HyperfunctionCacheKeyGenerator>(services);

        // Wraps the provider's postprocessor, so gap filling survives EF's GROUP BY subquery.
        ServiceDecoration.Decorate<IQueryTranslationPostprocessorFactory, GapfillQueryTranslationPostprocessorFactory>(services);

        // Without the community edition, replaces a gap-filling grouping query by its plain-PostgreSQL form, after EF's own processing.
        ServiceDecoration.Decorate<IRelationalParameterBasedSqlProcessorFactory, PortableGapfillProcessorFactory>(services);
    }
}

internal sealed class HyperfunctionMethodTranslatorPlugin(ISqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings, QueryEditionResolver edition)
    : IMethodCallTranslatorPlugin
{
    public IEnumerable<IMethodCallTranslator> Translators { get; } = [new HyperfunctionMethodTranslator(sql, typeMappings, edition)];
}

internal sealed class HyperfunctionAggregateTranslatorPlugin(ISqlExpressionFactory sql, IRelationalTypeMappingSource typeMappings, QueryEditionResolver edition)
    : IAggregateMethodCallTranslatorPlugin
{
    // UseTimescale extends the Npgsql provider, whose factory renders aggregate FILTER clauses.
    public IEnumerable<IAggregateMethodCallTranslator> Translators { get; } = [new HyperfunctionAggregateTranslator((NpgsqlSqlExpressionFactory)sql, typeMappings, edition), new OrderedSetAggregateTranslator(sql, typeMappings)];
}

/// <summary>
/// Keeps <c>EF.Functions</c> hyperfunction calls out of EF's client-side evaluation of parameters: they only exist in SQL,
/// so a call whose arguments are all C# values (<c>EF.Functions.ToUuidV7Boundary(since)</c>) is translated, not run.
/// </summary>
internal sealed class HyperfunctionEvaluatableExpressionFilterPlugin : IEvaluatableExpressionFilterPlugin
{
    public bool IsEvaluatableExpression(System.Linq.Expressions.Expression expression)
        => expression is not System.Linq.Expressions.MethodCallExpression { Method.DeclaringType: { } type }
            || (type != typeof(Microsoft.EntityFrameworkCore.TimescaleDbFunctionsExtensions) && !type.IsDefined(typeof(HyperfunctionsAttribute), inherit: false));
}
