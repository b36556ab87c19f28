using Npgsql;

namespace Hourglass.Cli.Connection;

/// <summary>Runs a command body and turns every failure into one redacted error line and exit code 2.</summary>
internal static class CommandRunner
{
    public const int Failed = 2;

    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException)
        {
            WriteError("cancelled.");
            return Failed;
        }
        catch (CliException ex)
        {
            WriteError(ex.Message);
            return Failed;
        }
        catch (PostgresException ex)
        {
            WriteError($"the server reported {ex.SqlState}: {ex.MessageText}");
            return Failed;
        }
        catch (NpgsqlException ex)
        {
            WriteError($"could not talk to the server: {Flatten(ex)}");
            return Failed;
        }
#pragma warning disable CA1031 // The last line of defence of a CLI: report anything, redacted, instead of a stack trace that may quote a connection string.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            WriteError(Flatten(ex));
            return Failed;
        }
    }

    /// <summary>Plain text, never wrapped: error messages are grepped by scripts and tests.</summary>
    public static void WriteError(string message) =>
        Console.Error.WriteLine($"error: {Secrets.Redact(message)}");

    private static string Flatten(Exception ex)
    {
        var parts = new List<string>();
        for (var current = ex; current is not null; current = current.InnerException)
        {
            if (!parts.Contains(current.Message))
            {
                parts.Add(current.Message);
            }
        }

        return string.Join(" -> ", parts);
    }
}
