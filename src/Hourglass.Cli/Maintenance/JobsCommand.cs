using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hourglass.Cli.Connection;
using Hourglass.Cli.Info;
using Spectre.Console;

namespace Hourglass.Cli.Maintenance;

/// <summary><c>hourglass jobs</c>: list jobs; run, pause, resume or delete one; read job errors.</summary>
internal static class JobsCommand
{
    private static readonly string[] s_errorColumns = ["Job", "Procedure", "Started", "SQLSTATE", "Error"];
    private static readonly string[] s_jobColumns = ["Id", "Kind", "Job", "On", "Schedule", "Last run", "Status", "Next start", "Runs", "Failed"];

    public static Command Create()
    {
        var jobs = new Command("jobs", "List TimescaleDB jobs, or run, pause, resume, alter or delete one, or show job errors. A job is an id, a job or procedure name, or TABLE KIND (kind: columnstore, retention, reorder, refresh).");
        AddList(jobs);
        var list = new Command("list", "List every job (policies, user-defined actions, TimescaleDB's own) with schedule, last run, status and failures.");
        AddList(list);
        jobs.Subcommands.Add(list);
        jobs.Subcommands.Add(Action("run", "Run the job now, in this session (CALL run_job), and wait for it. A scheduled job that never ran then starts next one schedule interval from now, as after a scheduler run.", RunAsync, destructive: false));
        jobs.Subcommands.Add(Action("pause", "Pause the job: the scheduler no longer starts it, and cancels a run in progress (alter_job scheduled => false).", (c, j, ct) => c.PauseJobAsync(j, ct), destructive: false));
        jobs.Subcommands.Add(Action("resume", "Resume a paused job (alter_job scheduled => true).", (c, j, ct) => c.ResumeJobAsync(j, ct), destructive: false));
        jobs.Subcommands.Add(Action("delete", "Delete the job (delete_job); for a policy, the policy is gone. Asks first (--yes for scripts).", (c, j, ct) => c.DeleteJobAsync(j, ct), destructive: true));
        jobs.Subcommands.Add(Alter());
        jobs.Subcommands.Add(Errors());
        return jobs;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Write JSON (docs/cli.md) instead of tables." };

    private static void AddList(Command command)
    {
        var connection = new ConnectionOptions();
        var json = JsonOption();
        var schemas = InfoCommand.SchemaOption();
        command.Options.Add(json);
        command.Options.Add(schemas);
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => ListAsync(connection, result, json, schemas, cancellationToken));
    }

    private static Argument<string[]> JobArgument() => new("JOB")
    {
        Description = "An id (1000), a job or procedure name (refresh_scores), or TABLE KIND (metrics retention).",
        Arity = new ArgumentArity(1, 2),
    };

    /// <summary>"1000" → id; "metrics retention" → the policy; anything else → a job or procedure name.</summary>
    internal static JobSelector Selector(string[] parts)
    {
        if (parts.Length == 2)
        {
            var kind = parts[1].ToLowerInvariant() switch
            {
                "columnstore" or "compression" => JobKind.Columnstore,
                "retention" => JobKind.Retention,
                "reorder" => JobKind.Reorder,
                "refresh" or "aggregate" => JobKind.ContinuousAggregateRefresh,
                _ => throw new CliException($"Unknown job kind '{parts[1]}': use columnstore, retention, reorder or refresh (as in: hourglass jobs run metrics retention)."),
            };
            return JobSelector.Policy(parts[0], kind);
        }

        return int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? JobSelector.Id(id) : JobSelector.Named(parts[0]);
    }

    private static Task<int> ListAsync(ConnectionOptions connection, ParseResult result, Option<bool> json, Option<string[]> schemas, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(async () =>
        {
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var all = await db.Timescale().GetJobsAsync(result.GetValue(schemas), cancellationToken);
            if (result.GetValue(json))
            {
                Write(new JobsOutput("list", false, all.Select(Line).ToList()));
                return 0;
            }

            AnsiConsole.MarkupLineInterpolated($"[grey]Connected to {Secrets.Redact(resolved.Describe())} (from {resolved.Source})[/]");
            Render(all);
            return 0;
        });

    /// <summary>
    /// CALL run_job, which leaves TimescaleDB's job statistics alone: a scheduled job that never ran, and was due, would
    /// still be due. Its next start is moved one schedule interval ahead, as the scheduler does after a run, so the
    /// scheduler does not repeat the run at once and `doctor` no longer counts it as overdue.
    /// </summary>
    private static async Task<Job> RunAsync(TimescaleClient client, JobSelector selector, CancellationToken cancellationToken)
    {
        var before = await client.GetJobAsync(selector, cancellationToken);
        var after = await client.RunJobAsync(before.Id, cancellationToken);
        if (after is { Scheduled: true, NeverRan: true, ScheduleInterval: { } interval } && (after.NextStart is null || after.NextStart <= DateTimeOffset.UtcNow))
        {
            after = await client.AlterJobAsync(after.Id, new JobChanges { NextStart = DateTimeOffset.UtcNow + interval }, cancellationToken);
        }

        return after;
    }

    private static Command Action(string name, string description, Func<TimescaleClient, JobSelector, CancellationToken, Task<Job>> act, bool destructive)
    {
        var connection = new ConnectionOptions();
        var json = JsonOption();
        var job = JobArgument();
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm without asking (for scripts)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only print which job would be affected." };
        var command = new Command(name, description) { job, dryRun, json };
        connection.AddTo(command);
        if (destructive)
        {
            command.Options.Add(yes);
        }

        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var selector = Selector(result.GetValue(job)!);
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var client = db.Timescale();
            var target = await client.GetJobAsync(selector, cancellationToken);
            var asJson = result.GetValue(json);
            if (result.GetValue(dryRun))
            {
                if (asJson)
                {
                    Write(new JobsOutput(name, true, [Line(target)]));
                }
                else
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]Dry run[/]: would {name} job {target.Id} ({target.Name}{(target.Relation is null ? "" : $" on {target.Relation}")}).");
                }

                return 0;
            }

            if (destructive)
            {
                MaintenanceArguments.Confirm(result.GetValue(yes), $"{char.ToUpperInvariant(name[0])}{name[1..]} job {target.Id} ({target.Name}{(target.Relation is null ? "" : $" on {target.Relation}")})?");
            }

            Job after;
            if (name == "run" && !asJson && AnsiConsole.Profile.Capabilities.Interactive)
            {
                after = await AnsiConsole.Status().StartAsync($"Running job {target.Id} ({target.Name})...", _ => act(client, target.Id, cancellationToken));
            }
            else
            {
                after = await act(client, target.Id, cancellationToken);
            }

            if (asJson)
            {
                Write(new JobsOutput(name, false, [Line(after)]));
            }
            else
            {
                var verb = name switch { "run" => "ran", "pause" => "paused", "resume" => "resumed", _ => "deleted" };
                AnsiConsole.MarkupLineInterpolated($"Job {after.Id} ({after.Name}{(after.Relation is null ? "" : $" on {after.Relation}")}) {verb}.");
            }

            return 0;
        }));
        return command;
    }

    /// <summary><c>hourglass jobs alter JOB --every "1 month" --timezone Europe/Berlin ...</c>: alter_job with the options given.</summary>
    private static Command Alter()
    {
        var connection = new ConnectionOptions();
        var json = JsonOption();
        var job = JobArgument();
        var every = new Option<string>("--every") { Description = "New schedule interval, e.g. \"6 hours\", \"1 day\" or \"1 month\" (months and years are calendar months)." };
        var maxRuntime = new Option<string>("--max-runtime") { Description = "Stop a run after this long, e.g. \"10 minutes\"; \"0 seconds\" for no limit." };
        var maxRetries = new Option<int?>("--max-retries") { Description = "Retries of a failed run; -1 retries forever." };
        var retryPeriod = new Option<string>("--retry-period") { Description = "Wait before retrying a failed run, e.g. \"5 minutes\"." };
        var timezone = new Option<string>("--timezone") { Description = "IANA time zone a fixed schedule follows, e.g. Europe/Berlin (keeps 03:00 at 03:00 across daylight saving)." };
        var start = new Option<string>("--start") { Description = "The start a fixed schedule counts runs from, ISO 8601 with offset, e.g. 2026-01-01T03:00:00+01:00." };
        var isFixed = new Option<bool>("--fixed") { Description = "Runs start at start + n x interval." };
        var drifting = new Option<bool>("--drifting") { Description = "Each run starts an interval after the previous one ended." };
        var command = new Command("alter", "Change a job's schedule (alter_job): interval (months allowed), limits, retries, fixed or drifting, start and time zone. Options left out stay; the job's time zone is kept.")
        {
            job, every, maxRuntime, maxRetries, retryPeriod, timezone, start, isFixed, drifting, json,
        };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            if (result.GetValue(isFixed) && result.GetValue(drifting))
            {
                throw new CliException("--fixed and --drifting contradict each other: give one.");
            }

            var schedule = new JobSchedule
            {
                ScheduleInterval = Length(result.GetValue(every), "--every"),
                MaxRuntime = Length(result.GetValue(maxRuntime), "--max-runtime"),
                MaxRetries = result.GetValue(maxRetries),
                RetryPeriod = Length(result.GetValue(retryPeriod), "--retry-period"),
                Timezone = result.GetValue(timezone),
                InitialStart = result.GetValue(start) is { } text
                    ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : throw new CliException($"--start '{text}' is not a time: write ISO 8601 with its offset, e.g. 2026-01-01T03:00:00+01:00.")
                    : null,
                FixedSchedule = result.GetValue(isFixed) ? true : result.GetValue(drifting) ? false : null,
            };
            if (schedule.IsEmpty)
            {
                throw new CliException("Nothing to change: give --every, --max-runtime, --max-retries, --retry-period, --timezone, --start, --fixed or --drifting.");
            }

            var selector = Selector(result.GetValue(job)!);
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var after = await db.Timescale().AlterJobAsync(selector, JobChanges.FromSchedule(schedule), cancellationToken);
            if (result.GetValue(json))
            {
                Write(new JobsOutput("alter", false, [Line(after)]));
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"Job {after.Id} ({after.Name}{(after.Relation is null ? "" : $" on {after.Relation}")}) altered: every {after.ScheduleIntervalText}.");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Interval text as a time length (months allowed), or a CLI error naming the option.</summary>
    private static TimescaleInterval? Length(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        if (!TimescaleInterval.TryParse(text, out var interval, out var problem) || interval.IsInteger)
        {
            throw new CliException($"{option} '{text}' is not a time length ({problem ?? "a bare number"}): write it with a unit, e.g. \"6 hours\" or \"1 month\".");
        }

        return interval;
    }

    private static Command Errors()
    {
        var connection = new ConnectionOptions();
        var json = JsonOption();
        var job = JobArgument();
        job.Arity = new ArgumentArity(0, 2);
        var limit = new Option<int>("--limit") { Description = "At most this many errors, newest first.", DefaultValueFactory = _ => 20 };
        var command = new Command("errors", "Show the latest failed runs (timescaledb_information.job_errors, TimescaleDB 2.15+): of one job, or of all.") { job, limit, json };
        connection.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var parts = result.GetValue(job) ?? [];
            JobSelector? selector = parts.Length == 0 ? null : Selector(parts);
            await using var resolved = await connection.ResolveAsync(result, cancellationToken);
            await using var db = await resolved.OpenAsync(cancellationToken);
            var errors = await db.Timescale().GetJobErrorsAsync(selector, result.GetValue(limit), cancellationToken);
            if (result.GetValue(json))
            {
                var lines = errors.Select(e => new JobErrorLine(e.JobId, e.ProcedureName is null ? null : $"{e.ProcedureSchema}.{e.ProcedureName}", InfoQuery.Iso(e.StartedAt), InfoQuery.Iso(e.FinishedAt), e.SqlState, e.Message, e.Description)).ToList();
                Console.Out.WriteLine(Secrets.Redact(JsonSerializer.Serialize(lines, MaintenanceJson.Readable.ListJobErrorLine)));
                return 0;
            }

            if (errors.Count == 0)
            {
                AnsiConsole.MarkupLine("No job errors recorded.");
                return 0;
            }

            var table = new Table().Title("Job errors").Border(TableBorder.Rounded);
            foreach (var column in s_errorColumns)
            {
                table.AddColumn(column);
            }

            foreach (var e in errors)
            {
                table.AddRow(new Text(e.JobId.ToString(CultureInfo.InvariantCulture)), new Text($"{e.ProcedureSchema}.{e.ProcedureName}"),
                    new Text(MaintenanceArguments.When(e.StartedAt)), new Text(e.SqlState ?? "-"), new Text(Secrets.Redact(e.Description)));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static void Write(JobsOutput output) =>
        Console.Out.WriteLine(Secrets.Redact(JsonSerializer.Serialize(output, MaintenanceJson.Readable.JobsOutput)));

    private static JobLine Line(Job j) => new(
        j.Id, j.Name, InfoQuery.KindName(j.Kind), j.Procedure, j.Relation, j.ScheduleIntervalText, j.Scheduled, j.Config,
        InfoQuery.Iso(j.LastRunStartedAt), j.LastRunStatus, j.JobStatus, InfoQuery.Iso(j.NextStart), j.TotalRuns, j.TotalFailures);

    private static void Render(IReadOnlyList<Job> jobs)
    {
        if (jobs.Count == 0)
        {
            AnsiConsole.MarkupLine("No jobs.");
            return;
        }

        var table = new Table().Title("Jobs").Border(TableBorder.Rounded);
        foreach (var column in s_jobColumns)
        {
            table.AddColumn(column);
        }

        foreach (var j in jobs)
        {
            table.AddRow(
                new Text(j.Id.ToString(CultureInfo.InvariantCulture)),
                new Text(InfoQuery.KindName(j.Kind)),
                new Text(j.Name),
                new Text(j.Relation ?? j.Procedure),
                j.Scheduled ? new Text($"every {j.ScheduleIntervalText}") : new Markup("[yellow]paused[/]"),
                new Text(j.LastRunStartedAt is null ? "never" : MaintenanceArguments.When(j.LastRunStartedAt)),
                j.IsFailing ? new Markup("[red]Failed[/]") : new Text(j.LastRunStatus ?? "-"),
                new Text(MaintenanceArguments.When(j.NextStart)),
                new Text(j.TotalRuns.ToString(CultureInfo.InvariantCulture)),
                j.TotalFailures > 0 ? new Markup($"[red]{j.TotalFailures}[/]") : new Text("0"));
        }

        AnsiConsole.Write(table);
    }
}
