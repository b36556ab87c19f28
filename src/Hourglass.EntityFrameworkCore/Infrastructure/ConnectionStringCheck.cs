using System.ComponentModel;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Reads the context's connection string option by option before anything connects, so that a misspelt or mistyped
/// option is reported by name with what it accepts. Npgsql itself only says "Couldn't set hots".
/// </summary>
internal static class ConnectionStringCheck
{
    private static readonly Lazy<IReadOnlyList<(string Name, PropertyInfo Property)>> s_options = new(() =>
        typeof(NpgsqlConnectionStringBuilder).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Name: p.GetCustomAttribute<DisplayNameAttribute>()?.DisplayName, Property: p))
            .Where(o => o.Name is not null && o.Property.CanWrite && o.Property.GetCustomAttribute<ObsoleteAttribute>() is null)
            .Select(o => (o.Name!, o.Property))
            .ToList());

    public static void Validate(string connectionString)
    {
        DbConnectionStringBuilder options;
        try
        {
            options = new DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException ex)
        {
            var near = connectionString.Split(';').Select(p => p.Trim()).FirstOrDefault(p => p.Length > 0 && !p.Contains('=', StringComparison.Ordinal));
            throw new InvalidOperationException(
                $"The connection string cannot be read{(near is null ? "" : $" at '{near}', which has no value")}. Fix: write it as key=value pairs separated by semicolons, e.g. \"Host=localhost;Port=5432;Database=app;Username=app\"; quote a value that contains ; or = with double quotes.", ex);
        }

        var npgsql = new NpgsqlConnectionStringBuilder();
        foreach (string key in options.Keys)
        {
            var value = options[key];
            try
            {
                npgsql[key] = value;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                throw npgsql.ContainsKey(key) ? BadValue(key, value, ex) : UnknownOption(key, ex);
            }
        }
    }

    private static InvalidOperationException UnknownOption(string key, Exception inner)
    {
        var closest = s_options.Value.Select(o => o.Name).MinBy(name => Distance(Normalize(name), Normalize(key)))!;
        return new InvalidOperationException(
            $"The connection string option '{key}' is not an Npgsql option. Fix: correct or remove it (did you mean '{closest}'?). Npgsql's options include Host, Port, Database, Username, Password, SSL Mode, Timeout and Command Timeout.",
            inner);
    }

    private static InvalidOperationException BadValue(string key, object? value, Exception inner)
    {
        var option = s_options.Value.FirstOrDefault(o => string.Equals(Normalize(o.Name), Normalize(key), StringComparison.Ordinal));
        var name = option.Name ?? key;
        var type = option.Property is { } property ? Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType : null;
        var expected = type switch
        {
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type)),
            _ when type == typeof(int) && name.Contains("Port", StringComparison.OrdinalIgnoreCase) => "a port number from 1 to 65535",
            _ when type == typeof(int) && name.Contains("Timeout", StringComparison.OrdinalIgnoreCase) => "a whole number of seconds, 0 or more",
            _ when type == typeof(int) => "a whole number",
            _ when type == typeof(bool) => "true or false",
            _ => "a value of the kind the option takes",
        };
        var shown = key.Contains("password", StringComparison.OrdinalIgnoreCase) ? "(hidden)" : $"'{Convert.ToString(value, CultureInfo.InvariantCulture)}'";
        return new InvalidOperationException(
            $"The connection string option {name} has the value {shown}, which Npgsql does not accept. Fix: give {name} {expected}.",
            inner);
    }

    private static string Normalize(string name) => name.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
