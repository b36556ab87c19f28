using System.Diagnostics;
using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>
/// The embedded server with a real client nobody here wrote: pgbench drives 2 and 4 connections from one thread in
/// each of its protocols. With <c>-M prepared</c> it prepares synchronously (libpq's PQprepare) while another of its
/// connections holds a transaction, which once stalled until the lock timeout.
/// </summary>
public sealed class PgbenchTests(PgbenchTests.Server server) : IClassFixture<PgbenchTests.Server>
{
    private const int TransactionsPerClient = 30;

    [Theory]
    [InlineData("simple", 2)]
    [InlineData("simple", 4)]
    [InlineData("extended", 2)]
    [InlineData("extended", 4)]
    [InlineData("prepared", 2)]
    [InlineData("prepared", 4)]
    public async Task Every_transaction_completes_without_aborts(string protocol, int clients)
    {
        var (exitCode, output) = await server.PgbenchAsync("-M", protocol, "-c", clients.ToString(), "-j", "1", "-t", TransactionsPerClient.ToString());

        var expected = clients * TransactionsPerClient;
        Assert.True(exitCode == 0, $"pgbench -M {protocol} -c {clients} exited with {exitCode}:\n{output}");
        Assert.DoesNotContain("aborted", output, StringComparison.Ordinal);
        var processed = Regex.Match(output, @"number of transactions actually processed: (\d+)/(\d+)");
        Assert.True(processed.Success, $"pgbench reported no transaction count:\n{output}");
        Assert.Equal(expected.ToString(), processed.Groups[1].Value);
        Assert.Equal(expected.ToString(), processed.Groups[2].Value);
        var failed = Regex.Match(output, @"number of failed transactions: (\d+)");
        Assert.True(failed.Success, $"pgbench reported no failure count:\n{output}");
        Assert.Equal("0", failed.Groups[1].Value);
    }

    /// <summary>An embedded server of the class's own, initialised with <c>pgbench -i -s 1</c>.</summary>
    public sealed class Server : IAsyncLifetime
    {
        private EmbeddedTimescale _server = null!;
        private string _pgbench = null!;

        public async Task InitializeAsync()
        {
            _pgbench = await LocatePgbenchAsync();
            // A lock timeout short enough that a stalled hand-over fails the test instead of slowing the suite.
            _server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { LockTimeout = TimeSpan.FromSeconds(10) });
            var (exitCode, output) = await PgbenchAsync("-i", "-s", "1", "-q");
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"pgbench -i -s 1 failed ({exitCode}):\n{output}");
            }
        }

        public async Task DisposeAsync() => await _server.DisposeAsync();

        public async Task<(int ExitCode, string Output)> PgbenchAsync(params string[] arguments)
        {
            var start = new ProcessStartInfo(_pgbench) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "-h", _server.Host, "-p", _server.Port.ToString(), "-U", EmbeddedTimescale.UserName }.Concat(arguments).Append(_server.Database))
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["PGPASSWORD"] = EmbeddedTimescale.Password;
            start.Environment["PGSSLMODE"] = "disable";
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"pgbench {string.Join(' ', arguments)} did not finish within 3 minutes: {await error}");
            }

            return (process.ExitCode, await output + await error);
        }

        // pgbench comes with the PostgreSQL server binaries: the native TimescaleDB tree's when the suite runs on one,
        // else HOURGLASS_PG_BIN or Debian's /usr/lib/postgresql/N/bin (the harness's PostgreSQL without TimescaleDB).
        private static async Task<string> LocatePgbenchAsync()
        {
            var folders = new List<string>();
            if (Environment.GetEnvironmentVariable(NativeTimescaleServer.HomeVariable) is { Length: > 0 } home)
            {
                folders.Add(await NativeTimescaleServer.LocateBinDirectoryAsync(home));
            }

            try
            {
                folders.Add(NativePostgresServer.LocateBinDirectory());
            }
            catch (InvalidOperationException)
            {
                // Reported below with every folder looked in.
            }

            return folders.Select(f => Path.Combine(f, "pgbench")).FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException(
                    $"pgbench was not found (looked in {(folders.Count == 0 ? "no PostgreSQL bin folder" : string.Join(", ", folders))}). " +
                    "It ships with the PostgreSQL server binaries: install postgresql-15 (apt-get install postgresql-15), or set HOURGLASS_PG_BIN.");
        }
    }
}
