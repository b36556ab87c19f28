using Microsoft.EntityFrameworkCore;
using System.Globalization;
using System.Text;

namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>
/// A temporary table shaped like the target that a batch is copied into when it cannot go straight to the target:
/// every upsert batch, and an insert batch whose rows leave different defaulted columns to the server. Each row carries
/// its position in the source and its sentinel bits, so the rows are inserted per column set and the server applies
/// its own defaults (including identity and serial) exactly as an INSERT that leaves the column out.
/// </summary>
internal static class StagingTable
{
    internal const string RowColumn = "__hourglass_row";

    internal const string DefaultsColumn = "__hourglass_defaults";

    public static string NewName() => $"hourglass_stage_{Guid.NewGuid():N}";

    /// <summary>
    /// Temporary, dropped at commit at the latest, so nothing outlives the transaction (also when the connection
    /// drops: the session's temporary tables go with it). Constraints are copied so CHECK and NOT NULL failures surface
    /// during COPY, where the server names the row; columns the server fills drop their NOT NULL, as a row leaves null there.
    /// </summary>
    public static string CreateSql(CopyTableMap map, string staging)
    {
        var sql = new StringBuilder();
        sql.Append("SET LOCAL work_mem = '256MB';\n");
        sql.Append(CultureInfo.InvariantCulture, $"CREATE TEMP TABLE {CopyTableMap.Quote(staging)} (LIKE {map.QualifiedTable} INCLUDING CONSTRAINTS) ON COMMIT DROP;\n");
        sql.Append(CultureInfo.InvariantCulture, $"ALTER TABLE {CopyTableMap.Quote(staging)} ADD COLUMN {CopyTableMap.Quote(RowColumn)} bigint, ADD COLUMN {CopyTableMap.Quote(DefaultsColumn)} bigint");
        foreach (var column in map.SkippedProperties.Select(p => p.GetColumnName(map.StoreObject)!).Concat(map.DefaultedColumns.Select(c => c.ColumnName)))
        {
            sql.Append(CultureInfo.InvariantCulture, $", ALTER COLUMN {CopyTableMap.Quote(column)} DROP NOT NULL");
        }

        sql.Append(';');
        return sql.ToString();
    }

    public static string CopySql(CopyTableMap map, string staging) =>
        $"COPY {CopyTableMap.Quote(staging)} ({map.ColumnList}, {CopyTableMap.Quote(RowColumn)}, {CopyTableMap.Quote(DefaultsColumn)}) FROM STDIN (FORMAT BINARY)";

    /// <summary>
    /// Plain insert, one statement per column set, in source order so identity and serial columns number the rows as
    /// the source orders them.
    /// </summary>
    public static string InsertSql(CopyTableMap map, string staging, IReadOnlyCollection<long> columnSets)
    {
        var sql = new StringBuilder();
        foreach (var defaults in columnSets)
        {
            var columns = map.ColumnListWithout(defaults);
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO {map.QualifiedTable} ({columns}) SELECT {columns} FROM {CopyTableMap.Quote(staging)}");
            if (columnSets.Count > 1)
            {
                sql.Append(CultureInfo.InvariantCulture, $" WHERE {CopyTableMap.Quote(DefaultsColumn)} = {defaults}");
            }

            sql.Append(CultureInfo.InvariantCulture, $" ORDER BY {CopyTableMap.Quote(RowColumn)};\n");
        }

        sql.Append(DropSql(staging));
        return sql.ToString();
    }

    public static string DropSql(string staging) => $"DROP TABLE {CopyTableMap.Quote(staging)}";
}
