using System.Diagnostics;
using System.Runtime.InteropServices;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

public sealed class DevCommandTests
{
    [Fact]
    public async Task Dev_serves_timescaledb_and_stops_cleanly_on_sigint()
    {
        using var cli = CliProcess.Start(["dev", "--port", "0"]);
        var connectionString = await cli.WaitForLineAsync("Connection string:", TimeSpan.FromMinutes(3));
        var nodePid = int.Parse(await cli.WaitForLineAsync("Server process:", TimeSpan.FromSeconds(10)), System.Globalization.CultureInfo.InvariantCulture);

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'", connection);
            Assert.False(string.IsNullOrEmpty((string?)await command.ExecuteScalarAsync()));
        }

        Assert.Equal(0, Kill(cli.Process.Id, 2 /* SIGINT */));
        // The CLI waits up to 30 s for the engine before killing it; the rest is slack for a loaded machine.
        await cli.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(0, cli.Process.ExitCode);
        Assert.Contains("Stopped.", cli.Output, StringComparison.Ordinal);
        Assert.True(await ExitsWithinAsync(nodePid, TimeSpan.FromSeconds(10)), "the node server outlived hourglass dev");
    }

    [Fact]
    public async Task Killing_the_parent_with_sigkill_leaves_no_orphan_node_process()
    {
        using var cli = CliProcess.Start(["dev", "--port", "0"]);
        await cli.WaitForLineAsync("Connection string:", TimeSpan.FromMinutes(3));
        var nodePid = int.Parse(await cli.WaitForLineAsync("Server process:", TimeSpan.FromSeconds(10)), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(IsRunning(nodePid));

        Assert.Equal(0, Kill(cli.Process.Id, 9 /* SIGKILL */));

        Assert.True(await ExitsWithinAsync(nodePid, TimeSpan.FromSeconds(15)), "the node server is an orphan after its parent was killed");
    }

    [Fact]
    public async Task Port_in_use_is_reported_with_the_fix()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, output) = await CliProcess.RunAsync(["dev", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.Equal(2, exitCode);
        Assert.Contains($"Port {port}", output, StringComparison.Ordinal);
        Assert.Contains("already in use", output, StringComparison.Ordinal);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> ExitsWithinAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!IsRunning(pid))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
