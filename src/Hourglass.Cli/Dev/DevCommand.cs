using System.CommandLine;
using System.Runtime.InteropServices;
using Hourglass.Embedded;
using Spectre.Console;

namespace Hourglass.Cli.Dev;

/// <summary><c>hourglass dev</c>: a local TimescaleDB in the foreground until Ctrl+C.</summary>
internal static class DevCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port", "-p")
        {
            Description = "TCP port on 127.0.0.1 (0 picks a free one).",
            DefaultValueFactory = _ => 5432,
        };
        var data = new Option<DirectoryInfo?>("--data", "-d")
        {
            Description = "Folder that keeps the database between runs (created when missing). Without it the database is temporary.",
        };
        var native = new Option<bool>("--native")
        {
            Description = "Run the PostgreSQL with TimescaleDB installed on this machine (many sessions, background workers, pg_dump) instead of the built-in WebAssembly engine. Found by --home, HOURGLASS_TIMESCALEDB_HOME, or pg_config on PATH.",
        };
        var home = new Option<string?>("--home")
        {
            Description = "With --native: PostgreSQL's bin folder, its tree, or its .tar.xz.",
        };
        var command = new Command("dev", "Run a local TimescaleDB (no Docker) in the foreground; Ctrl+C stops it.") { port, data, native, home };
        command.Validators.Add(result =>
        {
            if (result.GetValue(home) is not null && !result.GetValue(native))
            {
                result.AddError("--home names a native PostgreSQL: use it with --native.");
            }
        });
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(port), result.GetValue(data), result.GetValue(native) ? EmbeddedEngine.Native : EmbeddedEngine.Wasm, result.GetValue(home), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int port, DirectoryInfo? data, EmbeddedEngine engine, string? home, CancellationToken cancellationToken)
    {
        EmbeddedTimescale server;
        try
        {
            server = await AnsiConsole.Status().StartAsync("Starting TimescaleDB...", _ =>
                EmbeddedTimescale.StartAsync(new EmbeddedTimescaleOptions { Port = port, DataDirectory = data?.FullName, Engine = engine, NativeHome = home }, cancellationToken));
        }
        catch (EmbeddedTimescaleException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 2;
        }

        await using (server)
        {
            var stop = new TaskCompletionSource();
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.TrySetResult();
            });
            using var registration = cancellationToken.Register(() => stop.TrySetResult());

            AnsiConsole.MarkupLineInterpolated($"[green]TimescaleDB {server.TimescaleDbVersion}[/] (PostgreSQL {server.ServerVersion}, {(server.Engine == EmbeddedEngine.Native ? "native" : "WebAssembly")}) is running on {server.Host}:{server.Port}.");
            if (server.BinDirectory is not null)
            {
                Console.WriteLine($"Server binaries: {server.BinDirectory} (its pg_dump, pg_restore and psql match the server)");
            }

            Console.WriteLine($"Connection string: {server.ConnectionString}");
            Console.WriteLine(server.DataDirectory is null ? "Data: temporary, deleted when it stops (use --data DIR to keep it)." : $"Data: {server.DataDirectory}");
            Console.WriteLine($"Server process: {server.ProcessId}");
            Console.WriteLine("Press Ctrl+C to stop.");
            await stop.Task.ConfigureAwait(false);
            AnsiConsole.MarkupLine("Stopping...");
        }

        AnsiConsole.MarkupLine("[green]Stopped.[/]");
        return 0;
    }
}
