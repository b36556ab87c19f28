using System.CommandLine;
using Hourglass.Cli.Dev;

namespace Hourglass.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Hourglass: TimescaleDB tooling for .NET.")
        {
            DevCommand.Create(),
        };
        return root.Parse(args).InvokeAsync();
    }
}
