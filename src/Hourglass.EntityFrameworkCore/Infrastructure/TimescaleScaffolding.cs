using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;
using Npgsql.EntityFrameworkCore.PostgreSQL.Scaffolding.Internal;


namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// A feature's part of <c>dotnet ef dbcontext scaffold</c>: reads its catalog and annotates the tables and views Npgsql
/// read, from the typed catalog the Hourglass library reads. Runs inside the snapshot the whole read shares, after
/// TimescaleDB's own objects were removed.
/// </summary>
internal interface ITimescaleScaffoldingReader
{
    void Read(ScaffoldingCatalog catalog, DatabaseModel model);
}

/// <summary>Turns a feature's scaffolding annotations into fluent API calls, removing the annotations it handled.</summary>
internal interface ITimescaleScaffoldingCodeGenerator
{
    IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations);

    /// <summary>Calls on the model builder, for features declared on the model rather than an entity.</summary>
    IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IModel model, IDictionary<string, IAnnotation> annotations) => [];
}

/// <summary>
/// Wraps the database model factory registered before it (Npgsql's): reads the database with it, then leaves out what
/// TimescaleDB owns (its schemas and chunk tables) and lets each feature mark what it recognises.
/// </summary>
internal sealed class TimescaleDatabaseModelFactory(
    IServiceProvider services,
    IEnumerable<ITimescaleScaffoldingReader> features) : IDatabaseModelFactory
{
    private readonly ITimescaleScaffoldingReader[] _features = features.ToArray();
    private IDatabaseModelFactory? _inner;

    private IDatabaseModelFactory Inner => _inner ??= ServiceDecoration.Inner<IDatabaseModelFactory, TimescaleDatabaseModelFactory>(services);

    public DatabaseModel Create(string connectionString, DatabaseModelFactoryOptions options)
    {
        using var connection = new NpgsqlConnection(connectionString);
        return Create(connection, options);
    }

    /// <summary>While features read: the schemas scaffolding was asked for (a list; empty for all).</summary>
    internal const string ScaffoldedSchemasAnnotation = "Hourglass:Scaffold:Schemas";

    public DatabaseModel Create(DbConnection connection, DatabaseModelFactoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var opened = connection.State != ConnectionState.Open;
        if (opened)
        {
            connection.Open();
        }

        // One snapshot for every catalog query: inserts elsewhere create chunk tables (and their indexes)
        // at any time, and a table seen by one query but not the next breaks the read.
        using var snapshot = opened ? connection.BeginTransaction(IsolationLevel.RepeatableRead) : null;
        try
        {
            var model = Inner.Create(connection, options);
            if (ScaffoldingCatalog.Read(connection) is not { } catalog)
            {
                return model;
            }

            var chunks = catalog.Chunks.ToHashSet();
            var removed = model.Tables
                .Where(t => TimescaleServer.OwnSchemas.Contains(t.Schema) || chunks.Contains((t.Schema!, t.Name)))
                .ToHashSet();
            foreach (var table in removed)
            {
                model.Tables.Remove(table);
            }

            foreach (var table in model.Tables)
            {
                foreach (var foreignKey in table.ForeignKeys.Where(f => removed.Contains(f.PrincipalTable)).ToList())
                {
                    table.ForeignKeys.Remove(foreignKey);
                }
            }

            // The schemas asked for, while the features read (jobs belong to schemas, not tables); not part of the result.
            model[ScaffoldedSchemasAnnotation] = options.Schemas.ToList();
            foreach (var feature in _features)
            {
                feature.Read(catalog, model);
            }

            model.RemoveAnnotation(ScaffoldedSchemasAnnotation);
            return model;
        }
        finally
        {
            if (opened)
            {
                connection.Close();
            }
        }
    }
}

/// <summary>
/// Wraps the annotation code generator registered before it (Npgsql's): every call goes to it, and scaffolded entities and
/// models also get each TimescaleDB feature's fluent API calls.
/// </summary>
internal sealed class TimescaleAnnotationCodeGenerator(
    IServiceProvider services,
    IEnumerable<ITimescaleScaffoldingCodeGenerator> features) : IAnnotationCodeGenerator
{
    private readonly ITimescaleScaffoldingCodeGenerator[] _features = features.ToArray();
    private IAnnotationCodeGenerator? _inner;

    private IAnnotationCodeGenerator Inner => _inner ??= ServiceDecoration.Inner<IAnnotationCodeGenerator, TimescaleAnnotationCodeGenerator>(services);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(annotations);
        var calls = Inner.GenerateFluentApiCalls(entityType, annotations).ToList();
        foreach (var feature in _features)
        {
            calls.AddRange(feature.GenerateFluentApiCalls(entityType, annotations));
        }

        return ChainOntoFeatureBuilders(calls);
    }

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IModel model, IDictionary<string, IAnnotation> annotations)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(annotations);
        var calls = Inner.GenerateFluentApiCalls(model, annotations).ToList();
        foreach (var feature in _features)
        {
            calls.AddRange(feature.GenerateFluentApiCalls(model, annotations));
        }

        return calls;
    }

    // A feature's call on another feature's builder (e.g. WithRetentionPolicy on the HypertableBuilder that IsHypertable
    // returns) is chained onto the call that returns that builder.
    private static List<MethodCallCodeFragment> ChainOntoFeatureBuilders(List<MethodCallCodeFragment> calls)
    {
        var result = new List<MethodCallCodeFragment>();
        foreach (var call in calls)
        {
            var receiver = call.MethodInfo is { IsStatic: true } method && method.IsDefined(typeof(System.Runtime.CompilerServices.ExtensionAttribute), false)
                ? method.GetParameters()[0].ParameterType
                : null;
            var index = receiver is null || receiver.Assembly != typeof(TimescaleAnnotationCodeGenerator).Assembly
                ? -1
                : result.FindLastIndex(c => LastInChain(c).MethodInfo?.ReturnType is { } returned && receiver.IsAssignableFrom(returned));
            if (index < 0)
            {
                result.Add(call);
            }
            else
            {
                result[index] = result[index].Chain(call);
            }
        }

        return result;
    }

    private static MethodCallCodeFragment LastInChain(MethodCallCodeFragment call)
    {
        while (call.ChainedCall is not null)
        {
            call = call.ChainedCall;
        }

        return call;
    }

    // Everything else is the wrapped generator's.
    public IEnumerable<IAnnotation> FilterIgnoredAnnotations(IEnumerable<IAnnotation> annotations) => Inner.FilterIgnoredAnnotations(annotations);

    public void RemoveAnnotationsHandledByConventions(IModel model, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(model, annotations);

    public void RemoveAnnotationsHandledByConventions(IEntityType entityType, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(entityType, annotations);

    public void RemoveAnnotationsHandledByConventions(IComplexType complexType, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(complexType, annotations);

    public void RemoveAnnotationsHandledByConventions(IEntityTypeMappingFragment fragment, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(fragment, annotations);

    public void RemoveAnnotationsHandledByConventions(IProperty property, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(property, annotations);

    public void RemoveAnnotationsHandledByConventions(IComplexProperty complexProperty, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(complexProperty, annotations);

    public void RemoveAnnotationsHandledByConventions(IKey key, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(key, annotations);

    public void RemoveAnnotationsHandledByConventions(IForeignKey foreignKey, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(foreignKey, annotations);

    public void RemoveAnnotationsHandledByConventions(INavigation navigation, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(navigation, annotations);

    public void RemoveAnnotationsHandledByConventions(ISkipNavigation navigation, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(navigation, annotations);

    public void RemoveAnnotationsHandledByConventions(IIndex index, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(index, annotations);

    public void RemoveAnnotationsHandledByConventions(ICheckConstraint checkConstraint, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(checkConstraint, annotations);

    public void RemoveAnnotationsHandledByConventions(ITrigger trigger, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(trigger, annotations);

    public void RemoveAnnotationsHandledByConventions(IRelationalPropertyOverrides overrides, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(overrides, annotations);

    public void RemoveAnnotationsHandledByConventions(ISequence sequence, IDictionary<string, IAnnotation> annotations) => Inner.RemoveAnnotationsHandledByConventions(sequence, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IComplexType complexType, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(complexType, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityTypeMappingFragment fragment, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(fragment, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IProperty property, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(property, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IComplexProperty complexProperty, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(complexProperty, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IKey key, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(key, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IForeignKey foreignKey, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(foreignKey, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(INavigation navigation, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(navigation, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(ISkipNavigation navigation, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(navigation, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IIndex index, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(index, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(ICheckConstraint checkConstraint, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(checkConstraint, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(ITrigger trigger, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(trigger, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(IRelationalPropertyOverrides overrides, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(overrides, annotations);

    public IReadOnlyList<MethodCallCodeFragment> GenerateFluentApiCalls(ISequence sequence, IDictionary<string, IAnnotation> annotations) => Inner.GenerateFluentApiCalls(sequence, annotations);

    public IReadOnlyList<AttributeCodeFragment> GenerateDataAnnotationAttributes(IEntityType entityType, IDictionary<string, IAnnotation> annotations) => Inner.GenerateDataAnnotationAttributes(entityType, annotations);

    public IReadOnlyList<AttributeCodeFragment> GenerateDataAnnotationAttributes(IProperty property, IDictionary<string, IAnnotation> annotations) => Inner.GenerateDataAnnotationAttributes(property, annotations);
}
