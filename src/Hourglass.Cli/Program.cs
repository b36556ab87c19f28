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
        // Ctrl+C cancels the running command; give it time to stop servers and flush data before
        // System.CommandLine gives up on it and exits with 130.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) };
        return root.Parse(args).InvokeAsync(invocation);
    }
}
