using System.CommandLine;
using System.Globalization;
using Hourglass.Cli.Backup;
using Hourglass.Cli.Dev;
using Hourglass.Cli.Doctor;
using Hourglass.Cli.Info;
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
        };
        UseWidthOfRedirectedOutput();
        // System.CommandLine exits with 130 if an action has not finished 2 s after Ctrl+C; stopping the embedded
        // server or killing pg_dump and cleaning up can take longer on a loaded machine.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
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
