using Npgsql;

namespace Hourglass.Testing;

/// <summary>
/// The two ways a database can lack TimescaleDB: on a server that does not have it at all (native PostgreSQL 15), and on
/// a TimescaleDB server where the extension is installable but was never created in the database (the native
/// TimescaleDB only: the embedded engine has one database, with the extension). Tests of "TimescaleDB is missing" run
/// as a theory over <see cref="Cases"/> and get their database from <see cref="CreateDatabaseAsync"/>, which checks
/// the case's premise in the catalogs before the test relies on it.
/// </summary>
public static class WithoutTimescale
{
    /// <summary>PostgreSQL without the timescaledb package: not in pg_available_extensions.</summary>
    public const string NotAvailable = "not available (PostgreSQL 15)";

    /// <summary>A TimescaleDB server, a database without CREATE EXTENSION: in pg_available_extensions, not in pg_extension.</summary>
    public const string NotCreated = "installable, not created (TimescaleDB server)";

    /// <summary>The cases this run can set up: always <see cref="NotAvailable"/>; <see cref="NotCreated"/> on a native TimescaleDB.</summary>
    public static IEnumerable<object[]> Cases()
    {
        yield return [NotAvailable];
        if (TestServers.UsingExternalTimescale)
        {
            yield return [NotCreated];
        }
    }

    /// <summary>A fresh database for <paramref name="case"/>, its premise checked: dispose it at the end of the test.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync(string @case, string? hint = null)
    {
        var server = @case switch
        {
            NotAvailable => await TestServers.Postgres,
            NotCreated => await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Databases),
            _ => throw new ArgumentOutOfRangeException(nameof(@case), @case, "Not a case of WithoutTimescale."),
        };
        var database = await server.CreateDatabaseAsync(hint, createExtension: false);
        try
        {
            await using var connection = await database.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'timescaledb'), EXISTS (SELECT FROM pg_available_extensions WHERE name = 'timescaledb')",
                connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var created = reader.GetBoolean(0);
            var available = reader.GetBoolean(1);
            if (created || available != (@case == NotCreated))
            {
                throw new InvalidOperationException(
                    $"Database {database.DatabaseName} on {server.Description} does not fit case '{@case}': timescaledb created = {created}, installable = {available}.");
            }

            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }
}
