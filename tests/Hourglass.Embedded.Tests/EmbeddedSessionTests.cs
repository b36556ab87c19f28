using System.Diagnostics;
using Npgsql;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>
/// Every connection to the embedded server has a session of its own, as on PostgreSQL, although the engine has
/// one: prepared statements, settings and cancellation belong to the connection. Each test starts its own server.
/// </summary>
public sealed class EmbeddedSessionTests : IAsyncLifetime
{
    private EmbeddedTimescale _server = null!;

    public async Task InitializeAsync() => _server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { LockTimeout = TimeSpan.FromSeconds(20) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<NpgsqlConnection> OpenAsync(string? extra = null)
    {
        var connection = new NpgsqlConnection(_server.ConnectionString + ";Pooling=false" + (extra is null ? "" : ";" + extra));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<long> PreparedCountAsync(NpgsqlConnection connection) =>
        (long)(await ScalarAsync(connection, "SELECT count(*) FROM pg_prepared_statements"))!;

    [Fact]
    public async Task Automatic_preparation_on_two_interleaving_connections_works()
    {
        const string AutoPrepare = "Max Auto Prepare=20;Auto Prepare Min Usages=2";
        await using var first = await OpenAsync(AutoPrepare);
        await using var second = await OpenAsync(AutoPrepare);
        await ScalarAsync(first, "CREATE TABLE readings (id int, value text); INSERT INTO readings SELECT g, 'v' || g FROM generate_series(1, 50) g");

        // Both connections auto-prepare the same statements under the same names (_auto0, _auto1, ...).
        for (var round = 0; round < 6; round++)
        {
            foreach (var connection in new[] { first, second })
            {
                await using var byId = new NpgsqlCommand("SELECT value FROM readings WHERE id = $1", connection) { Parameters = { new() { Value = round + 1 } } };
                Assert.Equal($"v{round + 1}", await byId.ExecuteScalarAsync());
                await using var count = new NpgsqlCommand("SELECT count(*) FROM readings WHERE id > $1", connection) { Parameters = { new() { Value = round } } };
                Assert.Equal(50L - round, await count.ExecuteScalarAsync());
            }
        }

        await using (var probe = new NpgsqlCommand("SELECT value FROM readings WHERE id = $1", first) { Parameters = { new() { Value = 7 } } })
        {
            Assert.Equal("v7", await probe.ExecuteScalarAsync());
            Assert.True(probe.IsPrepared);
        }
    }

    /// <summary>
    /// pg_dump prepares its catalog queries with SQL (<c>PREPARE getColumnACLs(pg_catalog.oid) AS ...</c>): a second
    /// pg_dump against the same server failed with "prepared statement getcolumnacls already exists" because the
    /// first one's statements outlived its connection.
    /// </summary>
    [Fact]
    public async Task Sql_prepared_statements_belong_to_their_connection_and_end_with_it()
    {
        await using (var first = await OpenAsync())
        await using (var second = await OpenAsync())
        {
            // The same name on two open connections, written as pg_dump writes it (unquoted, mixed case).
            await ScalarAsync(first, "PREPARE getColumnACLs(int) AS SELECT $1 + 1");
            await ScalarAsync(second, "PREPARE getColumnACLs(int) AS SELECT $1 + 2");
            Assert.Equal(11, await ScalarAsync(first, "EXECUTE getColumnACLs(10)"));
            Assert.Equal(12, await ScalarAsync(second, "EXECUTE getcolumnacls(10)"));
            // A quoted name keeps its case, as on PostgreSQL, and errors name the statement as the client wrote it.
            var missing = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(first, "EXECUTE \"GetColumnACLs\"(1)"));
            Assert.Equal("26000", missing.SqlState);
            Assert.Contains("\"GetColumnACLs\"", missing.MessageText);
            await ScalarAsync(first, "DEALLOCATE getColumnACLs");
            await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(first, "EXECUTE getColumnACLs(1)"));
            Assert.Equal(12, await ScalarAsync(second, "EXECUTE getColumnACLs(10)"));
        }

        // Both connections are closed: a new one prepares the name again, and nothing of theirs is left.
        await using var third = await OpenAsync();
        await ScalarAsync(third, "PREPARE getColumnACLs(int) AS SELECT $1 + 3");
        Assert.Equal(13, await ScalarAsync(third, "EXECUTE getColumnACLs(10)"));
        Assert.Equal(1L, await PreparedCountAsync(third));
    }

    [Fact]
    public async Task Pooled_connections_keep_their_automatically_prepared_statements_across_reuse()
    {
        var pooled = _server.ConnectionString + ";Max Auto Prepare=10;Auto Prepare Min Usages=1;Maximum Pool Size=2;ApplicationName=pooled";
        for (var round = 0; round < 4; round++)
        {
            // Two pooled connectors, each reset (Npgsql's DISCARD ALL or its reduced reset) when reused.
            await using var first = new NpgsqlConnection(pooled);
            await using var second = new NpgsqlConnection(pooled);
            await first.OpenAsync();
            await second.OpenAsync();
            foreach (var connection in new[] { first, second, first, second })
            {
                await using var command = new NpgsqlCommand("SELECT $1::int * 2", connection) { Parameters = { new() { Value = round } } };
                Assert.Equal(round * 2, await command.ExecuteScalarAsync());
                Assert.True(command.IsPrepared);
            }
        }
    }

    [Fact]
    public async Task Explicitly_prepared_statements_with_the_same_names_on_two_connections_both_work()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        var before = await PreparedCountAsync(first);

        await using var one = new NpgsqlCommand("SELECT $1::int + 1", first) { Parameters = { new() { Value = 0 } } };
        await one.PrepareAsync();
        await using var two = new NpgsqlCommand("SELECT $1::int + 2", second) { Parameters = { new() { Value = 0 } } };
        await two.PrepareAsync(); // Npgsql names both _p1: collided with 42P05 when the session was shared.
        Assert.True(one.IsPrepared && two.IsPrepared);

        for (var i = 0; i < 5; i++)
        {
            one.Parameters[0].Value = i;
            two.Parameters[0].Value = i;
            Assert.Equal(i + 1, await one.ExecuteScalarAsync());
            Assert.Equal(i + 2, await two.ExecuteScalarAsync());
        }

        // A connection's statements survive other connections' work and go when it closes.
        await second.CloseAsync();
        one.Parameters[0].Value = 41;
        Assert.Equal(42, await one.ExecuteScalarAsync());
        Assert.Equal(before + 1, await PreparedCountAsync(first));
    }

    [Fact]
    public async Task Session_settings_belong_to_their_connection()
    {
        await using (var setup = await OpenAsync())
        {
            await ScalarAsync(setup, "CREATE ROLE reporting; CREATE SCHEMA side; CREATE TABLE side.marker (v text); INSERT INTO side.marker VALUES ('side'); GRANT USAGE ON SCHEMA side TO reporting; GRANT SELECT ON side.marker TO reporting");
        }

        await using var changed = await OpenAsync();
        await using var plain = await OpenAsync();
        await ScalarAsync(changed, "SET statement_timeout = '7s'; SET TimeZone = 'Asia/Tokyo'; SET search_path = side, public; SET ROLE reporting; SET application_name = 'changed'");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("0", await ScalarAsync(plain, "SHOW statement_timeout"));
            Assert.Equal("GMT", await ScalarAsync(plain, "SHOW TimeZone"));
            Assert.Equal("postgres", await ScalarAsync(plain, "SELECT current_user::text"));
            Assert.Equal("\"$user\", public", await ScalarAsync(plain, "SHOW search_path"));
            await ScalarAsync(plain, "SET work_mem = '9MB'");

            Assert.Equal("7s", await ScalarAsync(changed, "SHOW statement_timeout"));
            Assert.Equal("Asia/Tokyo", await ScalarAsync(changed, "SHOW TimeZone"));
            Assert.Equal("reporting", await ScalarAsync(changed, "SELECT current_user::text"));
            Assert.Equal("side", await ScalarAsync(changed, "SELECT v FROM marker"));
            Assert.Equal("changed", await ScalarAsync(changed, "SHOW application_name"));
            Assert.Equal("4MB", await ScalarAsync(changed, "SHOW work_mem"));
        }

        // RESET ALL returns a connection to its own startup settings, not to another connection's.
        await ScalarAsync(changed, "RESET ROLE; RESET ALL");
        Assert.Equal("postgres", await ScalarAsync(changed, "SELECT current_user::text"));
        Assert.Equal("\"$user\", public", await ScalarAsync(changed, "SHOW search_path"));
        Assert.Equal("9MB", await ScalarAsync(plain, "SHOW work_mem"));
    }

    [Fact]
    public async Task Startup_settings_of_the_connection_string_apply_to_that_connection_only()
    {
        await using var tokyo = await OpenAsync("Timezone=Asia/Tokyo;Options=-c statement_timeout=5s");
        await using var plain = await OpenAsync();
        Assert.Equal("Asia/Tokyo", await ScalarAsync(tokyo, "SHOW TimeZone"));
        Assert.Equal("5s", await ScalarAsync(tokyo, "SHOW statement_timeout"));
        Assert.Equal("GMT", await ScalarAsync(plain, "SHOW TimeZone"));
        Assert.Equal("0", await ScalarAsync(plain, "SHOW statement_timeout"));
        Assert.Equal("Asia/Tokyo", await ScalarAsync(tokyo, "SHOW TimeZone"));
    }

    [Fact]
    public async Task Cancel_stops_a_running_statement_and_the_connection_stays_usable()
    {
        await using var connection = await OpenAsync();
        await using var sleep = new NpgsqlCommand("SELECT pg_sleep(60)", connection);
        var clock = Stopwatch.StartNew();
        var running = sleep.ExecuteScalarAsync();
        await Task.Delay(500);
        sleep.Cancel();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        var cause = Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal("57014", cause.SqlState);
        Assert.Contains("user request", cause.MessageText, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancel took {clock.Elapsed}");
        Assert.Equal(1, await ScalarAsync(connection, "SELECT 1"));
    }

    [Fact]
    public async Task A_cancellation_token_stops_a_running_statement_inside_a_transaction()
    {
        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var sleep = new NpgsqlCommand("SELECT pg_sleep(60)", connection, transaction);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep.ExecuteScalarAsync(cancel.Token));
        Assert.Equal("57014", Assert.IsType<PostgresException>(error.InnerException).SqlState);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancel took {clock.Elapsed}");
        await transaction.RollbackAsync();
        Assert.Equal(2, await ScalarAsync(connection, "SELECT 2"));
    }

    [Fact]
    public async Task Cancel_while_waiting_for_another_connections_transaction_ends_the_wait()
    {
        await using var holder = await OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1", holder, transaction))
        {
            await hold.ExecuteScalarAsync();
        }

        await using var waiter = await OpenAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await using var waiting = new NpgsqlCommand("SELECT 3", waiter);
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.ExecuteScalarAsync(cancel.Token));
        Assert.Equal("57014", Assert.IsType<PostgresException>(error.InnerException).SqlState);

        await transaction.CommitAsync();
        Assert.Equal(4, await ScalarAsync(waiter, "SELECT 4"));
    }

    // The remaining differences from a real server, each measured (docs/embedded.md, "Limits").

    [Fact]
    public async Task Difference_temporary_tables_are_shared_by_all_connections()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        await ScalarAsync(first, "CREATE TEMP TABLE scratch (v int); INSERT INTO scratch VALUES (5)");
        Assert.Equal(5, await ScalarAsync(second, "SELECT v FROM scratch")); // PostgreSQL: 42P01 on the second connection
        await ScalarAsync(second, "DISCARD TEMP");
        var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(first, "SELECT v FROM scratch"));
        Assert.Equal("42P01", error.SqlState);
    }

    [Fact]
    public async Task Difference_session_advisory_locks_are_shared()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        Assert.Equal(true, await ScalarAsync(first, "SELECT pg_try_advisory_lock(42)"));
        Assert.Equal(true, await ScalarAsync(second, "SELECT pg_try_advisory_lock(42)")); // PostgreSQL: false, the first holds it
    }

    [Fact]
    public async Task Difference_a_setting_changed_inside_a_called_function_is_not_kept_per_connection()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        await ScalarAsync(first, "CREATE FUNCTION quietly_tune() RETURNS void LANGUAGE sql AS $$ SELECT set_config('statement_timeout', '3s', false) $$");
        Assert.Equal("0", await ScalarAsync(second, "SHOW statement_timeout"));
        await ScalarAsync(first, "SELECT quietly_tune()");
        Assert.Equal("3s", await ScalarAsync(second, "SHOW statement_timeout")); // PostgreSQL: 0
    }

    [Fact]
    public async Task Difference_a_statement_that_never_touches_clock_or_files_runs_on_after_a_cancel_but_the_client_never_hangs()
    {
        await using var connection = await OpenAsync("Cancellation Timeout=1000");
        await using var busy = new NpgsqlCommand("DO $$ DECLARE n bigint := 0; BEGIN FOR i IN 1..15000000 LOOP n := n + 1; END LOOP; END $$", connection);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => busy.ExecuteNonQueryAsync(cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the client waited {clock.Elapsed}");
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State); // PostgreSQL: 57014 and the connection stays open

        await using var next = await OpenAsync();
        Assert.Equal(6, await ScalarAsync(next, "SELECT 6"));
    }

    [Fact]
    public async Task Difference_a_notification_reaches_the_connection_running_when_it_is_delivered()
    {
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        var notifierHeard = false;
        notifier.Notification += (_, _) => notifierHeard = true;
        await ScalarAsync(listener, "LISTEN readings");
        await ScalarAsync(notifier, "NOTIFY readings, 'new'");
        Assert.False(await listener.WaitAsync(TimeSpan.FromSeconds(1))); // PostgreSQL: true, the listener is told
        Assert.True(notifierHeard);
    }
}
