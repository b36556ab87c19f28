using System.Text.RegularExpressions;
using Hourglass.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>
/// The real `dotnet ef` tool (pinned in .config/dotnet-tools.json) on tests/Hourglass.Migrations.TestApp, against this
/// class's schema on the embedded TimescaleDB: add, update, no phantom diff, change, update, down to nothing.
/// </summary>
public class DotnetEfToolTests(TimescaleDatabaseFixture fixture, PostgresDatabaseFixture postgres, ITestOutputHelper output)
    : IClassFixture<TimescaleDatabaseFixture>, IClassFixture<PostgresDatabaseFixture>
{
    private static readonly string s_repository = DotnetCli.Repository;
    private static readonly string s_project = Path.Combine(s_repository, "tests", "Hourglass.Migrations.TestApp");
    private static readonly string s_generated = Path.Combine(s_project, "Generated");

    [Fact]
    public async Task Hypertable_changes_round_trip_through_dotnet_ef()
    {
        var db = fixture.Database;
        var environment = new Dictionary<string, string>
        {
            ["HOURGLASS_TESTAPP_CONNECTION"] = db.ConnectionString,
            ["HOURGLASS_TESTAPP_SCHEMA"] = db.Schema,
            ["HOURGLASS_TESTAPP_INTERVAL"] = "1 day",
        };
        DeleteGenerated();
        try
        {
            await DotnetAsync(environment, "tool", "restore");
            // dotnet ef reads the project before it builds it, so a project never restored (outside a solution build) fails.
            await DotnetAsync(environment, "restore", s_project);
            await EfAsync(environment, "migrations", "add", "Initial", "--output-dir", "Generated", "--namespace", "Generated");
            var initial = File.ReadAllText(Directory.GetFiles(s_generated, "*_Initial.cs").Single());
            Assert.Contains("migrationBuilder.CreateHypertable(", initial, StringComparison.Ordinal);
            Assert.DoesNotContain("create_hypertable", initial, StringComparison.Ordinal);

            await EfAsync(environment, "database", "update");
            var dimensions = await DimensionsAsync(db, "conditions");
            Assert.Equal(["time|1 day|", "device_id||4"], dimensions);
            Assert.Equal(["at|12:00:00|"], await DimensionsAsync(db, "ticks"));

            // The same migration on native PostgreSQL 15: Strict refuses before creating the tables, Degrade makes plain tables.
            var plain = new Dictionary<string, string>(environment)
            {
                ["HOURGLASS_TESTAPP_CONNECTION"] = postgres.Database.ConnectionString,
                ["HOURGLASS_TESTAPP_STRICT"] = "1",
            };
            var strict = await DotnetAsync(plain, expectSuccess: false, ["ef", "database", "update", "--no-build", "--project", s_project, "--startup-project", s_project]);
            Assert.Contains("TimescaleDB is not installed in this database", strict, StringComparison.Ordinal);
            Assert.Equal(0, await postgres.Database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename IN ('conditions', 'ticks')"));
            plain["HOURGLASS_TESTAPP_STRICT"] = "0";
            var degraded = await DotnetAsync(plain, expectSuccess: true, ["ef", "database", "update", "--no-build", "--project", s_project, "--startup-project", s_project]);
            Assert.Contains("\"conditions\" (time column \"time\"); the table stays a plain PostgreSQL table.", degraded, StringComparison.Ordinal);
            Assert.Equal(2, await postgres.Database.ScalarAsync<long>($"SELECT count(*) FROM pg_tables WHERE schemaname = '{db.Schema}' AND tablename IN ('conditions', 'ticks')"));

            // No model change: the new migration is empty and the snapshot is unchanged.
            var snapshotPath = Directory.GetFiles(s_generated, "*ModelSnapshot.cs").Single();
            var snapshot = File.ReadAllText(snapshotPath);
            await EfAsync(environment, "migrations", "add", "NoChange", "--no-build", "--output-dir", "Generated", "--namespace", "Generated");
            var noChange = Directory.GetFiles(s_generated, "*_NoChange*.cs");
            Assert.Equal(string.Empty, UpBody(File.ReadAllText(noChange.Single(f => !f.EndsWith(".Designer.cs", StringComparison.Ordinal)))));
            Assert.Equal(snapshot, File.ReadAllText(snapshotPath));
            foreach (var file in noChange)
            {
                File.Delete(file);
            }

            environment["HOURGLASS_TESTAPP_INTERVAL"] = "6 hours";
            await EfAsync(environment, "migrations", "add", "ShorterChunks", "--no-build", "--output-dir", "Generated", "--namespace", "Generated");
            var shorter = File.ReadAllText(Directory.GetFiles(s_generated, "*_ShorterChunks.cs").Single());
            Assert.Contains("migrationBuilder.SetHypertableChunkInterval(", UpBody(shorter), StringComparison.Ordinal);
            Assert.Contains("interval: \"6 hours\"", UpBody(shorter), StringComparison.Ordinal);

            await EfAsync(environment, "database", "update");
            Assert.Equal(["time|06:00:00|", "device_id||4"], await DimensionsAsync(db, "conditions"));

            // Columnstore and policies: typed calls in the migration, settings and jobs in the catalog, removed by Down.
            environment["HOURGLASS_TESTAPP_POLICIES"] = "1";
            await EfAsync(environment, "migrations", "add", "Policies", "--no-build", "--output-dir", "Generated", "--namespace", "Generated");
            var policies = File.ReadAllText(Directory.GetFiles(s_generated, "*_Policies.cs").Single());
            Assert.Contains("migrationBuilder.SetColumnstore(", UpBody(policies), StringComparison.Ordinal);
            Assert.Contains("orderBy: \"time DESC\"", UpBody(policies), StringComparison.Ordinal);
            Assert.Contains("migrationBuilder.AddColumnstorePolicy(", UpBody(policies), StringComparison.Ordinal);
            Assert.Contains("migrationBuilder.AddRetentionPolicy(", UpBody(policies), StringComparison.Ordinal);
            Assert.DoesNotContain("migrationBuilder.Sql(", policies, StringComparison.Ordinal);
            await EfAsync(environment, "database", "update");
            Assert.Equal(["policy_compression", "policy_retention"], await JobsAsync(db, "conditions"));
            Assert.Equal("device_id", await db.ScalarAsync<string>("SELECT segmentby FROM timescaledb_information.hypertable_columnstore_settings WHERE hypertable = 'conditions'::regclass"));

            var policiesSnapshot = File.ReadAllText(snapshotPath);
            Assert.Contains(".HasAnnotation(\"Hourglass:Retention:DropAfter\", \"90 days\")", policiesSnapshot, StringComparison.Ordinal);
            await EfAsync(environment, "migrations", "add", "NoPolicyChange", "--no-build", "--output-dir", "Generated", "--namespace", "Generated");
            var noPolicyChange = Directory.GetFiles(s_generated, "*_NoPolicyChange*.cs");
            Assert.Equal(string.Empty, UpBody(File.ReadAllText(noPolicyChange.Single(f => !f.EndsWith(".Designer.cs", StringComparison.Ordinal)))));
            Assert.Equal(policiesSnapshot, File.ReadAllText(snapshotPath));
            foreach (var file in noPolicyChange)
            {
                File.Delete(file);
            }

            // Job schedules: the same policies with schedules are changed in place (same job ids); a reorder policy is
            // added with its own schedule. Then back: the schedules return to TimescaleDB's defaults.
            var jobIds = await JobIdsAsync(db, "conditions");
            environment["HOURGLASS_TESTAPP_SCHEDULES"] = "1";
            await EfAsync(environment, "migrations", "add", "Schedules", "--no-build", "--output-dir", "Generated", "--namespace", "Generated");
            var schedules = UpBody(File.ReadAllText(Directory.GetFiles(s_generated, "*_Schedules.cs").Single()));
            Assert.Contains("migrationBuilder.AlterPolicySchedule(", schedules, StringComparison.Ordinal);
            Assert.Contains("policy: Hourglass.JobKind.Retention", schedules, StringComparison.Ordinal);
            Assert.Contains("timezone: \"Europe/Berlin\"", schedules, StringComparison.Ordinal);
            Assert.Contains("migrationBuilder.AddReorderPolicy(", schedules, StringComparison.Ordinal);
            Assert.Contains(".WithSchedule(", schedules, StringComparison.Ordinal);
            Assert.DoesNotContain("RemoveRetentionPolicy", schedules, StringComparison.Ordinal);
            await EfAsync(environment, "database", "update");
            var scheduled = await JobIdsAsync(db, "conditions");
            Assert.Equal(jobIds["policy_compression"], scheduled["policy_compression"]);
            Assert.Equal(jobIds["policy_retention"], scheduled["policy_retention"]);
            Assert.Equal(
                "12:00:00|00:10:00|-1|00:02:00|t|2026-01-01 03:00:00+00|Europe/Berlin|t",
                await db.ScalarAsync<string>(JobSettingsSql(scheduled["policy_retention"])));
            Assert.Equal("06:00:00|00:00:00|3|01:00:00|f||-|t", await db.ScalarAsync<string>(JobSettingsSql(scheduled["policy_compression"])));
            Assert.Equal("2 days|00:00:00|-1|00:05:00|f||-|f", await db.ScalarAsync<string>(JobSettingsSql(scheduled["policy_reorder"])));
            await EfAsync(environment, "migrations", "add", "NoScheduleChange", "--no-build", "--output-dir", "Generated", "--namespace", "Generated");
            var noScheduleChange = Directory.GetFiles(s_generated, "*_NoScheduleChange*.cs");
            Assert.Equal(string.Empty, UpBody(File.ReadAllText(noScheduleChange.Single(f => !f.EndsWith(".Designer.cs", StringComparison.Ordinal)))));
            foreach (var file in noScheduleChange)
            {
                File.Delete(file);
            }

            await EfAsync(environment, "database", "update", "Policies", "--no-build");
            Assert.Equal(["policy_compression", "policy_retention"], await JobsAsync(db, "conditions"));
            Assert.Equal("1 day|00:05:00|-1|00:05:00|f||-|t", await db.ScalarAsync<string>(JobSettingsSql((await JobIdsAsync(db, "conditions"))["policy_retention"])));
            // The model stays the one of the last migration (EF refuses to migrate with pending model changes).

            await EfAsync(environment, "database", "update", "ShorterChunks", "--no-build");
            Assert.Empty(await JobsAsync(db, "conditions"));
            Assert.False(await db.ScalarAsync<bool>("SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = 'conditions'"));
            await EfAsync(environment, "database", "update", "--no-build");
            Assert.Equal(["policy_compression", "policy_reorder", "policy_retention"], await JobsAsync(db, "conditions"));
            Assert.Equal(jobIds.Count + 1, (await JobIdsAsync(db, "conditions")).Count);

            var script = Path.Combine(s_generated, "idempotent.sql");
            await EfAsync(environment, "migrations", "script", "--idempotent", "--no-build", "--output", script);
            Assert.Contains("PERFORM create_hypertable(", File.ReadAllText(script), StringComparison.Ordinal);
            Assert.Contains("PERFORM add_retention_policy(", File.ReadAllText(script), StringComparison.Ordinal);
            Assert.Contains("PERFORM alter_job(job_id, ", File.ReadAllText(script), StringComparison.Ordinal);

            await EfAsync(environment, "database", "update", "0", "--no-build");
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema()"));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ('conditions', 'ticks')"));
            Assert.Empty(await JobsAsync(db, "conditions"));

            // The safety switch: turning the columnstore off is refused by `migrations add`, naming the entity, the
            // cost and the allowance; allowed for the context, the migration states the cost above the call. (The
            // Policies migration above already showed that its Down, which turns the new columnstore off, is generated.)
            environment.Remove("HOURGLASS_TESTAPP_SCHEDULES");
            environment.Remove("HOURGLASS_TESTAPP_POLICIES");
            var refusedRewrite = await DotnetAsync(
                environment,
                expectSuccess: false,
                ["ef", "migrations", "add", "NoColumnstore", "--no-build", "--output-dir", "Generated", "--namespace", "Generated", "--project", s_project, "--startup-project", s_project]);
            Assert.Contains($"Data rewrite on entity 'Condition': this migration turns the columnstore of hypertable \"{db.Schema}\".\"conditions\" off", refusedRewrite, StringComparison.Ordinal);
            Assert.Contains("decompresses every chunk", refusedRewrite, StringComparison.Ordinal);
            Assert.Contains("UseTimescale(o => o.AllowDataRewrite())", refusedRewrite, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(s_generated, "*_NoColumnstore*.cs"));
            environment["HOURGLASS_TESTAPP_ALLOW_REWRITE"] = "1";
            await EfAsync(environment, "migrations", "add", "NoColumnstore", "--no-build", "--output-dir", "Generated", "--namespace", "Generated");
            var noColumnstore = UpBody(File.ReadAllText(Directory.GetFiles(s_generated, "*_NoColumnstore.cs").Single()));
            Assert.Contains(
                $"// Data rewrite: turns the columnstore of hypertable \"{db.Schema}\".\"conditions\" off, which converts every columnstore chunk back to rowstore (decompresses every chunk) first; the time it takes grows with the data.",
                noColumnstore,
                StringComparison.Ordinal);
            Assert.True(noColumnstore.IndexOf("// Data rewrite", StringComparison.Ordinal) < noColumnstore.IndexOf("migrationBuilder.DisableColumnstore(", StringComparison.Ordinal));
        }
        finally
        {
            DeleteGenerated();
        }
    }

    /// <summary>
    /// `dotnet ef migrations add` beside other extensions (HOURGLASS_TESTAPP_COMPOSE in the test app): each migration
    /// has the TimescaleDB operations, or the command fails with the error that names the conflict and the fix.
    /// </summary>
    [Fact]
    public async Task Migrations_keep_their_TimescaleDB_operations_beside_other_extensions()
    {
        var environment = new Dictionary<string, string>
        {
            ["HOURGLASS_TESTAPP_CONNECTION"] = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=1",
            ["HOURGLASS_TESTAPP_SCHEMA"] = "composed",
        };
        DeleteGenerated();
        try
        {
            await DotnetAsync(environment, "tool", "restore");
            // dotnet ef reads the project before it builds it, so a project never restored (outside a solution build) fails.
            await DotnetAsync(environment, "restore", s_project);
            var build = "--no-build";
            foreach (var mode in new[] { "differ-before", "differ-after", "spatial", "generator" })
            {
                environment["HOURGLASS_TESTAPP_COMPOSE"] = mode;
                string[] add = ["migrations", "add", "Initial", "--output-dir", "Generated", "--namespace", "Generated"];
                await EfAsync(environment, mode == "differ-before" ? add : [.. add, build]);
                var migration = File.ReadAllText(Directory.GetFiles(s_generated, "*_Initial.cs").Single());
                Assert.Contains("migrationBuilder.CreateTable(", migration, StringComparison.Ordinal);
                Assert.Contains("migrationBuilder.CreateHypertable(", migration, StringComparison.Ordinal);
                if (mode == "spatial")
                {
                    Assert.Contains("location = table.Column<Point>(", migration, StringComparison.Ordinal);
                    Assert.Contains("timeColumn: \"at\"", migration, StringComparison.Ordinal);
                }

                if (mode == "generator")
                {
                    // Scripts need no server; the application's generator and Hourglass's operations both show. (Built, so
                    // the new migration is in the assembly; the round-trip test rebuilds without it.)
                    var scriptPath = Path.Combine(s_generated, "script.sql");
                    await EfAsync(environment, "migrations", "script", "--output", scriptPath);
                    var script = File.ReadAllText(scriptPath);
                    File.Delete(scriptPath);
                    Assert.Contains("-- created by the application's generator", script, StringComparison.Ordinal);
                    Assert.Contains("SELECT create_hypertable(", script, StringComparison.Ordinal);
                }

                DeleteGenerated();
            }

            environment["HOURGLASS_TESTAPP_COMPOSE"] = "generator-all";
            var refused = await DotnetAsync(
                environment,
                expectSuccess: false,
                ["ef", "migrations", "add", "Initial", build, "--output-dir", "Generated", "--namespace", "Generated", "--project", s_project, "--startup-project", s_project]);
            Assert.Contains("ReplaceService<IMigrationsSqlGenerator, NpgsqlMigrationsSqlGenerator, CommentingSqlGenerator>()", refused, StringComparison.Ordinal);
        }
        finally
        {
            DeleteGenerated();
        }
    }

    private static async Task<List<string>> DimensionsAsync(TestDatabase db, string table)
    {
        await using var connection = await db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT column_name || '|' || coalesce(time_interval::text, '') || '|' || coalesce(num_partitions::text, '')
            FROM timescaledb_information.dimensions
            WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'
            ORDER BY dimension_number
            """;
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    private static async Task<Dictionary<string, int>> JobIdsAsync(TestDatabase db, string table)
    {
        await using var connection = await db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT proc_name::text, job_id FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'";
        var result = new Dictionary<string, int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = reader.GetInt32(1);
        }

        return result;
    }

    /// <summary>"interval|max runtime|max retries|retry period|fixed|initial start (UTC)|time zone|scheduled" of a job.</summary>
    private static string JobSettingsSql(int jobId)
        => $"""
            SELECT concat_ws('|', j.schedule_interval, j.max_runtime, j.max_retries, j.retry_period, CASE WHEN j.fixed_schedule THEN 't' ELSE 'f' END,
                   coalesce(to_char(j.initial_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00', ''), coalesce(b.timezone, '-'),
                   CASE WHEN j.scheduled THEN 't' ELSE 'f' END)
            FROM timescaledb_information.jobs j JOIN _timescaledb_config.bgw_job b ON b.id = j.job_id WHERE j.job_id = {jobId}
            """;

    private static async Task<List<string>> JobsAsync(TestDatabase db, string table)
    {
        await using var connection = await db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT proc_name::text FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}' ORDER BY proc_name";
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    private static string UpBody(string migration)
    {
        var match = Regex.Match(migration, @"void Up\(MigrationBuilder migrationBuilder\)\s*\{(?<body>.*?)\n        \}", RegexOptions.Singleline);
        Assert.True(match.Success, "no Up method in:\n" + migration);
        return match.Groups["body"].Value.Trim();
    }

    private Task EfAsync(Dictionary<string, string> environment, params string[] arguments)
        => DotnetAsync(environment, ["ef", .. arguments, "--project", s_project, "--startup-project", s_project]);

    private Task DotnetAsync(Dictionary<string, string> environment, params string[] arguments)
        => DotnetAsync(environment, expectSuccess: true, arguments);

    private Task<string> DotnetAsync(Dictionary<string, string> environment, bool expectSuccess, string[] arguments)
        => DotnetCli.RunAsync(output, environment, expectSuccess, arguments);

    private static void DeleteGenerated()
    {
        if (Directory.Exists(s_generated))
        {
            Directory.Delete(s_generated, recursive: true);
        }
    }
}
