using System.CommandLine;
using Hourglass.Cli.Backup;
using Hourglass.Cli.Dev;
using Hourglass.Cli.Doctor;
using Hourglass.Cli.Info;

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
        return root.Parse(args).InvokeAsync();
    }
}
