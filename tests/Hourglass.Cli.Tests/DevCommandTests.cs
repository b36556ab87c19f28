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
        UnignoreSigint();
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

    [Hourglass.Testing.NativeTimescaleFact("a PostgreSQL with TimescaleDB installed (HOURGLASS_TIMESCALEDB_HOME)")]
    public Task Native_dev_serves_a_native_timescaledb_and_killing_it_leaves_no_postgres() =>
        NativeDevLeavesNoPostgresAsync(cli => Assert.Equal(0, Kill(cli.Process.Id, 9 /* SIGKILL */)));

    /// <summary>Test runners (a hang timeout), IDEs and CI cancellations end the whole process tree at once.</summary>
    [Hourglass.Testing.NativeTimescaleFact("a PostgreSQL with TimescaleDB installed (HOURGLASS_TIMESCALEDB_HOME)")]
    public Task Native_dev_killed_with_its_whole_process_tree_leaves_no_postgres() =>
        NativeDevLeavesNoPostgresAsync(cli => cli.Process.Kill(entireProcessTree: true));

    private static async Task NativeDevLeavesNoPostgresAsync(Action<CliProcess> kill)
    {
        var home = Environment.GetEnvironmentVariable(Hourglass.Testing.NativeTimescaleServer.HomeVariable) is { Length: > 0 } set
            ? set
            : throw new InvalidOperationException($"This test runs hourglass dev --native on the tree {Hourglass.Testing.NativeTimescaleServer.HomeVariable} names, and it is not set.");
        var data = Path.Combine(Path.GetTempPath(), $"hourglass-dev-native-{Guid.NewGuid():N}");
        try
        {
            using var cli = CliProcess.Start(["dev", "--native", "--home", home, "--port", "0", "--data", data]);
            var connectionString = await cli.WaitForLineAsync("Connection string:", TimeSpan.FromMinutes(3));
            var postmaster = int.Parse(await cli.WaitForLineAsync("Server process:", TimeSpan.FromSeconds(10)), System.Globalization.CultureInfo.InvariantCulture);
            await using (var first = new NpgsqlConnection(connectionString))
            await using (var second = new NpgsqlConnection(connectionString))
            {
                await first.OpenAsync();
                await second.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'", first);
                Assert.False(string.IsNullOrEmpty((string?)await command.ExecuteScalarAsync()));
                Assert.NotEqual(first.ProcessID, second.ProcessID);
            }

            // The server's processes: the postmaster started on this data directory, and its children.
            var serverProcesses = ServerProcesses(data, postmaster);
            Assert.Contains(postmaster, serverProcesses);
            Assert.True(serverProcesses.Count > 1, "the postmaster has no children (background workers)");

            kill(cli);

            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (ServerProcesses(data, postmaster).Count > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"postgres processes of {data} outlived their killed parent: {string.Join(", ", ServerProcesses(data, postmaster))}");
                await Task.Delay(200);
            }

            Assert.True(File.Exists(Path.Combine(data, "PG_VERSION")), "the data directory given with --data was not kept");
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    // Processes whose command line names the data directory (the postmaster: postgres -D DIR), and children of the postmaster.
    private static List<int> ServerProcesses(string dataDirectory, int postmaster)
    {
        var found = new List<int>();
        foreach (var folder in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                if ((commandLine.Contains("postgres", StringComparison.Ordinal) && commandLine.Contains(dataDirectory, StringComparison.Ordinal)) || parent == postmaster || pid == postmaster)
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }

        return found;
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

    [DllImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static extern IntPtr Signal(int signal, IntPtr handler);

    /// <summary>
    /// A process started in the background of a non-interactive shell (`.ci/run &amp;`, nohup) ignores SIGINT, and an
    /// ignored signal stays ignored across exec: `hourglass dev` started from such a test run would rightly ignore the
    /// Ctrl+C this test sends, as any Unix program does there. The test process gives its children the default again.
    /// </summary>
    private static void UnignoreSigint()
    {
        var ignored = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if (ignored is not null && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0)
        {
            Signal(2 /* SIGINT */, IntPtr.Zero /* SIG_DFL */);
        }
    }
}
