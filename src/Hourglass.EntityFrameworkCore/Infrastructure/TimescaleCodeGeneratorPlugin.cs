using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Scaffolding;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Adds <c>UseTimescale()</c> to the <c>UseNpgsql(...)</c> call of a scaffolded context's <c>OnConfiguring</c>, as Npgsql's
/// NodaTime plugin adds <c>UseNodaTime()</c>: the scaffolded model calls <c>IsHypertable(...)</c>, which needs the plugin,
/// so without it the next <c>dotnet ef migrations add</c> would stop with the plugin error.
/// </summary>
internal sealed class TimescaleCodeGeneratorPlugin : ProviderCodeGeneratorPlugin
{
    private static readonly MethodInfo s_useTimescale = typeof(TimescaleNpgsqlDbContextOptionsBuilderExtensions)
        .GetMethod(nameof(TimescaleNpgsqlDbContextOptionsBuilderExtensions.UseTimescale))!;

    public override MethodCallCodeFragment GenerateProviderOptions() => new(s_useTimescale);
}
