using Npgsql;
using NpgsqlTypes;

namespace Hourglass.Infrastructure;

/// <summary>Small typed helpers over NpgsqlCommand, so each feature's file holds its SQL and its mapping only.</summary>
internal static class Db
{
    public static async Task<List<T>> QueryAsync<T>(NpgsqlConnection connection, string sql, Action<NpgsqlParameterCollection>? parameters, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            parameters?.Invoke(command.Parameters);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var result = new List<T>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Add(map(reader));
                }

                return result;
            }
        }
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, Action<NpgsqlParameterCollection>? parameters, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            // Maintenance calls (conversion, merge, refresh) run as long as they need; the caller's token cancels them.
            command.CommandTimeout = 0;
            parameters?.Invoke(command.Parameters);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static string? Text(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? Long(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static int? Int(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static DateTimeOffset? Time(this NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>An interval without months as a TimeSpan; null when NULL or when it has months (see the text column then).</summary>
    public static TimeSpan? Interval(this NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        var interval = reader.GetFieldValue<NpgsqlInterval>(ordinal);
        return interval.Months != 0 ? null : TimeSpan.FromDays(interval.Days) + TimeSpan.FromTicks(interval.Time * 10);
    }

    /// <summary>An interval as Npgsql types it (months, days and microseconds kept apart); null when NULL.</summary>
    public static NpgsqlInterval? TypedInterval(this NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<NpgsqlInterval>(ordinal);

    /// <summary>timestamptz SQL that yields NULL for ±infinity, which never-run jobs show on some versions.</summary>
    public static string Finite(string expression) => $"CASE WHEN isfinite({expression}) THEN {expression} END";

    public static NpgsqlParameter TextArray(string name, IReadOnlyCollection<string>? values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values is null || values.Count == 0 ? DBNull.Value : values.ToArray() };
}
