using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>The harness reports what its TimescaleDB server can do, and a native one can do what native-only tests need.</summary>
public sealed class TestHarnessTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task The_capabilities_match_the_kind_of_server()
    {
        var server = await TestServers.Timescale;
        var capabilities = await server.GetCapabilitiesAsync();

        Assert.Equal(server.IsNative, capabilities.ConcurrentSessions);
        Assert.NotNull(capabilities.TimescaleVersion);
        if (server.Kind == TestServerKind.Embedded)
        {
            Assert.False(capabilities.Scheduler);
            Assert.False(capabilities.DatabasePerClass);
            Assert.Equal(17, capabilities.PostgresMajor);
            Assert.Null(server.BinDirectory);
        }

        if (TestServers.UsingNativeTimescale)
        {
            Assert.Equal(TestServerKind.NativeTimescale, server.Kind);
            Assert.True(capabilities.Scheduler);
            Assert.True(capabilities.DatabasePerClass);
            Assert.True(capabilities.Superuser);
            Assert.True(File.Exists(Path.Combine(server.BinDirectory!, "pg_dump")), server.BinDirectory);
            Assert.Equal(capabilities.TimescaleVersion, await fixture.Database.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"));
        }
    }

    [Fact]
    public void Native_only_tests_are_not_applicable_on_the_embedded_engine_and_run_elsewhere()
    {
        var reason = NativeOnly.SkipReason("the scheduler");
        if (TestServers.UsingExternalTimescale)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains("needs the scheduler", reason, StringComparison.Ordinal);
            Assert.Contains(NativeTimescaleServer.HomeVariable, reason, StringComparison.Ordinal);
        }
    }

    [NativeTimescaleFact("a server that runs jobs by itself and has a backend per connection")]
    public async Task A_native_server_runs_jobs_by_itself()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Scheduler | NativeNeeds.ConcurrentSessions);
        var db = fixture.Database;
        await db.ExecuteAsync("""
            CREATE TABLE harness_ticks (at timestamptz NOT NULL DEFAULT now());
            CREATE PROCEDURE harness_tick(job_id int, config jsonb) LANGUAGE sql AS $$ INSERT INTO harness_ticks DEFAULT VALUES $$;
            SELECT add_job('harness_tick', INTERVAL '1 hour', initial_start => now());
            """);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await db.ScalarAsync<long>("SELECT count(*) FROM harness_ticks") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The scheduler did not run the job within 60 s.");
            await Task.Delay(250);
        }
    }

    [NativeTimescaleFact("roles and a superuser admin connection")]
    public async Task A_test_role_is_an_application_role_that_owns_its_schema_and_nothing_more()
    {
        await TestServers.RequireNativeTimescaleAsync(NativeNeeds.Superuser);
        var role = await fixture.Database.CreateRoleAsync("app");

        await using var connection = new NpgsqlConnection(role.ConnectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE role_table (id int); SELECT current_user, current_schema(), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)", connection))
        await using (var reader = await create.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(role.Name, reader.GetString(0));
            Assert.Equal(role.Schema, reader.GetString(1));
            Assert.False(reader.GetBoolean(2));
        }

        await using var createDatabase = new NpgsqlCommand("CREATE DATABASE role_may_not", connection);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => createDatabase.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }
}
