using System.Diagnostics;
using System.Text;

namespace Hourglass.Cli.Tests;

/// <summary>Runs the real <c>hourglass</c> executable (built next to the tests) as a child process.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        Process = process;
    }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "Hourglass.Cli.dll");

    public static CliProcess Start(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "200";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        var process = Process.Start(start)!;
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Append(e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => cli._exited.TrySetResult();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>
    /// Runs hourglass to its end. When it outlives <paramref name="timeout"/>, <paramref name="describeHang"/> (if given)
    /// adds to the failure what it sees while the process still runs, before it is killed.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        IEnumerable<string> arguments,
        IDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null,
        Func<Task<string>>? describeHang = null)
    {
        using var cli = Start(arguments, environment, workingDirectory);
        try
        {
            await cli.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException hang) when (describeHang is not null)
        {
            throw new TimeoutException($"{hang.Message}\n{await describeHang()}", hang);
        }

        return (cli.Process.ExitCode, cli.Output);
    }

    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var line = Output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (line is not null)
            {
                return line[prefix.Length..].Trim();
            }

            if (Process.HasExited)
            {
                break;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"'{prefix}' did not appear. Output so far:\n{Output}");
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // Whether the process is still running tells a hang in hourglass from a test host too busy to see its exit.
            var state = Process.HasExited ? $"it has exited with {Process.ExitCode} since" : $"it is still running; its processes:\n{DescribeProcessTree(Process.Id)}";
            throw new TimeoutException($"hourglass {string.Join(' ', Process.StartInfo.ArgumentList.Skip(1))} did not exit within {timeout} ({state}). Output so far:\n{Output}");
        }

        await Process.WaitForExitAsync();
    }

    /// <summary>
    /// The process and its descendants with their state and what the kernel says each waits in (Linux /proc), so that a
    /// hang tells a child tool (pg_dump) blocked on a pipe or a socket from one that exited unnoticed.
    /// </summary>
    private static string DescribeProcessTree(int root)
    {
        if (!Directory.Exists("/proc"))
        {
            return "  (no /proc here)";
        }

        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out var pid) && ReadProc(pid, "stat") is { } stat
                && stat[(stat.LastIndexOf(')') + 2)..].Split(' ') is [_, var ppid, ..] && int.TryParse(ppid, out var parent))
            {
                parents[pid] = parent;
            }
        }

        var lines = new StringBuilder();
        var pending = new Queue<(int Pid, int Depth)>([(root, 0)]);
        while (pending.TryDequeue(out var next))
        {
            var stat = ReadProc(next.Pid, "stat") ?? "";
            var state = stat.LastIndexOf(')') is var close and > 0 && close + 2 < stat.Length ? stat[close + 2].ToString() : "?";
            var command = (ReadProc(next.Pid, "cmdline") ?? "").Replace('\0', ' ').Trim();
            lines.AppendLine($"  {new string(' ', 2 * next.Depth)}pid {next.Pid} [{state}, waiting in {ReadProc(next.Pid, "wchan") ?? "?"}]: {(command.Length > 160 ? command[..160] : command)}");
            foreach (var child in parents.Where(p => p.Value == next.Pid).Select(p => p.Key).Order())
            {
                pending.Enqueue((child, next.Depth + 1));
            }
        }

        return lines.ToString();
    }

    private static string? ReadProc(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{file}");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }
}
