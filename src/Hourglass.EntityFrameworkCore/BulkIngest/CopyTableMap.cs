using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>One column the COPY sends: read from a CLR member, converted by the model's value converter, written with the model's PostgreSQL type.</summary>
internal sealed class CopyColumn
{
    public required IProperty Property { get; init; }

    public required MemberInfo Member { get; init; }

    public required string ColumnName { get; init; }

    public required bool IsNullable { get; init; }

    public required RelationalTypeMapping TypeMapping { get; init; }

    /// <summary>Set when Npgsql knows the type by enum; otherwise <see cref="DataTypeName"/> is.</summary>
    public NpgsqlDbType? NpgsqlDbType { get; init; }

    public string? DataTypeName { get; init; }

    public required string EntityName { get; init; }

    public string QuotedName => CopyTableMap.Quote(ColumnName);

    /// <summary>Called from the compiled row writer; never returns.</summary>
    public void ThrowRequiredValueIsNull(long rowIndex) => throw new BulkIngestException(
        $"Row {rowIndex} (zero-based position in the source) of {EntityName} has null in {Property.Name}, but column \"{ColumnName}\" is NOT NULL. " +
        $"Give {Property.Name} a value in every row, or make it optional in the model and the database (IsRequired(false)). Nothing was written.",
        EntityName, Property.Name, rowIndex);
}

/// <summary>
/// The COPY shape of one entity type, read from the EF model: table, schema, column names, PostgreSQL types and
/// value converters. Store-generated columns (identity, serial, computed, defaults, xmin) are left to the server.
/// </summary>
internal sealed class CopyTableMap
{
    private static readonly ConditionalWeakTable<IEntityType, CopyTableMap> s_maps = new();

    private readonly ConcurrentWriterCache _writers = new();

    private CopyTableMap(IEntityType entityType, string table, string? schema, IReadOnlyList<CopyColumn> columns, IReadOnlyList<IProperty> skipped)
    {
        EntityType = entityType;
        Table = table;
        Schema = schema;
        Columns = columns;
        SkippedProperties = skipped;
        QualifiedTable = schema is null ? Quote(table) : $"{Quote(schema)}.{Quote(table)}";
        StoreObject = StoreObjectIdentifier.Table(table, schema);
    }

    public IEntityType EntityType { get; }

    public string EntityName => EntityType.DisplayName();

    public string Table { get; }

    public string? Schema { get; }

    public string QualifiedTable { get; }

    public StoreObjectIdentifier StoreObject { get; }

    public IReadOnlyList<CopyColumn> Columns { get; }

    /// <summary>Properties mapped to the table whose values the server generates.</summary>
    public IReadOnlyList<IProperty> SkippedProperties { get; }

    public string ColumnList => string.Join(", ", Columns.Select(c => c.QuotedName));

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static CopyTableMap For(DbContext context, Type clrType)
    {
        var entityType = context.Model.FindEntityType(clrType) ?? throw new BulkIngestException(
            $"{clrType.Name} is not an entity type of {context.GetType().Name}'s model, so there is no table to copy into. " +
            $"Add it to the model (a DbSet<{clrType.Name}> property or modelBuilder.Entity<{clrType.Name}>()).",
            clrType.Name, null, null);
        return s_maps.GetValue(entityType, Build);
    }

    public Action<NpgsqlBinaryImporter, T, long> Writer<T>(bool withRowIndex) => _writers.Get<T>(this, withRowIndex);

    public CopyColumn? FindColumn(string propertyName) => Columns.FirstOrDefault(c => c.Property.Name == propertyName);

    private static CopyTableMap Build(IEntityType entityType)
    {
        var name = entityType.DisplayName();
        var table = entityType.GetTableName() ?? throw new BulkIngestException(
            $"{name} is not mapped to a table (it maps to {(entityType.GetViewName() is { } view ? $"the view {view}" : entityType.GetSqlQuery() is not null ? "a SQL query" : "nothing")}). " +
            "Bulk ingest copies into tables: map it with ToTable(...).",
            name, null, null);
        if (entityType.GetDirectlyDerivedTypes().Any() || entityType.BaseType is not null)
        {
            throw new BulkIngestException(
                $"{name} is part of an inheritance hierarchy; bulk ingest supports entity types without base or derived types. Ingest into a type of its own table.",
                name, null, null);
        }

        if (entityType.GetComplexProperties().Any() || entityType.GetNavigations().Any(n => n.TargetEntityType.IsOwned()))
        {
            var owned = entityType.GetComplexProperties().Select(p => p.Name).Concat(entityType.GetNavigations().Where(n => n.TargetEntityType.IsOwned()).Select(n => n.Name)).First();
            throw new BulkIngestException(
                $"{name}.{owned} is a complex or owned property; bulk ingest writes scalar properties only. Map it as a scalar (for JSON, a string or JsonDocument property with HasColumnType(\"jsonb\")) or ingest it another way.",
                name, owned, null);
        }

        var schema = entityType.GetSchema();
        var storeObject = StoreObjectIdentifier.Table(table, schema);
        var columns = new List<CopyColumn>();
        var skipped = new List<IProperty>();
        using var probe = new NpgsqlCommand();
        foreach (var property in entityType.GetProperties())
        {
            var columnName = property.GetColumnName(storeObject);
            if (columnName is null)
            {
                continue;
            }

            if (IsGeneratedByServer(property, storeObject))
            {
                skipped.Add(property);
                continue;
            }

            var member = property.PropertyInfo as MemberInfo ?? property.FieldInfo ?? throw new BulkIngestException(
                $"{name}.{property.Name} is a shadow property: rows carry no value for it. Bulk ingest needs a CLR property or field, or a server-side default (HasDefaultValueSql) so the column can be left out.",
                name, property.Name, null);
            var mapping = property.FindRelationalTypeMapping(storeObject) ?? property.GetRelationalTypeMapping();
            var (dbType, dataTypeName) = PostgresType(mapping, probe);
            columns.Add(new CopyColumn
            {
                Property = property,
                Member = member,
                ColumnName = columnName,
                IsNullable = property.IsColumnNullable(storeObject),
                TypeMapping = mapping,
                NpgsqlDbType = dbType,
                DataTypeName = dataTypeName,
                EntityName = name,
            });
        }

        if (columns.Count == 0)
        {
            throw new BulkIngestException($"{name} has no column the client can write: every mapped property is generated by the server.", name, null, null);
        }

        return new CopyTableMap(entityType, table, schema, columns, skipped);
    }

    private static bool IsGeneratedByServer(IProperty property, in StoreObjectIdentifier storeObject)
    {
        if (property.GetComputedColumnSql(storeObject) is not null || property.GetDefaultValueSql(storeObject) is not null || property.TryGetDefaultValue(storeObject, out _))
        {
            return true;
        }

        if (property.GetValueGenerationStrategy(storeObject) is Npgsql.EntityFrameworkCore.PostgreSQL.Metadata.NpgsqlValueGenerationStrategy.IdentityAlwaysColumn
            or Npgsql.EntityFrameworkCore.PostgreSQL.Metadata.NpgsqlValueGenerationStrategy.IdentityByDefaultColumn
            or Npgsql.EntityFrameworkCore.PostgreSQL.Metadata.NpgsqlValueGenerationStrategy.SerialColumn)
        {
            return true;
        }

        // System and concurrency columns such as xmin: generated on add and update, with no CLR member to read.
        return property.ValueGenerated == ValueGenerated.OnAddOrUpdate && property.IsShadowProperty();
    }

    /// <summary>Asks the type mapping how it configures an Npgsql parameter: that is the type EF itself sends.</summary>
    private static (NpgsqlDbType?, string?) PostgresType(RelationalTypeMapping mapping, NpgsqlCommand probe)
    {
        var parameter = (NpgsqlParameter)mapping.CreateParameter(probe, "p", null);
        if (parameter.NpgsqlDbType != NpgsqlTypes.NpgsqlDbType.Unknown)
        {
            return (parameter.NpgsqlDbType, null);
        }

        return (null, parameter.DataTypeName ?? mapping.StoreTypeNameBase);
    }

    private sealed class ConcurrentWriterCache
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<(Type, bool), Delegate> _cache = new();

        public Action<NpgsqlBinaryImporter, T, long> Get<T>(CopyTableMap map, bool withRowIndex) =>
            (Action<NpgsqlBinaryImporter, T, long>)_cache.GetOrAdd((typeof(T), withRowIndex), static (key, m) => CopyRowWriter.Compile<T>(m, key.Item2), map);
    }
}
