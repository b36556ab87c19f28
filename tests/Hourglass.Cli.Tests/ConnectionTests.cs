using System.Net;
using System.Net.Sockets;
using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Cli.Tests;

/// <summary>Connection resolution and password redaction, on native PostgreSQL 15 (trust auth accepts any password).</summary>
public sealed class ConnectionTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>, IDisposable
{
    private const string Password = "Hg-Secret-pw-7391";
    private readonly string _folder = Directory.CreateTempSubdirectory("hourglass-conn-").FullName;

    private string WithPassword(int? port = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString) { Password = Password };
        if (port is not null)
        {
            builder.Port = port.Value;
            builder.Timeout = 3;
        }

        return builder.ConnectionString;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task A_password_never_appears_in_output_or_errors()
    {
        var closed = ClosedPort();
        var url = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString);
        var runs = new List<(string[] Arguments, Dictionary<string, string?>? Environment, int ExpectedExit)>
        {
            (["info", "--connection", WithPassword()], null, 0),
            (["info", "--json", "--connection", WithPassword()], null, 0),
            (["doctor", "--connection", WithPassword()], null, 2),
            (["info", "--connection", WithPassword(closed)], null, 2),
            (["doctor", "--connection", WithPassword(closed)], null, 2),
            (["backup", Path.Combine(_folder, "a.dump"), "--connection", WithPassword(closed)], null, 2),
            (["restore", Path.Combine(_folder, "missing.dump"), "--connection", WithPassword()], null, 2),
            (["info", "--connection", $"Host=127.0.0.1;Password={Password};Not A Keyword=1"], null, 2),
            (["info", "--connection", $"Host=127.0.0.1;Password='{Password}"], null, 2),
            (["info"], new() { ["HOURGLASS_CONNECTION"] = $"postgresql://postgres:{Password}@127.0.0.1:{closed}/db?connect_timeout=3" }, 2),
            (["info"], new() { ["HOURGLASS_CONNECTION"] = $"postgresql://postgres:{Uri.EscapeDataString(Password)}@{url.Host}:{url.Port}/{url.Database}" }, 0),
        };

        foreach (var (arguments, environment, expectedExit) in runs)
        {
            var (exitCode, output) = await CliProcess.RunAsync(arguments, environment, _folder);
            var shown = string.Join(' ', arguments.Select(a => a.Replace(Password, "<pw>", StringComparison.Ordinal)));
            Assert.True(exitCode == expectedExit, $"{shown} exited {exitCode}:\n{output}");
            Assert.False(output.Contains(Password, StringComparison.Ordinal), $"{shown} printed the password:\n{output}");
            Assert.False(output.Contains("Hg-Secret", StringComparison.Ordinal), $"{shown} printed part of the password:\n{output}");
            if (expectedExit == 2 && !output.Contains("FAIL  extension", StringComparison.Ordinal))
            {
                Assert.Contains("error:", output, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Backup_with_a_password_prints_no_password_and_pg_dump_gets_it_from_the_environment()
    {
        var (exitCode, output) = await CliProcess.RunAsync(["backup", Path.Combine(_folder, "pw.dump"), "--connection", WithPassword()]);

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain(Password, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, await File.ReadAllTextAsync(Path.Combine(_folder, "pw.dump.meta.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_comes_from_the_environment_then_appsettings_json()
    {
        var (fromEnvironment, output) = await CliProcess.RunAsync(["info", "--json"], new Dictionary<string, string?> { ["HOURGLASS_CONNECTION"] = fixture.Database.ConnectionString }, _folder);
        Assert.True(fromEnvironment == 0, output);
        Assert.Contains($"\"database\": \"{fixture.Database.DatabaseName}\"", output, StringComparison.Ordinal);

        var (missing, missingOutput) = await CliProcess.RunAsync(["info"], new Dictionary<string, string?> { ["HOURGLASS_CONNECTION"] = "" }, _folder);
        Assert.Equal(2, missing);
        Assert.Contains("No database to connect to", missingOutput, StringComparison.Ordinal);
        Assert.Contains("appsettings.json", missingOutput, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(_folder, "appsettings.json"),
            $$"""{ "ConnectionStrings": { "Default": "{{fixture.Database.ConnectionString}}" } }""");
        var (fromSettings, settingsOutput) = await CliProcess.RunAsync(["info", "--json"], new Dictionary<string, string?> { ["HOURGLASS_CONNECTION"] = "" }, _folder);
        Assert.True(fromSettings == 0, settingsOutput);
        Assert.Contains($"\"database\": \"{fixture.Database.DatabaseName}\"", settingsOutput, StringComparison.Ordinal);

        var (both, bothOutput) = await CliProcess.RunAsync(["info", "--embedded", "--connection", fixture.Database.ConnectionString], null, _folder);
        Assert.Equal(2, both);
        Assert.Contains("cannot be used together", bothOutput, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

/// <summary>--embedded connects to a running `hourglass dev` server.</summary>
public sealed class EmbeddedConnectionTests
{
    [Fact]
    public async Task Embedded_uses_the_running_dev_server()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var dev = CliProcess.Start(["dev", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await dev.WaitForLineAsync("Connection string:", TimeSpan.FromMinutes(3));

        var (exitCode, json, output) = await CliJson.RunAsync("info", "--json", "--embedded", "--embedded-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(exitCode == 0, output);
        Assert.True(json.GetProperty("timescaledb").GetProperty("installed").GetBoolean());
        Assert.StartsWith("17", json.GetProperty("server").GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("starting a temporary", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embedded_starts_a_temporary_server_when_no_dev_server_runs()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (exitCode, json, output) = await CliJson.RunAsync("doctor", "--json", "--embedded", "--embedded-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Contains("starting a temporary embedded TimescaleDB", output, StringComparison.Ordinal);
        Assert.True(exitCode == 1, output);
        var levels = Doctor.Levels(json);
        Assert.Equal("pass", levels["extension"]);
        Assert.Equal("warn", levels["workers"]);
        Assert.DoesNotContain("fail", levels.Values);
    }
}

public sealed class HelpTests
{
    [Theory]
    [InlineData("info", "--json", "--schema")]
    [InlineData("doctor", "--ignore", "Exit code 0 = healthy")]
    [InlineData("backup", "--keep", "--pg-bin")]
    [InlineData("restore", "--clean", "--force")]
    public async Task Every_command_has_help(string command, string option1, string option2)
    {
        var (exitCode, output) = await CliProcess.RunAsync([command, "--help"]);

        Assert.Equal(0, exitCode);
        foreach (var expected in new[] { option1, option2, "--connection", "--embedded", "HOURGLASS_CONNECTION" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Root_help_lists_every_command()
    {
        var (exitCode, output) = await CliProcess.RunAsync(["--help"]);

        Assert.Equal(0, exitCode);
        foreach (var command in new[] { "dev", "info", "doctor", "backup", "restore" })
        {
            Assert.Contains($"  {command} ", output, StringComparison.Ordinal);
        }
    }
}
