namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>The hyperfunctions' error messages.</summary>
internal static class HyperfunctionErrors
{
    public static InvalidOperationException CalledOnClient(string method, string sqlFunction)
        => new(
            $"EF.Functions.{method} is TimescaleDB's {sqlFunction}() and runs only inside a LINQ query against a DbContext configured "
            + "with UseNpgsql(..., o => o.UseTimescale()); it cannot be called in C#. "
            + "Fix: use it inside the query (Where, GroupBy, Select, OrderBy) before the query is materialised, "
            + "not after ToList()/AsEnumerable() or on objects in memory.");
}

/// <summary>
/// Marks a class of <c>EF.Functions</c> extensions that <see cref="HyperfunctionMethodTranslator"/> translates by method
/// and parameter names, like <see cref="Microsoft.EntityFrameworkCore.TimescaleDbFunctionsExtensions"/> (e.g. the NodaTime
/// package's overloads).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class HyperfunctionsAttribute : Attribute;
