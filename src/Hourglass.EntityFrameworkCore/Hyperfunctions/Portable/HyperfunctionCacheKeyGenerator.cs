using System.Linq.Expressions;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;

/// <summary>
/// Wraps the provider's query cache key generator: a query that calls a hyperfunction gets the edition it is
/// translated for (<see cref="QueryEditionResolver"/>) in its key, so EF's cache, shared by every context of a service
/// provider, keeps one compiled query per server kind. Queries without hyperfunctions keep the provider's key untouched
/// and never make the resolver ask a server.
/// </summary>
internal sealed class HyperfunctionCacheKeyGenerator(IServiceProvider services, QueryEditionResolver resolver) : ICompiledQueryCacheKeyGenerator
{
    private ICompiledQueryCacheKeyGenerator? _inner;

    private ICompiledQueryCacheKeyGenerator Inner
        => _inner ??= ServiceDecoration.Inner<ICompiledQueryCacheKeyGenerator, HyperfunctionCacheKeyGenerator>(services);

    public object GenerateCacheKey(Expression query, bool async)
    {
        var key = Inner.GenerateCacheKey(query, async);
        return HyperfunctionFinder.Uses(query) ? new EditionKey(key, resolver.Resolve()) : key;
    }

    private sealed record EditionKey(object Inner, Hourglass.TimescaleEdition Edition);

    private sealed class HyperfunctionFinder : ExpressionVisitor
    {
        private bool _found;

        public static bool Uses(Expression query)
        {
            var finder = new HyperfunctionFinder();
            finder.Visit(query);
            return finder._found;
        }

        public override Expression? Visit(Expression? node) => _found ? node : base.Visit(node);

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method.DeclaringType is { } type
                && (type == typeof(TimescaleDbFunctionsExtensions) || type.IsDefined(typeof(HyperfunctionsAttribute), inherit: false)))
            {
                _found = true;
                return node;
            }

            return base.VisitMethodCall(node);
        }
    }
}
