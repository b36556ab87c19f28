using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

// Extension methods live in EF's namespace, as Npgsql's own plugins do, so they are found without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Adds TimescaleDB to the Npgsql EF Core provider.</summary>
public static class TimescaleNpgsqlDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Uses TimescaleDB: hypertables and the other TimescaleDB features declared in the model are created and altered by
    /// migrations, <c>EnsureCreated</c> and generated scripts.
    /// </summary>
    /// <param name="optionsBuilder">The Npgsql options builder (the <c>o</c> of <c>UseNpgsql(cs, o =&gt; ...)</c>).</param>
    /// <param name="configure">Optional TimescaleDB options.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static NpgsqlDbContextOptionsBuilder UseTimescale(
        this NpgsqlDbContextOptionsBuilder optionsBuilder,
        Action<TimescaleDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        var coreBuilder = ((IRelationalDbContextOptionsBuilderInfrastructure)optionsBuilder).OptionsBuilder;
        var extension = coreBuilder.Options.FindExtension<TimescaleOptionsExtension>() ?? new TimescaleOptionsExtension();
        var timescaleBuilder = new TimescaleDbContextOptionsBuilder(extension);
        configure?.Invoke(timescaleBuilder);
        ((IDbContextOptionsBuilderInfrastructure)coreBuilder).AddOrUpdateExtension(timescaleBuilder.Extension);
        return optionsBuilder;
    }
}
