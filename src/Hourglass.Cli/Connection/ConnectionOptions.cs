using System.CommandLine;
using System.Net.Sockets;
using Hourglass.Embedded;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Hourglass.Cli.Connection;

/// <summary>
/// The connection options every database command shares, and the order they are resolved in:
/// <c>--connection</c>, else <c>HOURGLASS_CONNECTION</c>, else <c>ConnectionStrings:Default</c> in
/// <c>./appsettings.json</c>; or <c>--embedded</c> for <c>hourglass dev</c>'s server.
/// </summary>
internal sealed class ConnectionOptions
{
    public const string EnvironmentVariable = "HOURGLASS_CONNECTION";
    public const int DevDefaultPort = 5432;

    public Option<string?> Connection { get; } = new("--connection", "-c")
    {
        HelpName = "CONNECTION",
        Description = $"Npgsql connection string or postgresql:// URL. Default: ${EnvironmentVariable}, else ConnectionStrings:Default in ./appsettings.json.",
    };

    public Option<bool> Embedded { get; } = new("--embedded")
    {
        Description = $"Use the embedded TimescaleDB of 'hourglass dev' (127.0.0.1, --embedded-port). If none is running, start a temporary one for this command (on --embedded-data when given).",
    };

    public Option<int> EmbeddedPort { get; } = new("--embedded-port")
    {
        HelpName = "PORT",
        Description = "Port of the running 'hourglass dev' server.",
        DefaultValueFactory = _ => DevDefaultPort,
    };

    public Option<DirectoryInfo?> EmbeddedData { get; } = new("--embedded-data")
    {
        HelpName = "DIR",
        Description = "With --embedded and no running 'hourglass dev': open this data folder (as kept by 'hourglass dev --data DIR') instead of a temporary database.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Connection);
        command.Options.Add(Embedded);
        command.Options.Add(EmbeddedPort);
        command.Options.Add(EmbeddedData);
    }

    public async Task<ResolvedConnection> ResolveAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var explicitText = result.GetValue(Connection);
        Secrets.RegisterFrom(explicitText);
        if (result.GetValue(Embedded))
        {
            if (!string.IsNullOrWhiteSpace(explicitText))
            {
                throw new CliException("--connection and --embedded cannot be used together: choose one.");
            }

            return await ResolveEmbeddedAsync(result.GetValue(EmbeddedPort), result.GetValue(EmbeddedData), cancellationToken);
        }

        var (text, source) = FindConfigured(explicitText);
        return new ResolvedConnection(Normalize(text, source), source, embedded: null);
    }

    private static (string Text, string Source) FindConfigured(string? explicitText)
    {
        if (!string.IsNullOrWhiteSpace(explicitText))
        {
            return (explicitText, "--connection");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        Secrets.RegisterFrom(fromEnvironment);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return (fromEnvironment, EnvironmentVariable);
        }

        var settingsPath = Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
        if (File.Exists(settingsPath))
        {
            string? fromSettings;
            try
            {
                var configuration = new ConfigurationBuilder().AddJsonFile(settingsPath, optional: true, reloadOnChange: false).Build();
                fromSettings = configuration.GetConnectionString("Default");
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
            {
                throw new CliException($"{settingsPath} could not be read: {ex.Message}");
            }

            Secrets.RegisterFrom(fromSettings);
            if (!string.IsNullOrWhiteSpace(fromSettings))
            {
                return (fromSettings, "appsettings.json ConnectionStrings:Default");
            }
        }

        throw new CliException(
            $"No database to connect to. Pass --connection \"Host=...;Database=...;Username=...\", set {EnvironmentVariable}, " +
            "add ConnectionStrings:Default to appsettings.json in this folder, or use --embedded for 'hourglass dev'.");
    }

    /// <summary>Parses a keyword connection string or a postgresql:// URL into a validated Npgsql connection string.</summary>
    internal static string Normalize(string text, string source)
    {
        text = text.Trim();
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(text)
                : new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new CliException($"The connection string from {source} is not valid: {ex.Message}");
        }

        Secrets.Register(builder.Password);
        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new CliException($"The connection string from {source} has no Host. Add Host=<server>.");
        }

        return builder.ConnectionString;
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string text)
    {
        var uri = new Uri(text);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
                Secrets.Register(builder.Password);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value.ToLowerInvariant() switch
            {
                "verify-ca" => "VerifyCA",
                "verify-full" => "VerifyFull",
                _ => value,
            };
        }

        return builder;
    }

    private static async Task<ResolvedConnection> ResolveEmbeddedAsync(int port, DirectoryInfo? data, CancellationToken cancellationToken)
    {
        var devConnection = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Database = "template1",
            Username = EmbeddedTimescale.UserName,
            Password = EmbeddedTimescale.Password,
            SslMode = SslMode.Disable,
            Timeout = 30,
            CommandTimeout = 300,
        };
        // The embedded server accepts any password and its default one is public: it is not a secret to mask.
        if (port > 0 && await IsListeningAsync(port, cancellationToken))
        {
            return new ResolvedConnection(devConnection.ConnectionString, $"hourglass dev on 127.0.0.1:{port}", embedded: null);
        }

        Console.Error.WriteLine(data is null
            ? $"No 'hourglass dev' server on 127.0.0.1:{port}; starting a temporary embedded TimescaleDB for this command."
            : $"No 'hourglass dev' server on 127.0.0.1:{port}; starting the embedded TimescaleDB on {data.FullName} for this command.");
        EmbeddedTimescale server;
        try
        {
            server = await EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { Port = 0, DataDirectory = data?.FullName }, cancellationToken);
        }
        catch (EmbeddedTimescaleException ex)
        {
            throw new CliException(ex.Message);
        }

        return new ResolvedConnection(server.ConnectionString, "embedded TimescaleDB started for this command", server);
    }

    private static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>A connection string ready to use, where it came from, and the embedded server to stop afterwards.</summary>
internal sealed class ResolvedConnection(string connectionString, string source, EmbeddedTimescale? embedded) : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>Where the connection string came from (never the string itself).</summary>
    public string Source { get; } = source;

    public NpgsqlConnectionStringBuilder Builder => new(ConnectionString);

    /// <summary>host:port/database as user — safe to print.</summary>
    public string Describe()
    {
        var b = Builder;
        return $"{b.Host}:{b.Port}" + (string.IsNullOrEmpty(b.Database) ? "" : $"/{b.Database}") + (string.IsNullOrEmpty(b.Username) ? "" : $" as {b.Username}");
    }

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            var reason = ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.Message} ({inner.Message})" : ex.Message;
            throw new CliException($"Could not connect to {Describe()} (connection from {Source}): {reason}", ex);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (embedded is not null)
        {
            await embedded.DisposeAsync();
        }
    }
}

/// <summary>An error the user can fix; its message says how. Printed (redacted) with exit code 2.</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message) : base(message)
    {
    }

    public CliException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
