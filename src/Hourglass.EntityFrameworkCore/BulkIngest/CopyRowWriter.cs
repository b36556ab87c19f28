using System.Linq.Expressions;
using System.Reflection;
using Npgsql;
using NpgsqlTypes;

namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>
/// Writes one row and returns its sentinel bits (one bit per defaulted column whose property holds its sentinel).
/// In direct mode a row whose bits differ from <paramref name="copyDefaults"/> is not written.
/// </summary>
internal delegate long CopyRowWriter<in T>(NpgsqlBinaryImporter importer, T row, long rowIndex, long copyDefaults);

/// <summary>
/// Compiles, per entity type, one delegate that writes a row: each member is read once, compared with its sentinel
/// when the column has a server default, converted by the model's converter and handed to
/// <c>NpgsqlBinaryImporter.Write&lt;TProvider&gt;</c> with its PostgreSQL type, so values are never boxed.
/// </summary>
internal static class CopyRowWriter
{
    private static readonly MethodInfo s_startRow = typeof(NpgsqlBinaryImporter).GetMethod(nameof(NpgsqlBinaryImporter.StartRow), Type.EmptyTypes)!;
    private static readonly MethodInfo s_writeNull = typeof(NpgsqlBinaryImporter).GetMethod(nameof(NpgsqlBinaryImporter.WriteNull), Type.EmptyTypes)!;
    private static readonly MethodInfo s_writeWithDbType = WriteOverload(typeof(NpgsqlDbType));
    private static readonly MethodInfo s_writeWithDataTypeName = WriteOverload(typeof(string));
    private static readonly MethodInfo s_throwRequired = typeof(CopyColumn).GetMethod(nameof(CopyColumn.ThrowRequiredValueIsNull))!;
    private static readonly MethodInfo s_throwAlwaysGenerated = typeof(CopyColumn).GetMethod(nameof(CopyColumn.ThrowAlwaysGenerated))!;
    private static readonly MethodInfo s_throwNullRow = typeof(CopyRowWriter).GetMethod(nameof(ThrowNullRow), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static CopyRowWriter<T> Compile<T>(CopyTableMap map, bool staging)
    {
        var importer = Expression.Parameter(typeof(NpgsqlBinaryImporter), "importer");
        var row = Expression.Parameter(typeof(T), "row");
        var rowIndex = Expression.Parameter(typeof(long), "rowIndex");
        var copyDefaults = Expression.Parameter(typeof(long), "copyDefaults");
        var defaults = Expression.Variable(typeof(long), "defaults");
        var locals = new List<ParameterExpression> { defaults };
        var body = new List<Expression>
        {
            Expression.IfThen(
                Expression.ReferenceEqual(row, Expression.Constant(null, typeof(T))),
                Expression.Call(s_throwNullRow, Expression.Constant(map.EntityName), rowIndex)),
            Expression.Assign(defaults, Expression.Constant(0L)),
        };

        var read = new Dictionary<CopyColumn, ParameterExpression>();
        foreach (var column in map.Columns.Concat(map.AlwaysGenerated))
        {
            var instance = column.Member.DeclaringType is { } declaring && declaring != row.Type ? Expression.Convert(row, declaring) : (Expression)row;
            var access = Expression.MakeMemberAccess(instance, column.Member);
            var local = Expression.Variable(access.Type, column.Member.Name);
            locals.Add(local);
            read[column] = local;
            body.Add(Expression.Assign(local, access));
        }

        foreach (var column in map.AlwaysGenerated)
        {
            body.Add(Expression.IfThen(Expression.Not(IsSentinel(read[column], column)), Expression.Call(Expression.Constant(column), s_throwAlwaysGenerated, rowIndex)));
        }

        foreach (var column in map.DefaultedColumns)
        {
            body.Add(Expression.IfThen(IsSentinel(read[column], column), Expression.OrAssign(defaults, Expression.Constant(column.DefaultBit))));
        }

        var done = Expression.Label(typeof(long), "done");
        if (!staging)
        {
            body.Add(Expression.IfThen(Expression.NotEqual(defaults, copyDefaults), Expression.Return(done, defaults)));
        }

        body.Add(Expression.Call(importer, s_startRow));
        foreach (var column in map.Columns)
        {
            var write = WriteColumn(importer, rowIndex, column, read[column]);
            if (column.DefaultBit == 0)
            {
                body.Add(write);
                continue;
            }

            // The row holds the sentinel: the server's default applies. Direct COPY leaves the column out of its
            // column list; the staging table holds null, and the merge leaves the column out for such rows.
            var holdsSentinel = Expression.NotEqual(Expression.And(defaults, Expression.Constant(column.DefaultBit)), Expression.Constant(0L));
            body.Add(staging
                ? Expression.IfThenElse(holdsSentinel, Expression.Call(importer, s_writeNull), write)
                : Expression.IfThen(Expression.Not(holdsSentinel), write));
        }

        if (staging)
        {
            body.Add(Expression.Call(importer, s_writeWithDbType.MakeGenericMethod(typeof(long)), rowIndex, Expression.Constant(NpgsqlDbType.Bigint)));
            body.Add(Expression.Call(importer, s_writeWithDbType.MakeGenericMethod(typeof(long)), defaults, Expression.Constant(NpgsqlDbType.Bigint)));
        }

        body.Add(Expression.Label(done, defaults));
        return Expression.Lambda<CopyRowWriter<T>>(Expression.Block(locals, body), importer, row, rowIndex, copyDefaults).Compile();
    }

    private static Expression IsSentinel(ParameterExpression value, CopyColumn column)
    {
        if (column.Sentinel is null)
        {
            return Nullable.GetUnderlyingType(value.Type) is not null
                ? Expression.Not(Expression.Property(value, "HasValue"))
                : value.Type.IsValueType
                    ? Expression.Constant(false)
                    : Expression.ReferenceEqual(value, Expression.Constant(null, value.Type));
        }

        var comparerType = typeof(EqualityComparer<>).MakeGenericType(value.Type);
        var comparer = comparerType.GetProperty(nameof(EqualityComparer<int>.Default))!.GetValue(null)!;
        var sentinel = column.Sentinel.GetType() == value.Type || Nullable.GetUnderlyingType(value.Type) == column.Sentinel.GetType()
            ? Expression.Constant(column.Sentinel, value.Type)
            : Expression.Constant(Convert.ChangeType(column.Sentinel, Nullable.GetUnderlyingType(value.Type) ?? value.Type, System.Globalization.CultureInfo.InvariantCulture), value.Type);
        return Expression.Call(Expression.Constant(comparer, comparerType), comparerType.GetMethod(nameof(EqualityComparer<int>.Equals), [value.Type, value.Type])!, value, sentinel);
    }

    private static Expression WriteColumn(ParameterExpression importer, ParameterExpression rowIndex, CopyColumn column, ParameterExpression local)
    {
        Expression? hasValue = null;
        Expression value = local;
        if (Nullable.GetUnderlyingType(local.Type) is not null)
        {
            hasValue = Expression.Property(local, "HasValue");
            value = Expression.Property(local, "Value");
        }
        else if (!local.Type.IsValueType)
        {
            hasValue = Expression.ReferenceNotEqual(local, Expression.Constant(null, local.Type));
        }

        var write = Write(importer, ToProvider(value, column), column);
        var whenNull = column.IsNullable
            ? Expression.Call(importer, s_writeNull)
            : (Expression)Expression.Call(Expression.Constant(column), s_throwRequired, rowIndex);
        return hasValue is null ? write : Expression.IfThenElse(hasValue, write, whenNull);
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
