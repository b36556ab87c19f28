using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Hourglass.Testing;
using Npgsql;
using Xunit;
using static Hourglass.Embedded.Tests.RawWire;

namespace Hourglass.Embedded.Tests;

/// <summary>
/// Clients that misbehave on the wire, against the real embedded server (the Node bridge and the engine behind it): each
/// fault is followed by an ordinary Npgsql client that must get its answer. The figures go into docs/reliability.md.
/// </summary>
public sealed class EmbeddedFaultTests : IAsyncLifetime
{
    private EmbeddedTimescale _server = null!;

    public async Task InitializeAsync() => _server = await EmbeddedTimescale.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>One fault: what the client did, and what it does to the server, seen from the wire.</summary>
    private sealed record Fault(string Input, Func<Task<string>> Act);

    [Fact]
    public async Task Garbage_half_messages_and_clients_vanishing_mid_copy_leave_the_server_up_for_the_next_client()
    {
        await using (var setup = await OpenAsync())
        {
            await ExecuteAsync(setup, "CREATE TABLE fault_rows (id int PRIMARY KEY, note text)");
        }

        var faults = new Fault[]
        {
            new("An HTTP request instead of a startup packet", () => SendAndReadAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), startup: false)),
            new("64 KiB of random bytes instead of a startup packet", () => SendAndReadAsync(RandomBytes(65_536, seed: 1), startup: false)),
            new("64 KiB of random bytes after a valid startup", () => SendAndReadAsync(RandomBytes(65_536, seed: 2), startup: true)),
            new("A message of an unknown type ('!') after startup", () => SendAndReadAsync([(byte)'!', 0, 0, 0, 4], startup: true)),
            new("A message claiming a length of -1", () => SendAndReadAsync([(byte)'Q', 0xff, 0xff, 0xff, 0xff], startup: true)),
            new("A message claiming 2 GiB", () => SendAndReadAsync([(byte)'Q', 0x7f, 0xff, 0xff, 0xff], startup: true)),
            new("Half a startup packet, then the client vanishes", () => HalfThenVanishAsync(Startup()[..6], startup: false)),
            new("Half a Query message (header says 64 bytes, 10 sent), held open while another client queries, then the client vanishes", () => HalfQueryHeldOpenAsync()),
            new("COPY FROM STDIN, 10,000 of 20,000 rows sent, then the client vanishes (no CopyDone, no CopyFail)", () => VanishMidCopyAsync(inTransaction: false)),
            new("BEGIN, an INSERT, COPY FROM STDIN, 10,000 rows sent, then the client vanishes", () => VanishMidCopyAsync(inTransaction: true)),
        };

        var rows = new List<string[]>();
        foreach (var fault in faults)
        {
            var reply = await fault.Act();

            // The next client: connects, reads, writes and finds no row of the faulty client.
            var stopwatch = Stopwatch.StartNew();
            await using var next = await OpenAsync();
            Assert.Equal(1, await ScalarAsync(next, "SELECT 1"));
            var left = (long)(await ScalarAsync(next, "SELECT count(*) FROM fault_rows"))!;
            await ExecuteAsync(next, "INSERT INTO fault_rows VALUES (-1, 'next client') ON CONFLICT (id) DO NOTHING");
            await ExecuteAsync(next, "DELETE FROM fault_rows WHERE id = -1");
            stopwatch.Stop();
            Assert.Equal(0, left);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"the next client waited {stopwatch.Elapsed} after: {fault.Input}");
            rows.Add([fault.Input, reply, "yes", left.ToString(CultureInfo.InvariantCulture)]);
        }

        // The server is still the same process, serving the same data.
        await using (var check = await OpenAsync())
        {
            Assert.Equal("fault_rows", await ScalarAsync(check, "SELECT to_regclass('fault_rows')::text"));
        }

        await ReliabilityDoc.MatchesAsync("embedded-wire", string.Join("\n",
            $"{faults.Length} misbehaving clients against one embedded server (a raw socket from C#), each followed by an ordinary " +
            "Npgsql client that connects, runs `SELECT 1`, counts the rows of the table the faulty clients wrote to and writes a row " +
            "itself (within 10 s, on the same server process). Error texts are the server's replies on the faulty connection.",
            "",
            ReliabilityDoc.Table(["Faulty client", "What it got back", "Next client served", "Rows left by it"], rows)));
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<TcpClient> ConnectAsync(bool startup)
    {
        var raw = new TcpClient();
        await raw.ConnectAsync(_server.Host, _server.Port);
        if (startup)
        {
            var stream = raw.GetStream();
            await stream.WriteAsync(Startup());
            await ReadUntilReadyAsync(stream);
        }

        return raw;
    }

    /// <summary>Sends the bytes and reads what the server answers until it closes the connection.</summary>
    private async Task<string> SendAndReadAsync(byte[] bytes, bool startup)
    {
        using var raw = await ConnectAsync(startup);
        var stream = raw.GetStream();
        try
        {
            await stream.WriteAsync(bytes);
        }
        catch (IOException)
        {
            // The server may close the connection before it has read everything.
        }

        return Describe(await ReadToEndAsync(stream));
    }

    private async Task<string> HalfThenVanishAsync(byte[] half, bool startup)
    {
        using (var raw = await ConnectAsync(startup))
        {
            await raw.GetStream().WriteAsync(half);
            await Task.Delay(200);
            raw.Client.Close(0);
        }

        return "nothing (it was gone)";
    }

    private async Task<string> HalfQueryHeldOpenAsync()
    {
        using var raw = await ConnectAsync(startup: true);
        var header = new byte[5 + 10];
        header[0] = (byte)'Q';
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), 64);
        Encoding.ASCII.GetBytes("SELECT 1; ").CopyTo(header, 5);
        await raw.GetStream().WriteAsync(header);

        // While the half message waits for the rest, the engine belongs to no one: another client is served.
        await using (var other = await OpenAsync().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(2, await ScalarAsync(other, "SELECT 2").WaitAsync(TimeSpan.FromSeconds(10)));
        }

        raw.Client.Close(0);
        return "nothing while the message was incomplete; a second client was served meanwhile";
    }

    private async Task<string> VanishMidCopyAsync(bool inTransaction)
    {
        using (var raw = await ConnectAsync(startup: true))
        {
            var stream = raw.GetStream();
            if (inTransaction)
            {
                await stream.WriteAsync(Query("BEGIN; INSERT INTO fault_rows VALUES (100000, 'before the copy')"));
                Assert.Equal((byte)'T', await ReadUntilReadyAsync(stream));
            }

            await stream.WriteAsync(Query("COPY fault_rows (id, note) FROM STDIN"));
            var response = new byte[5];
            await stream.ReadExactlyAsync(response);
            Assert.Equal((byte)'G', response[0]); // CopyInResponse
            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(response.AsSpan(1)) - 4];
            await stream.ReadExactlyAsync(body);

            // 10,000 rows of 20,000, in pieces of 500, then gone without CopyDone or CopyFail.
            for (var piece = 0; piece < 20; piece++)
            {
                var text = new StringBuilder();
                for (var i = piece * 500; i < (piece + 1) * 500; i++)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{i}\trow {i}\n");
                }

                await stream.WriteAsync(CopyData(Encoding.UTF8.GetBytes(text.ToString())));
            }

            await stream.FlushAsync();
            await Task.Delay(200);
            raw.Client.Close(0);
        }

        return "nothing (it was gone)";
    }

    private static string Describe(byte[] reply)
    {
        if (reply.Length == 0)
        {
            return "the connection closed without a reply";
        }

        // The first ErrorResponse's code and message.
        var offset = 0;
        while (offset + 5 <= reply.Length)
        {
            var type = reply[offset];
            var length = BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(offset + 1));
            if (type == (byte)'E')
            {
                var fields = reply.AsSpan(offset + 5, length - 4);
                string? code = null, message = null;
                var position = 0;
                while (position < fields.Length && fields[position] != 0)
                {
                    var end = fields[(position + 1)..].IndexOf((byte)0);
                    var value = Encoding.UTF8.GetString(fields.Slice(position + 1, end));
                    if (fields[position] == (byte)'C')
                    {
                        code = value;
                    }
                    else if (fields[position] == (byte)'M')
                    {
                        message = value;
                    }

                    position += end + 2;
                }

                return $"ErrorResponse {code}: {message}; then the server closed the connection";
            }

            offset += 1 + length;
        }

        return $"{reply.Length} bytes without an error";
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
