using System.CommandLine;
using System.Globalization;
using Hourglass.Cli.Backup;
using Hourglass.Cli.Connection;
using Hourglass.Cli.Dev;
using Hourglass.Cli.Doctor;
using Hourglass.Cli.Info;
using Hourglass.Cli.Maintenance;
using Spectre.Console;

namespace Hourglass.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Hourglass: TimescaleDB tooling for .NET.")
        {
            DevCommand.Create(),
            InfoCommand.Create(),
            DoctorCommand.Create(),
            BackupCommand.Create(),
            RestoreCommand.Create(),
            ChunksCommand.Create(),
            JobsCommand.Create(),
            RefreshCommand.Create(),
        };
        UseWidthOfRedirectedOutput();

        // A mistyped option makes System.CommandLine echo the arguments it did not recognise, connection strings
        // included: know every password on the command line first, and print parse errors redacted.
        foreach (var argument in args.Where(a => a.Contains('=', StringComparison.Ordinal) || a.Contains("://", StringComparison.Ordinal)))
        {
            Secrets.RegisterFrom(argument);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"error: {Secrets.Redact(error.Message)}");
            }

            Console.Error.WriteLine("Run 'hourglass --help' (or 'hourglass COMMAND --help') for the options.");
            return Task.FromResult(1);
        }

        // System.CommandLine exits with 130 if an action has not finished 2 s after Ctrl+C; stopping the embedded
        // server or killing pg_dump and cleaning up can take longer on a loaded machine.
        return parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>
    /// Piped into a file or a CI log, Spectre would wrap tables at 80 columns; use $COLUMNS when set, else 160.
    /// </summary>
    private static void UseWidthOfRedirectedOutput()
    {
        if (!Console.IsOutputRedirected)
        {
            return;
        }

        AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var columns) && columns >= 40
            ? columns
            : 160;
    }
}
