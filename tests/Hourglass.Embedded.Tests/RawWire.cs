using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Hourglass.Embedded.Tests;

/// <summary>PostgreSQL wire messages written and read by hand, for tests that talk to the server below Npgsql.</summary>
internal static class RawWire
{
    public static byte[] Startup()
    {
        var parameters = Encoding.UTF8.GetBytes("user\0postgres\0database\0postgres\0\0");
        var message = new byte[8 + parameters.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), 196608);
        parameters.CopyTo(message, 8);
        return message;
    }

    public static byte[] Query(string sql) => Message('Q', Encoding.UTF8.GetBytes(sql + "\0"));

    public static byte[] CopyData(byte[] data) => Message('d', data);

    /// <summary>Reads messages until ReadyForQuery and returns its transaction status.</summary>
    public static async Task<byte> ReadUntilReadyAsync(NetworkStream stream)
    {
        var header = new byte[5];
        while (true)
        {
            await stream.ReadExactlyAsync(header);
            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4];
            await stream.ReadExactlyAsync(body);
            if (header[0] == (byte)'Z')
            {
                return body[0];
            }
        }
    }

    /// <summary>Everything the server sends until it closes the connection (10 s at most).</summary>
    public static async Task<byte[]> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var buffer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(buffer, timeout.Token);
        }
        catch (IOException)
        {
            // A reset after the server's last bytes: what arrived is the answer.
        }

        return buffer.ToArray();
    }

    private static byte[] Message(char type, byte[] body)
    {
        var message = new byte[5 + body.Length];
        message[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + body.Length);
        body.CopyTo(message, 5);
        return message;
    }
}
