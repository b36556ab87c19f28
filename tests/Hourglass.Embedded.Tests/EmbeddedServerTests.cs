using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit;
using static Hourglass.Embedded.Tests.RawWire;

namespace Hourglass.Embedded.Tests;

/// <summary>
/// Lifecycle and protocol behaviour of <see cref="EmbeddedTimescale"/> itself. Each test starts its own server,
/// so these always run on the embedded engine, whatever HOURGLASS_TEST_CONNECTION says.
/// </summary>
public sealed class EmbeddedServerTests : IAsyncLifetime
{
    private EmbeddedTimescale _server = null!;

    public async Task InitializeAsync() => _server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { LockTimeout = TimeSpan.FromSeconds(2) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<NpgsqlConnection> OpenAsync(string? extra = null)
    {
        var connection = new NpgsqlConnection(_server.ConnectionString + (extra is null ? "" : ";" + extra));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Reports_versions_and_a_working_connection_string()
    {
        Assert.StartsWith("17", _server.ServerVersion, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(_server.TimescaleDbVersion));
        Assert.Null(_server.DataDirectory);
        await using var connection = await OpenAsync();
        Assert.Equal(_server.TimescaleDbVersion, await ScalarAsync(connection, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"));
        Assert.Equal("timescale", await ScalarAsync(connection, "SHOW timescaledb.license"));
    }

    [Fact]
    public async Task Only_the_served_database_accepts_connections()
    {
        var builder = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = "postgres", Pooling = false };
        await using (var alias = new NpgsqlConnection(builder.ConnectionString))
        {
            await alias.OpenAsync();
            Assert.Equal(_server.Database, await ScalarAsync(alias, "SELECT current_database()"));
        }

        builder.Database = "inventory";
        await using var other = new NpgsqlConnection(builder.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => other.OpenAsync());
        Assert.Equal("3D000", error.SqlState);
        Assert.Contains("serves one database", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_from_a_client_gets_an_error_and_the_server_stays_up()
    {
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(_server.Host, _server.Port);
            var stream = raw.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            var reply = await ReadToEndAsync(stream);
            Assert.Equal((byte)'E', reply[0]);
            Assert.Contains("08P01", Encoding.UTF8.GetString(reply), StringComparison.Ordinal);
        }

        using (var raw = new TcpClient())
        {
            // A valid startup followed by an unknown message type.
            await raw.ConnectAsync(_server.Host, _server.Port);
            var stream = raw.GetStream();
            await stream.WriteAsync(Startup());
            await ReadUntilReadyAsync(stream);
            await stream.WriteAsync(new byte[] { (byte)'!', 0, 0, 0, 4 });
            var reply = Encoding.UTF8.GetString(await ReadToEndAsync(stream));
            Assert.Contains("08P01", reply, StringComparison.Ordinal);
            Assert.Contains("frontend message", reply, StringComparison.Ordinal);
        }

        await using var connection = await OpenAsync();
        Assert.Equal(1, await ScalarAsync(connection, "SELECT 1"));
    }

    [Fact]
    public async Task Abrupt_disconnect_rolls_back_the_open_transaction_and_frees_the_session()
    {
        await using (var setup = await OpenAsync())
        {
            await ScalarAsync(setup, "CREATE TABLE abrupt (id int)");
        }

        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(_server.Host, _server.Port);
            var stream = raw.GetStream();
            await stream.WriteAsync(Startup());
            await ReadUntilReadyAsync(stream);
            await stream.WriteAsync(Query("BEGIN; INSERT INTO abrupt VALUES (1), (2)"));
            Assert.Equal((byte)'T', await ReadUntilReadyAsync(stream));
            raw.Client.Close(0); // no Terminate message
        }

        await using var connection = await OpenAsync();
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM abrupt"));
    }

    [Fact]
    public async Task Terminate_inside_a_transaction_rolls_it_back()
    {
        await using (var setup = await OpenAsync())
        {
            await ScalarAsync(setup, "CREATE TABLE terminated (id int)");
        }

        await using (var client = await OpenAsync("Pooling=false"))
        {
            var transaction = await client.BeginTransactionAsync();
            await ScalarAsync(client, "INSERT INTO terminated VALUES (1)", transaction);
            // Closing an unpooled connection with an open transaction sends Terminate without COMMIT.
        }

        await using var connection = await OpenAsync();
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM terminated"));
    }

    [Fact]
    public async Task A_client_waiting_too_long_gets_a_clear_postgres_error_and_never_hangs()
    {
        await using var holder = await OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await ScalarAsync(holder, "SELECT 1", transaction);

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var waiter = await OpenAsync("Pooling=false");
            await ScalarAsync(waiter, "SELECT 2");
        });
        Assert.Equal("55P03", error.SqlState);
        Assert.Contains("one transaction at a time", error.MessageText, StringComparison.Ordinal);

        await transaction.CommitAsync();
        await using var after = await OpenAsync("Pooling=false");
        Assert.Equal(3, await ScalarAsync(after, "SELECT 3"));
    }

    [Fact]
    public async Task Public_stays_on_the_search_path_after_discard_all()
    {
        await using var connection = await OpenAsync();
        await ScalarAsync(connection, "CREATE TABLE after_discard (id int); INSERT INTO after_discard VALUES (7)");
        await ScalarAsync(connection, "DISCARD ALL");
        Assert.Contains("public", (string)(await ScalarAsync(connection, "SHOW search_path"))!, StringComparison.Ordinal);
        Assert.Equal(7, await ScalarAsync(connection, "SELECT id FROM after_discard"));
        Assert.Equal("notice", await ScalarAsync(connection, "SHOW client_min_messages"));
    }

    [Fact]
    public async Task Each_connection_keeps_its_own_search_path()
    {
        await using (var setup = await OpenAsync())
        {
            await ScalarAsync(setup, "CREATE SCHEMA alpha; CREATE SCHEMA beta; CREATE TABLE alpha.which (v text); CREATE TABLE beta.which (v text); INSERT INTO alpha.which VALUES ('alpha'); INSERT INTO beta.which VALUES ('beta')");
        }

        await using var alpha = await OpenAsync("Search Path=alpha,public");
        await using var beta = await OpenAsync("Search Path=beta,public");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("alpha", await ScalarAsync(alpha, "SELECT v FROM which"));
            Assert.Equal("beta", await ScalarAsync(beta, "SELECT v FROM which"));
        }
    }

    [Fact]
    public async Task Text_and_csv_copy_from_stdin_work()
    {
        await using var connection = await OpenAsync();
        await ScalarAsync(connection, "CREATE TABLE copied (id int, name text)");
        await using (var writer = await connection.BeginTextImportAsync("COPY copied (id, name) FROM STDIN"))
        {
            await writer.WriteAsync("1\tone\n2\ttwo\n");
        }

        await using (var writer = await connection.BeginTextImportAsync("COPY copied FROM STDIN WITH (FORMAT csv, HEADER true)"))
        {
            await writer.WriteAsync("id,name\n3,\"three, with comma\"\n");
        }

        Assert.Equal(3L, await ScalarAsync(connection, "SELECT count(*) FROM copied"));
        Assert.Equal("three, with comma", await ScalarAsync(connection, "SELECT name FROM copied WHERE id = 3"));
    }

    [Fact]
    public async Task Abandoned_binary_import_writes_nothing_and_the_connection_stays_usable()
    {
        await using var connection = await OpenAsync();
        await ScalarAsync(connection, "CREATE TABLE abandoned (id int)");
        await using (var import = await connection.BeginBinaryImportAsync("COPY abandoned (id) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < 1000; i++)
            {
                await import.WriteRowAsync(default, i);
            }

            // Disposed without Complete: Npgsql sends CopyFail.
        }

        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM abandoned"));

        await using var transaction = await connection.BeginTransactionAsync();
        await using (var import = await connection.BeginBinaryImportAsync("COPY abandoned (id) FROM STDIN (FORMAT BINARY)"))
        {
            await import.WriteRowAsync(default, 1);
        }

        await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(connection, "SELECT 1", transaction));
        await transaction.RollbackAsync();
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM abandoned"));
    }

    [Fact]
    public async Task Copy_into_a_missing_table_reports_the_server_error()
    {
        await using var connection = await OpenAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.BeginBinaryImportAsync("COPY no_such_table (id) FROM STDIN (FORMAT BINARY)"));
        Assert.Equal("42P01", error.SqlState);
        Assert.Equal(1, await ScalarAsync(connection, "SELECT 1"));
    }

    [Fact]
    public async Task A_batch_of_500_statements_runs_in_one_round_trip()
    {
        await using var connection = await OpenAsync();
        await ScalarAsync(connection, "CREATE TABLE batched (id int, payload text)");
        await using var batch = new NpgsqlBatch(connection);
        for (var i = 0; i < 500; i++)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO batched VALUES ($1, $2)") { Parameters = { new() { Value = i }, new() { Value = new string('x', i) } } });
        }

        await batch.ExecuteNonQueryAsync();
        Assert.Equal(500L, await ScalarAsync(connection, "SELECT count(*) FROM batched"));
        Assert.Equal(499 * 500 / 2L, await ScalarAsync(connection, "SELECT sum(length(payload))::bigint FROM batched"));
    }

    [Fact]
    public async Task A_batch_of_1000_six_parameter_inserts_like_ef_core_sends_completes()
    {
        await using var connection = await OpenAsync();
        await ScalarAsync(connection, "CREATE TABLE wide (time timestamptz, device text, metric text, value float8, unit text, quality int)");
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        await using var batch = new NpgsqlBatch(connection);
        for (var i = 0; i < 1000; i++)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO wide VALUES ($1, $2, $3, $4, $5, $6)")
            {
                Parameters =
                {
                    new() { Value = start.AddSeconds(i) }, new() { Value = $"device-{i % 10}" }, new() { Value = "power" },
                    new() { Value = i * 1.5 }, new() { Value = "W" }, new() { Value = i % 3 },
                },
            });
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await batch.ExecuteNonQueryAsync(timeout.Token);
        Assert.Equal(1000L, await ScalarAsync(connection, "SELECT count(*) FROM wide"));
    }
}

/// <summary>Starting, stopping and failing to start.</summary>
public sealed class EmbeddedLifecycleTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("hourglass-lifecycle-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Data_written_survives_a_restart_on_the_same_data_directory()
    {
        var data = Path.Combine(_scratch, "data");
        await using (var first = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { DataDirectory = data }))
        {
            Assert.Equal(data, first.DataDirectory);
            await using var connection = new NpgsqlConnection(first.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                CREATE TABLE kept (time timestamptz NOT NULL, value float8);
                SELECT create_hypertable('kept', by_range('time'));
                INSERT INTO kept SELECT now() - g * INTERVAL '1 day', g FROM generate_series(1, 40) g;
                """, connection);
            await command.ExecuteNonQueryAsync();
        }

        Assert.True(File.Exists(Path.Combine(data, "PG_VERSION")));

        await using var second = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { DataDirectory = data });
        await using var reopened = new NpgsqlConnection(second.ConnectionString);
        await reopened.OpenAsync();
        await using (var count = new NpgsqlCommand("SELECT count(*), sum(value) FROM kept", reopened))
        await using (var reader = await count.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(40L, reader.GetInt64(0));
            Assert.Equal(820.0, reader.GetDouble(1));
        }

        // Community-licensed features keep working on a reopened directory.
        await using var policy = new NpgsqlCommand("SELECT add_retention_policy('kept', drop_after => INTERVAL '30 days')", reopened);
        Assert.IsType<int>(await policy.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_file_as_data_directory_is_rejected_with_the_fix()
    {
        var file = Path.Combine(_scratch, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");
        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { DataDirectory = file }));
        Assert.Equal(EmbeddedTimescaleFailure.DataDirectoryUnusable, error.Failure);
        Assert.Contains("is a file", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_empty_folder_that_is_no_database_is_rejected_and_left_untouched()
    {
        var folder = Path.Combine(_scratch, "documents");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "notes.txt"), "keep me");
        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { DataDirectory = folder }));
        Assert.Equal(EmbeddedTimescaleFailure.DataDirectoryUnusable, error.Failure);
        Assert.Contains("not empty", error.Message, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Missing_node_is_reported_with_the_fix()
    {
        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { NodePath = Path.Combine(_scratch, "no-node") }));
        Assert.Equal(EmbeddedTimescaleFailure.NodeMissing, error.Failure);
        Assert.Contains("NodePath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_older_than_18_is_reported_with_the_fix()
    {
        var fake = FakeScript("node", "echo v16.20.2");
        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { NodePath = fake }));
        Assert.Equal(EmbeddedTimescaleFailure.NodeTooOld, error.Failure);
        Assert.Contains("16.20.2", error.Message, StringComparison.Ordinal);
        Assert.Contains("18 or newer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_npm_install_is_reported_with_npm_output_and_the_fix()
    {
        var realNode = NodeRuntime.FindOnPath("node")!;
        var node = FakeScript("node", $"exec {realNode} \"$@\"");
        FakeScript("npm", "echo 'npm error network request failed' >&2; exit 1");
        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions
        {
            NodePath = node,
            CacheDirectory = Path.Combine(_scratch, "cache"),
        }));
        Assert.Equal(EmbeddedTimescaleFailure.InstallFailed, error.Failure);
        Assert.Contains("npm ci", error.Message, StringComparison.Ordinal);
        Assert.Contains("network request failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_reported_with_the_fix()
    {
        using var taken = new TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var error = await Assert.ThrowsAsync<EmbeddedTimescaleException>(() => EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { Port = port }));
        Assert.Equal(EmbeddedTimescaleFailure.PortInUse, error.Failure);
        Assert.Contains("or 0 to pick a free one", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_stops_the_node_process_and_removes_the_temporary_data()
    {
        var server = await EmbeddedTimescale.StartAsync();
        var pid = server.ProcessId;
        await server.DisposeAsync();
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
    }

    private string FakeScript(string name, string body)
    {
        var bin = Path.Combine(_scratch, "bin");
        Directory.CreateDirectory(bin);
        var path = Path.Combine(bin, name);
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }
}
