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
    /// <exception cref="InvalidOperationException">The connection string has an option Npgsql does not know or a value it does not accept; the message names the option and what it takes.</exception>
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

        // Here rather than in the extension's Validate, which EF calls only when it builds a new service provider: the
        // connection string is not part of that provider's cache key, so a second context with a bad one would pass.
        if (coreBuilder.Options.Extensions.OfType<RelationalOptionsExtension>().FirstOrDefault()?.ConnectionString is { Length: > 0 } connectionString)
        {
            ConnectionStringCheck.Validate(connectionString);
        }

        return optionsBuilder;
    }
}
