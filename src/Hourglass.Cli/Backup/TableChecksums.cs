using Npgsql;

namespace Hourglass.Cli.Backup;

/// <summary>Row count and content checksum of one table, as recorded by <c>backup --checksums</c>.</summary>
internal sealed record TableChecksum(long Rows, string Checksum);

/// <summary>
/// Per-table row counts and checksums, the check users otherwise write by hand after a restore. The checksum is
/// the sum of the first 64 bits of each row's md5: independent of row order and of table size (string_agg of a
/// large table would exceed PostgreSQL's 1 GB value limit). Hypertables are read through their parent, so chunks
/// are included; extension catalog tables and TimescaleDB's internal schemas are left out.
/// </summary>
internal static class TableChecksums
{
    /// <summary>Must run inside a transaction: the output settings are SET LOCAL so the rows render the same on both sides.</summary>
    public static async Task<SortedDictionary<string, TableChecksum>> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Action<string> onTable, CancellationToken cancellationToken)
    {
        await using (var settings = new NpgsqlCommand(
            "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, MDY'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'",
            connection, transaction))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }

        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            """
            SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
              AND n.nspname NOT LIKE '\_timescaledb%' AND n.nspname NOT LIKE 'timescaledb\_%'
              AND c.oid NOT IN (SELECT objid FROM pg_depend WHERE deptype = 'e' AND classid = 'pg_class'::regclass)
            ORDER BY 1
            """, connection, transaction))
        {
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var result = new SortedDictionary<string, TableChecksum>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            onTable(table);
            await using var command = new NpgsqlCommand(
                $"SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text FROM {table} t",
                connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            result[table] = new TableChecksum(reader.GetInt64(0), reader.GetString(1));
        }

        return result;
    }

    /// <summary>Tables whose count or checksum differs, or that are missing, described for the user.</summary>
    public static List<string> Compare(IReadOnlyDictionary<string, TableChecksum> expected, IReadOnlyDictionary<string, TableChecksum> actual)
    {
        var differences = new List<string>();
        foreach (var (table, want) in expected)
        {
            if (!actual.TryGetValue(table, out var got))
            {
                differences.Add($"{table} is missing");
            }
            else if (got.Rows != want.Rows)
            {
                differences.Add($"{table} has {got.Rows} rows, the backup {want.Rows}");
            }
            else if (got.Checksum != want.Checksum)
            {
                differences.Add($"{table} has {got.Rows} rows as in the backup, but different content");
            }
        }

        return differences;
    }
}
