namespace Hourglass.EntityFrameworkCore.Hyperfunctions;

/// <summary>
/// Marks a class of <c>EF.Functions</c> extensions that <see cref="HyperfunctionMethodTranslator"/> translates by method
/// and parameter names, like <see cref="Microsoft.EntityFrameworkCore.TimescaleDbFunctionsExtensions"/> (e.g. the NodaTime
/// package's overloads): each method's name and parameter names must be those of a method of
/// <see cref="Microsoft.EntityFrameworkCore.TimescaleDbFunctionsExtensions"/>, whose SQL it gets.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class HyperfunctionsAttribute : Attribute
{
    /// <summary>
    /// What a hyperfunction throws when it is called in C# rather than translated inside a query: it names the SQL
    /// function and the fix.
    /// </summary>
    /// <param name="method">The <c>EF.Functions</c> method.</param>
    /// <param name="sqlFunction">The TimescaleDB function it stands for.</param>
    /// <returns>The exception to throw.</returns>
    public static InvalidOperationException CalledOnClient(string method, string sqlFunction)
        => new(
            $"EF.Functions.{method} is TimescaleDB's {sqlFunction}() and runs only inside a LINQ query against a DbContext configured "
            + "with UseNpgsql(..., o => o.UseTimescale()); it cannot be called in C#. "
            + "Fix: use it inside the query (Where, GroupBy, Select, OrderBy) before the query is materialised, "
            + "not after ToList()/AsEnumerable() or on objects in memory.");
}
