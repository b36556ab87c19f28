using System.Reflection;
using System.Text;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

[assembly: TimescaleFeature(typeof(Hourglass.EntityFrameworkCore.Tablespaces.TablespaceServices))]

namespace Hourglass.EntityFrameworkCore.Tablespaces;

/// <summary>The hypertable tablespaces feature's services.</summary>
internal sealed class TablespaceServices : ITimescaleFeature
{
    // After hypertables (attach_tablespace follows create_hypertable); independent of the other features.
    public int Order => 260;

    public void AddServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IConventionSetPlugin, TablespaceConventionSetPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleModelDiffer, TablespaceModelDiffer>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<ITimescaleOperationSqlGenerator, TablespaceSqlGenerator>());
    }

    public void AddDesignTimeServices(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleOperationCSharpGenerator, TablespaceCSharpGenerator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingReader, TablespaceScaffolding>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimescaleScaffoldingCodeGenerator, TablespaceScaffolding>());
    }
}

/// <summary>Reads <see cref="HypertableTablespacesAttribute"/>, and checks the tablespaces once the model is complete.</summary>
internal sealed class TablespaceConventionSetPlugin : IConventionSetPlugin, IEntityTypeAddedConvention, IModelFinalizingConvention
{
    // PostgreSQL's NAMEDATALEN - 1: a longer name is cut, so attach_tablespace would name another tablespace than the model.
    private const int MaxNameBytes = 63;

    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        ArgumentNullException.ThrowIfNull(conventionSet);
        conventionSet.Add(this);
        return conventionSet;
    }

    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        if (!entityType.HasSharedClrType && entityType.ClrType.GetCustomAttribute<HypertableTablespacesAttribute>(inherit: true) is { } attribute)
        {
            entityTypeBuilder.HasAnnotation(TablespaceAnnotation.Name, TablespaceAnnotation.Add(entityType, attribute.Tablespaces), fromDataAnnotation: true);
        }
    }

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            var tablespaces = TablespaceAnnotation.Read(entityType);
            if (tablespaces.Count == 0)
            {
                continue;
            }

            if (HypertableDefinition.Find(entityType) is null)
            {
                throw HypertableFeatureChecks.Error(
                    "Tablespaces", entityType, "(table)",
                    "the entity is not a hypertable, and TimescaleDB attaches tablespaces to hypertables only (a continuous aggregate's chunks follow its hypertable's)",
                    "declare the hypertable first: IsHypertable(x => x.Time).WithTablespaces(...), or [Hypertable(nameof(Time))] with [HypertableTablespaces(...)]; for a plain table use EF's ToTable(...) with a tablespace in a migration");
            }

            foreach (var tablespace in tablespaces)
            {
                if (string.IsNullOrWhiteSpace(tablespace) || tablespace != tablespace.Trim())
                {
                    throw HypertableFeatureChecks.Error(
                        "Tablespaces", entityType, "(table)", $"the tablespace name \"{tablespace}\" is empty or has spaces around it",
                        "name an existing tablespace as CREATE TABLESPACE named it, e.g. WithTablespaces(\"archive\")");
                }

                if (Encoding.UTF8.GetByteCount(tablespace) > MaxNameBytes)
                {
                    throw HypertableFeatureChecks.Error(
                        "Tablespaces", entityType, "(table)", $"the tablespace name \"{tablespace}\" is longer than PostgreSQL's {MaxNameBytes} bytes",
                        "use the tablespace's name as PostgreSQL stores it (at most 63 bytes)");
                }

                if (tablespace is "pg_global")
                {
                    throw HypertableFeatureChecks.Error(
                        "Tablespaces", entityType, "(table)", "pg_global holds PostgreSQL's shared catalogs and can hold no table",
                        "name a tablespace created with CREATE TABLESPACE");
                }
            }
        }
    }
}

/// <summary>Compares the attached tablespaces of each hypertable: removed ones detached first, new ones attached after create_hypertable.</summary>
internal sealed class TablespaceModelDiffer : ITimescaleModelDiffer
{
    public void AddDifferences(IRelationalModel? source, IRelationalModel? target, IReadOnlyList<MigrationOperation> efOperations, List<MigrationOperation> before, List<MigrationOperation> after)
    {
        foreach (var pair in HypertableFeaturePair.All(source, target, efOperations, after))
        {
            if (pair.Target is null)
            {
                continue;
            }

            var existing = pair.Source is null ? [] : TablespaceAnnotation.Read(pair.Source);
            var wanted = TablespaceAnnotation.Read(pair.Target);
            before.AddRange(existing.Except(wanted).Select(t => new DetachTablespaceOperation { Schema = pair.SourceSchema, Table = pair.SourceTable, Tablespace = t }));
            after.AddRange(wanted.Except(existing).Select(t => new AttachTablespaceOperation { Schema = pair.Schema, Table = pair.Table, Tablespace = t }));
        }
    }
}

/// <summary><c>attach_tablespace</c> / <c>detach_tablespace</c> (TimescaleDB's Apache-licensed API, on every version).</summary>
internal sealed class TablespaceSqlGenerator : ITimescaleOperationSqlGenerator
{
    public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
    {
        switch (operation)
        {
            case AttachTablespaceOperation attach:
                context.AppendCall(builder, $"attach_tablespace({TimescaleSqlContext.Literal(attach.Tablespace)}, {context.RegClass(attach.Table, attach.Schema)})");
                return true;
            case DetachTablespaceOperation detach:
                context.AppendCall(builder, $"detach_tablespace({TimescaleSqlContext.Literal(detach.Tablespace)}, {context.RegClass(detach.Table, detach.Schema)})");
                return true;
            default:
                return false;
        }
    }
}

/// <summary>Writes <c>migrationBuilder.AttachTablespace(...)</c> and <c>DetachTablespace(...)</c>.</summary>
internal sealed class TablespaceCSharpGenerator : ITimescaleOperationCSharpGenerator
{
    public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
        => operation switch
        {
            AttachTablespaceOperation o => TableOperationCall.Write(builder, code, "AttachTablespace", o, ("tablespace", code.Literal(o.Tablespace))),
            DetachTablespaceOperation o => TableOperationCall.Write(builder, code, "DetachTablespace", o, ("tablespace", code.Literal(o.Tablespace))),
            _ => false,
        };
}

/// <summary>Reads the attached tablespaces from the catalog and writes them as <c>.WithTablespaces("fast", "archive")</c>.</summary>
internal sealed class TablespaceScaffolding : ITimescaleScaffoldingReader, ITimescaleScaffoldingCodeGenerator
{
    private const string Annotation = "Hourglass:Scaffold:Tablespaces";

    private static readonly MethodInfo s_withTablespaces = typeof(TablespaceHypertableBuilderExtensions)
        .GetMethod(nameof(TablespaceHypertableBuilderExtensions.WithTablespaces), [typeof(HypertableBuilder), typeof(string[])])!;

    public void Read(ScaffoldingCatalog catalog, DatabaseModel model)
    {
        foreach (var group in catalog.Tablespaces.GroupBy(t => (t.Schema, t.Table)))
        {
            if (ScaffoldedHypertables.Find(model, group.Key.Schema, group.Key.Table) is { } table)
            {
                table[Annotation] = AnnotationJson.Serialize(group.Select(t => t.Tablespace).ToList());
            }
        }
    }

    public IEnumerable<MethodCallCodeFragment> GenerateFluentApiCalls(IEntityType entityType, IDictionary<string, IAnnotation> annotations)
    {
        if (annotations.Remove(Annotation, out var annotation) && annotation.Value is string json)
        {
            yield return new MethodCallCodeFragment(s_withTablespaces, AnnotationJson.Deserialize<List<string>>(json).Cast<object?>().ToArray());
        }
    }
}
