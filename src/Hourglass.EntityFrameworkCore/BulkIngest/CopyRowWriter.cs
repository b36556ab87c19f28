using System.Linq.Expressions;
using System.Reflection;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>
/// Compiles, per entity type, one delegate that writes a row: each member is read once, converted by the model's
/// converter and handed to <c>NpgsqlBinaryImporter.Write&lt;TProvider&gt;</c> with its PostgreSQL type, so values
/// are never boxed.
/// </summary>
internal static class CopyRowWriter
{
    private static readonly MethodInfo s_startRow = typeof(NpgsqlBinaryImporter).GetMethod(nameof(NpgsqlBinaryImporter.StartRow), Type.EmptyTypes)!;
    private static readonly MethodInfo s_writeNull = typeof(NpgsqlBinaryImporter).GetMethod(nameof(NpgsqlBinaryImporter.WriteNull), Type.EmptyTypes)!;
    private static readonly MethodInfo s_writeWithDbType = WriteOverload(typeof(NpgsqlDbType));
    private static readonly MethodInfo s_writeWithDataTypeName = WriteOverload(typeof(string));
    private static readonly MethodInfo s_throwRequired = typeof(CopyColumn).GetMethod(nameof(CopyColumn.ThrowRequiredValueIsNull))!;
    private static readonly MethodInfo s_throwNullRow = typeof(CopyRowWriter).GetMethod(nameof(ThrowNullRow), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static Action<NpgsqlBinaryImporter, T, long> Compile<T>(CopyTableMap map, bool withRowIndex)
    {
        var importer = Expression.Parameter(typeof(NpgsqlBinaryImporter), "importer");
        var row = Expression.Parameter(typeof(T), "row");
        var rowIndex = Expression.Parameter(typeof(long), "rowIndex");
        var locals = new List<ParameterExpression>();
        var body = new List<Expression>
        {
            Expression.IfThen(
                Expression.ReferenceEqual(row, Expression.Constant(null, typeof(T))),
                Expression.Call(s_throwNullRow, Expression.Constant(map.EntityName), rowIndex)),
            Expression.Call(importer, s_startRow),
        };
        foreach (var column in map.Columns)
        {
            body.Add(WriteColumn(importer, row, rowIndex, column, locals));
        }

        if (withRowIndex)
        {
            body.Add(Expression.Call(importer, s_writeWithDbType.MakeGenericMethod(typeof(long)), rowIndex, Expression.Constant(NpgsqlDbType.Bigint)));
        }

        return Expression.Lambda<Action<NpgsqlBinaryImporter, T, long>>(Expression.Block(locals, body), importer, row, rowIndex).Compile();
    }

    private static BlockExpression WriteColumn(ParameterExpression importer, ParameterExpression row, ParameterExpression rowIndex, CopyColumn column, List<ParameterExpression> locals)
    {
        var instance = column.Member.DeclaringType is { } declaring && declaring != row.Type ? Expression.Convert(row, declaring) : (Expression)row;
        var read = Expression.MakeMemberAccess(instance, column.Member);
        var local = Expression.Variable(read.Type, column.Member.Name);
        locals.Add(local);

        Expression? hasValue = null;
        Expression value = local;
        if (Nullable.GetUnderlyingType(read.Type) is not null)
        {
            hasValue = Expression.Property(local, "HasValue");
            value = Expression.Property(local, "Value");
        }
        else if (!read.Type.IsValueType)
        {
            hasValue = Expression.ReferenceNotEqual(local, Expression.Constant(null, read.Type));
        }

        var write = Write(importer, ToProvider(value, column), column);
        var whenNull = column.IsNullable
            ? Expression.Call(importer, s_writeNull)
            : (Expression)Expression.Call(Expression.Constant(column), s_throwRequired, rowIndex);
        var store = Expression.Assign(local, read);
        return hasValue is null
            ? Expression.Block(store, write)
            : Expression.Block(store, Expression.IfThenElse(hasValue, write, whenNull));
    }

    private static Expression ToProvider(Expression value, CopyColumn column)
    {
        if (column.TypeMapping.Converter is not { } converter)
        {
            return value;
        }

        var toProvider = converter.ConvertToProviderExpression;
        var argumentType = toProvider.Parameters[0].Type;
        var argument = value.Type == argumentType ? value : Expression.Convert(value, argumentType);
        var converted = Expression.Invoke(toProvider, argument);
        return Nullable.GetUnderlyingType(converted.Type) is not null ? Expression.Property(converted, "Value") : converted;
    }

    private static MethodCallExpression Write(ParameterExpression importer, Expression value, CopyColumn column)
    {
        if (column.NpgsqlDbType is { } dbType)
        {
            return Expression.Call(importer, s_writeWithDbType.MakeGenericMethod(value.Type), value, Expression.Constant(dbType));
        }

        return Expression.Call(importer, s_writeWithDataTypeName.MakeGenericMethod(value.Type), value, Expression.Constant(column.DataTypeName, typeof(string)));
    }

    private static MethodInfo WriteOverload(Type typeArgument) => typeof(NpgsqlBinaryImporter)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance)
        .Single(m => m.Name == nameof(NpgsqlBinaryImporter.Write) && m.IsGenericMethodDefinition && m.GetParameters() is { Length: 2 } p && p[1].ParameterType == typeArgument);

    private static void ThrowNullRow(string entityName, long rowIndex) => throw new BulkIngestException(
        $"Row {rowIndex} (zero-based position in the source) of {entityName} is null. Remove null rows from the source. Nothing was written.",
        entityName, null, rowIndex);
}
