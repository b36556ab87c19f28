using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Refuses Hourglass's model API on a context without <c>UseTimescale()</c>. Without the plugin no Hourglass
/// convention, validator, differ or translator exists, so the declarations would be dropped silently: migrations would
/// create plain tables and <c>EF.Functions.TimeBucket</c> would fail with EF's generic "translation failed". The
/// plugin's conventions mark each model they build (at model initialization, before <c>OnModelCreating</c>); the
/// builder methods check the mark. The mark is held beside the model, not as an annotation, so snapshots are unchanged.
/// </summary>
internal static class TimescalePluginCheck
{
    private static readonly ConditionalWeakTable<IReadOnlyModel, object> s_modelsWithPlugin = [];

    internal static void Mark(IReadOnlyModel model) => s_modelsWithPlugin.AddOrUpdate(model, s_mark);

    private static readonly object s_mark = new();

    /// <summary>Throws when the entity's model is built without the Hourglass plugin.</summary>
    public static void Require(IReadOnlyEntityType entityType, string feature, string property, string call)
    {
        if (s_modelsWithPlugin.TryGetValue(entityType.Model, out _))
        {
            return;
        }

        throw TimescaleModelError.Create(feature, entityType, property, Problem(call), Fix);
    }

    /// <summary>Throws when the model is built without the Hourglass plugin (model-level declarations such as jobs).</summary>
    public static void Require(IReadOnlyModel model, string subject, string call)
    {
        if (!s_modelsWithPlugin.TryGetValue(model, out _))
        {
            throw new InvalidOperationException($"{subject}: {Problem(call)}. Fix: {Fix}.");
        }
    }

    /// <summary>
    /// Throws when an entity of a model built without the plugin carries Hourglass's attributes (<c>[Hypertable]</c>,
    /// <c>[Columnstore]</c>, policy attributes): only the plugin's conventions read them, so without it they would be
    /// ignored. Called where Hourglass code runs without <c>UseTimescale()</c>: the design-time model differ of
    /// <c>dotnet ef migrations add</c>.
    /// </summary>
    public static void RequireForAttributes(IReadOnlyModel model)
    {
        foreach (var entityType in model.GetEntityTypes())
        {
            var attributes = entityType.ClrType.GetCustomAttributes(inherit: true).OfType<ITimescaleModelAttribute>().ToList();
            if (attributes.Count == 0)
            {
                continue;
            }

            // The attribute that names a property (the hypertable's time column) when there is one, else the first.
            var attribute = attributes.FirstOrDefault(a => a.Property is not null) ?? attributes[0];
            throw TimescaleModelError.Create(
                attribute.Feature,
                entityType,
                attribute.Property ?? "-",
                Problem($"[{attribute.GetType().Name[..^"Attribute".Length]}]") + " (without the plugin no convention reads the attribute)",
                Fix);
        }
    }

    private static string Problem(string call)
        => $"{call} needs the Hourglass plugin, and this context is configured without UseTimescale(): migrations would create a plain table without the TimescaleDB features, and TimescaleDB functions such as EF.Functions.TimeBucket would not translate";

    private const string Fix = "add UseTimescale() to the Npgsql options, e.g. options.UseNpgsql(connectionString, npgsql => npgsql.UseTimescale()) (or services.AddEntityFrameworkTimescale() for an internal service provider)";

    /// <summary>Checks the entity type behind an <see cref="EntityTypeBuilder"/>.</summary>
    public static void Require(EntityTypeBuilder builder, string feature, string property, string call) => Require(builder.Metadata, feature, property, call);
}

/// <summary>Marks every model built with the plugin's conventions (see <see cref="TimescalePluginCheck"/>).</summary>
internal sealed class TimescalePluginMarkConvention : IModelInitializedConvention
{
    public void ProcessModelInitialized(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
        => TimescalePluginCheck.Mark(modelBuilder.Metadata);
}

/// <summary>Adds <see cref="TimescalePluginMarkConvention"/> to the provider's convention set.</summary>
internal sealed class TimescalePluginMarkConventionSetPlugin : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.Add(new TimescalePluginMarkConvention());
        return conventionSet;
    }
}

/// <summary>
/// A class attribute that declares a TimescaleDB feature in the model; read only by the plugin's conventions, so
/// <see cref="TimescalePluginCheck.RequireForAttributes"/> finds it without knowing the feature.
/// </summary>
internal interface ITimescaleModelAttribute
{
    /// <summary>The feature's name in model errors, e.g. "Hypertable".</summary>
    string Feature { get; }

    /// <summary>The property the attribute names, if any.</summary>
    string? Property { get; }
}
