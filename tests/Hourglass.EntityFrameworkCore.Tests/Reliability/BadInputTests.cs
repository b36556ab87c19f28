using System.Globalization;
using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Tests.BulkIngest;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Hourglass.EntityFrameworkCore.Tests.Reliability;

/// <summary>
/// Bad inputs as a user makes them: each must fail with an error that names the fix, and leave the database as it
/// was (its tables, hypertables and rows compared before and after). The errors go into docs/reliability.md verbatim.
/// </summary>
[Collection(ReliabilityTests.Name)]
public sealed class BadInputTests(TimescaleDatabaseFixture timescale, PostgresDatabaseFixture postgres, ITestOutputHelper output)
    : IClassFixture<TimescaleDatabaseFixture>, IClassFixture<PostgresDatabaseFixture>
{
    private const string Existing = "existing_readings";

    /// <summary>One bad input: what the user did, where, and a fragment of the fix the message must name.</summary>
    private sealed record Case(string Category, string Input, string Fix, bool OnPostgres, Func<TestDatabase, Task> Act);

    private static Action<Microsoft.EntityFrameworkCore.ModelBuilder> Keyed<T>(string table, Action<Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<Reading<T>>> configure) => b =>
        b.Entity<Reading<T>>(e =>
        {
            e.ToTable(table);
            e.HasKey(x => new { x.Time, x.DeviceId });
            configure(e);
        });

    /// <summary>The migration path: the model is built, diffed and applied as `dotnet ef database update` would.</summary>
    private static Func<TestDatabase, Task> Migrate(Action<Microsoft.EntityFrameworkCore.ModelBuilder> build, Action<TimescaleDbContextOptionsBuilder>? timescale = null) => async db =>
    {
        await using var context = ModelContext.Create(db.ConnectionString, build, timescale);
        await context.ApplyAsync(context.DiffFrom(null));
    };

    private static Func<TestDatabase, Task> Ingest(Func<IngestContext, Task> act) => async db =>
    {
        await using var context = IngestContext.Create(db.ConnectionString, "bad");
        await act(context);
    };

    private static Func<TestDatabase, Task> Connect(string options) => async db =>
    {
        var connectionString = db.ConnectionString + ";" + options;
        await using var context = ModelContext.Create(connectionString, Keyed<DateTime>("never_created", e => e.IsHypertable(x => x.Time)));
        await context.ApplyAsync(context.DiffFrom(null));
    };

    private static IEnumerable<Case> Cases()
    {
        const string model = "Model validation";
        yield return new(model, "IsHypertable on a nullable DateTime? time column", "make 'Time' non-nullable", false, Migrate(b => b.Entity<Reading<DateTime?>>(e => { e.ToTable("c01"); e.HasNoKey(); e.IsHypertable(x => x.Time); })));
        yield return new(model, "Primary key (DeviceId) without the time column", "HasKey(x => new { x.DeviceId, x.Time })", false, Migrate(b => b.Entity<Reading<DateTime>>(e => { e.ToTable("c02"); e.HasKey(x => x.DeviceId); e.IsHypertable(x => x.Time); })));
        yield return new(model, "Unique index on Value without the time column", "Fix:", false, Migrate(Keyed<DateTime>("c03", e => { e.HasIndex(x => x.Value).IsUnique(); e.IsHypertable(x => x.Time); })));
        yield return new(model, "Time column of type string", "Fix:", false, Migrate(b => b.Entity<Reading<string>>(e => { e.ToTable("c04"); e.HasKey(x => new { x.Time, x.DeviceId }); e.IsHypertable(x => x.Time); })));
        yield return new(model, "PartitionByHash(\"Nope\", 2): no such property", "Fix:", false, Migrate(Keyed<DateTime>("c05", e => e.IsHypertable(x => x.Time).PartitionByHash("Nope", 2))));
        yield return new(model, "PartitionByHash(x => x.DeviceId, 0)", "Fix:", false, Migrate(Keyed<DateTime>("c06", e => e.IsHypertable(x => x.Time).PartitionByHash(x => x.DeviceId, 0))));
        yield return new(model, "Two entity types declare hypertables on one table", "Fix:", false, Migrate(b =>
        {
            Keyed<DateTime>("c07", e => e.IsHypertable(x => x.Time))(b);
            b.Entity<Reading<DateTimeOffset>>(e => { e.ToTable("c07"); e.HasKey(x => new { x.Time, x.DeviceId }); e.IsHypertable(x => x.Recorded); });
        }));
        yield return new(model, "Integer (long) time column with the interval \"1 day\"", "Fix:", false, Migrate(Keyed<long>("c08", e => e.IsHypertable(x => x.Time).WithChunkInterval("1 day"))));

        const string interval = "Interval text";
        yield return new(interval, "WithChunkInterval(\"0 days\")", "Fix:", false, Migrate(Keyed<DateTime>("c09", e => e.IsHypertable(x => x.Time).WithChunkInterval("0 days"))));
        yield return new(interval, "WithChunkInterval(\"-1 hour\")", "Fix:", false, Migrate(Keyed<DateTime>("c10", e => e.IsHypertable(x => x.Time).WithChunkInterval("-1 hour"))));
        yield return new(interval, "WithChunkInterval(TimeSpan.Zero)", "Fix:", false, Migrate(Keyed<DateTime>("c11", e => e.IsHypertable(x => x.Time).WithChunkInterval(TimeSpan.Zero))));
        yield return new(interval, "WithChunkInterval(\"1 fortnight\")", "Fix:", false, Migrate(Keyed<DateTime>("c12", e => e.IsHypertable(x => x.Time).WithChunkInterval("1 fortnight"))));
        yield return new(interval, "WithChunkInterval(\"1 day'; DROP TABLE existing_readings; --\")", "Fix:", false, Migrate(Keyed<DateTime>("c13", e => e.IsHypertable(x => x.Time).WithChunkInterval("1 day'; DROP TABLE existing_readings; --"))));
        yield return new(interval, "WithChunkInterval(\"1 day; 2 days\")", "Fix:", false, Migrate(Keyed<DateTime>("c14", e => e.IsHypertable(x => x.Time).WithChunkInterval("1 day; 2 days"))));
        yield return new(interval, "WithChunkInterval(\"１ day\") (a full-width digit)", "Fix:", false, Migrate(Keyed<DateTime>("c15", e => e.IsHypertable(x => x.Time).WithChunkInterval("１ day"))));
        yield return new(interval, "WithChunkInterval(\"\")", "Fix:", false, Migrate(Keyed<DateTime>("c16", e => e.IsHypertable(x => x.Time).WithChunkInterval(""))));
        yield return new(interval, "WithRetentionPolicy(\"-7 days\")", "Fix:", false, Migrate(Keyed<DateTime>("c17", e => e.IsHypertable(x => x.Time).WithRetentionPolicy("-7 days"))));
        yield return new(interval, "WithColumnstorePolicy(\"soon\")", "Fix:", false, Migrate(Keyed<DateTime>("c18", e => e.IsHypertable(x => x.Time).WithColumnstore().WithColumnstorePolicy("soon"))));

        const string identifiers = "Identifiers";
        yield return new(identifiers, "HasJob(\"refresh\\\"; DROP TABLE existing_readings; --\", 1 hour)", "Fix:", false, Migrate(b => b.HasJob("refresh\"; DROP TABLE existing_readings; --", TimeSpan.FromHours(1))));
        yield return new(identifiers, "HasJob(\"refresh_scores; select 1\", 1 hour)", "Fix:", false, Migrate(b => b.HasJob("refresh_scores; select 1", TimeSpan.FromHours(1))));
        yield return new(identifiers, "HasJob(\"rafraîchir\", 1 hour) (Unicode)", "Fix:", false, Migrate(b => b.HasJob("rafraîchir", TimeSpan.FromHours(1))));
        yield return new(identifiers, "HasJob(\"Refresh\", 1 hour) (upper case, folded by PostgreSQL)", "Fix:", false, Migrate(b => b.HasJob("Refresh", TimeSpan.FromHours(1))));
        yield return new(identifiers, "HasJob(\"a.b.c\", 1 hour)", "Fix:", false, Migrate(b => b.HasJob("a.b.c", TimeSpan.FromHours(1))));
        yield return new(identifiers, "HasJob(\"refresh_scores\", TimeSpan.Zero)", "Fix:", false, Migrate(b => b.HasJob("refresh_scores", TimeSpan.Zero)));
        yield return new(identifiers, "WithColumnstore(c => c.SegmentBy(\"device\\\"id\")) (a quote; no such property)", "Fix:", false, Migrate(Keyed<DateTime>("c25", e => e.IsHypertable(x => x.Time).WithColumnstore(c => c.SegmentBy("device\"id")))));
        yield return new(identifiers, "WithColumnstore(c => c.OrderBy(\"Time DESC; DROP TABLE x\"))", "Fix:", false, Migrate(Keyed<DateTime>("c26", e => e.IsHypertable(x => x.Time).WithColumnstore(c => c.OrderBy("Time DESC; DROP TABLE x")))));
        yield return new(identifiers, "WithColumnstore(c => c.OrderBy(\"Zeit DESC\")) (no such property)", "Fix:", false, Migrate(Keyed<DateTime>("c27", e => e.IsHypertable(x => x.Time).WithColumnstore(c => c.OrderBy("Zeit DESC")))));
        yield return new(identifiers, "WithReorderPolicy(\"ix_missing\") (no such index in the model)", "Fix:", false, Migrate(Keyed<DateTime>("c28", e => e.IsHypertable(x => x.Time).WithReorderPolicy("ix_missing"))));

        const string ingest = "Bulk ingest";
        yield return new(ingest, "BulkInsertAsync of a type that is not in the model", "DbSet<NotMapped>", false, Ingest(c => c.BulkInsertAsync(new[] { new NotMapped() })));
        yield return new(ingest, "BulkInsertAsync with null in a required column (row 2)", "Give Unit a value", false, Ingest(c => c.BulkInsertAsync(Rows.Metrics(5).Select((m, i) => { m.Unit = i == 2 ? null! : m.Unit; return m; }))));
        yield return new(ingest, "BulkInsertAsync with a null row (row 3)", "Remove null rows", false, Ingest(c => c.BulkInsertAsync(Rows.Metrics(5).Select((m, i) => i == 3 ? null! : m))));
        yield return new(ingest, "BulkInsertAsync of two rows with the same primary key", "Fix the row", false, Ingest(c => c.BulkInsertAsync(Rows.Metrics(3).Concat(Rows.Metrics(1)))));
        yield return new(ingest, "BulkInsertAsync of a device id longer than varchar(100)", "Fix the row", false, Ingest(c => c.BulkInsertAsync(Rows.Metrics(3).Select((m, i) => { m.DeviceId = i == 1 ? new string('x', 101) : m.DeviceId; return m; }))));
        yield return new(ingest, "BulkInsertAsync of invalid JSON into a jsonb column", "Fix the row", false, Ingest(c => c.BulkInsertAsync(Rows.Metrics(3).Select((m, i) => { m.Tags = i == 2 ? "{not json" : m.Tags; return m; }))));
        yield return new(ingest, "BulkUpsertAsync of a keyless entity type", "HasKey(...)", false, Ingest(c => c.BulkUpsertAsync(new[] { new KeylessReading() })));
        yield return new(ingest, "BulkUpsertAsync On(o => new { o.SeriesCode, o.Value }) (not unique)", "IsUnique()", false, Ingest(c => c.BulkUpsertAsync(new[] { new Observation() }, x => x.On(o => new { o.SeriesCode, o.Value }))));
        yield return new(ingest, "BulkUpsertAsync OnIndex(\"uq_missing\")", "HasDatabaseName(\"uq_missing\")", false, Ingest(c => c.BulkUpsertAsync(new[] { new Observation() }, x => x.OnIndex("uq_missing"))));
        yield return new(ingest, "BulkUpsertAsync DoUpdate of a conflict-target column", "Name only properties outside the key", false, Ingest(c => c.BulkUpsertAsync(new[] { new Observation() }, x => x.On(o => new { o.SeriesCode, o.Time }).DoUpdate(o => o.SeriesCode))));
        yield return new(ingest, "BulkInsertAsync with CommitEvery = 0", "must be positive", false, Ingest(c => c.BulkInsertAsync(Rows.Metrics(3), new BulkInsertOptions { CommitEvery = 0 })));

        const string server = "Server";
        yield return new(server, "A hypertable with TimescaleMissingBehavior.Strict on PostgreSQL without TimescaleDB", "CREATE EXTENSION timescaledb", true, Migrate(Keyed<DateTime>("c40", e => e.IsHypertable(x => x.Time)), t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict)));
        yield return new(server, "time_bucket in a query on a database without the timescaledb extension", "CREATE EXTENSION timescaledb", true, async db =>
        {
            await using var context = ModelContext.Create(db.ConnectionString, _ => { });
            await context.Database.SqlQueryRaw<DateTime>("SELECT time_bucket(INTERVAL '1 hour', now()) AS \"Value\"").ToListAsync();
        });
        yield return new(server, "New columnstore settings on a hypertable with compressed chunks, for a server before 2.14 (TargetVersion(2.13))", "decompress_chunk", false, Migrate(
            b => b.Entity<Reading<DateTime>>(e =>
            {
                e.ToTable(Existing);
                e.HasKey(x => new { x.Time, x.DeviceId });
                e.IsHypertable(x => x.Time).WithColumnstore(c => c.SegmentBy("DeviceId").OrderBy("Time DESC"));
            }),
            t => t.TargetVersion(new Version(2, 13))).AlterColumnstoreOfExisting());

        const string connection = "Connection string";
        yield return new(connection, "Unknown option \"Hots=localhost\"", "did you mean 'Host'?", false, Connect("Hots=localhost"));
        yield return new(connection, "\"Port=fivefourthreetwo\"", "Fix: give Port a port number", false, Connect("Port=fivefourthreetwo"));
        yield return new(connection, "\"SSL Mode=Sometimes\"", "Fix: give SSL Mode one of Disable", false, Connect("SSL Mode=Sometimes"));
        yield return new(connection, "\"Timeout=-5\"", "Fix: give Timeout a whole number of seconds", false, Connect("Timeout=-5"));
        yield return new(connection, "\"Host=localhost;Port\" (a key without a value)", "key=value pairs", false, Connect("Port"));
        yield return new(connection, "\"Include Error Detail=maybe\"", "Fix: give Include Error Detail true or false", false, Connect("Include Error Detail=maybe"));
        yield return new(connection, "\"Command Timeout=soon\"", "Fix: give Command Timeout a whole number of seconds", false, Connect("Command Timeout=soon"));
    }

    [Fact]
    public async Task Every_bad_input_fails_with_the_fix_named_and_the_database_unchanged()
    {
        await SeedAsync(timescale.Database);
        var rows = new List<string[]>();
        var failures = new List<string>();
        var number = 0;
        foreach (var badInput in Cases())
        {
            number++;
            var database = badInput.OnPostgres ? postgres.Database : timescale.Database;
            var before = await SnapshotAsync(database);
            Exception? error = null;
            try
            {
                await badInput.Act(database);
            }
            catch (Exception ex)
            {
                error = ex;
            }

            var after = await SnapshotAsync(database);
            var message = error is null ? "(no error)" : Describe(error);
            output.WriteLine($"{number}. {badInput.Input}\n   {message}");
            if (error is null)
            {
                failures.Add($"{number}. {badInput.Input}: no error");
            }
            else if (!message.Contains(badInput.Fix, StringComparison.Ordinal))
            {
                failures.Add($"{number}. {badInput.Input}: the message does not name the fix ('{badInput.Fix}'): {message}");
            }

            if (before != after)
            {
                failures.Add($"{number}. {badInput.Input}: the database changed:\n{before}\n->\n{after}");
            }

            rows.Add([number.ToString(CultureInfo.InvariantCulture), badInput.Category, badInput.Input, message, before == after ? "yes" : "**no**"]);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(number >= 40, $"only {number} bad inputs");
        var section = $"{number} bad inputs, each run against a real database (the TimescaleDB of the test run; PostgreSQL 15 where the input is a missing extension). " +
            "\"Unchanged\" compares the schema's tables, hypertables, columnstore settings and the rows of two seeded hypertables before and after. " +
            "Chunk constraint names are shown as N_..., as their catalog ids differ between servers and runs.\n\n" +
            ReliabilityDoc.Table(["#", "Kind", "Input", "Error the user sees", "Unchanged"], rows);
        await ReliabilityDoc.MatchesAsync("bad-inputs", section);
    }

    /// <summary>What a user reads: the exception's type and message, and for a server error its hint.</summary>
    private static string Describe(Exception error)
    {
        var text = $"{error.GetType().Name}: {error.Message}";
        // Chunk constraint names carry the hypertable's and chunk's catalog ids, which differ between servers and runs.
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\b[0-9]+_(?:[0-9]+_)?(?=[A-Za-z])", "N_");
        if (error is PostgresException { Hint: { Length: > 0 } hint })
        {
            text += $" HINT: {hint}";
        }

        return text;
    }

    private static async Task SeedAsync(TestDatabase database)
    {
        await database.ExecuteAsync($"""
            CREATE TABLE IF NOT EXISTS {Existing} ("Time" timestamptz NOT NULL, "DeviceId" int NOT NULL, "Other" int, "Recorded" timestamptz NOT NULL, "Value" double precision NOT NULL, PRIMARY KEY ("Time", "DeviceId"));
            SELECT create_hypertable('{Existing}', by_range('Time', INTERVAL '1 day'), if_not_exists => TRUE);
            INSERT INTO {Existing} SELECT t, d, NULL, t, d FROM generate_series(timestamptz '2025-01-01', timestamptz '2025-01-03', INTERVAL '1 hour') t, generate_series(1, 3) d ON CONFLICT DO NOTHING;
            ALTER TABLE {Existing} SET (timescaledb.compress, timescaledb.compress_segmentby = '"Other"');
            SELECT compress_chunk(c, if_not_compressed => TRUE) FROM show_chunks('{Existing}') c;
            """);
        if (await database.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'metrics_bad'") == 0)
        {
            await using var ingest = IngestContext.Create(database.ConnectionString, "bad");
            await ingest.CreateTablesAsync(hypertables: true);
            await ingest.BulkInsertAsync(Rows.Metrics(100));
        }
    }

    /// <summary>The class's schema: its relations, its hypertables and the seeded rows.</summary>
    private static async Task<string> SnapshotAsync(TestDatabase database)
    {
        await using var connection = await database.OpenAsync();
        var hasTimescale = await ScalarAsync(connection, "SELECT count(*)::text FROM pg_extension WHERE extname = 'timescaledb'") != "0";
        var relations = await ScalarAsync(connection, """
            SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text, ', ' ORDER BY c.relname), '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()
            """);
        var hypertables = hasTimescale
            ? await ScalarAsync(connection, "SELECT coalesce(string_agg(hypertable_name || ' compression=' || compression_enabled, ', ' ORDER BY hypertable_name), '') FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema()")
            : "";
        var seeded = hasTimescale && await ScalarAsync(connection, $"SELECT count(*)::text FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{Existing}'") == "1"
            ? await ScalarAsync(connection, $"SELECT count(*) || ' rows, sum ' || sum(\"Value\") FROM {Existing}") + "; metrics: " +
              await ScalarAsync(connection, "SELECT count(*) || ' rows, sum ' || sum(value) FROM metrics_bad")
            : "";
        var settings = hasTimescale
            ? await ScalarAsync(connection, $"SELECT coalesce(string_agg(attname || '=' || coalesce(segmentby_column_index::text, '') || '/' || coalesce(orderby_column_index::text, ''), ', ' ORDER BY attname), '') FROM timescaledb_information.compression_settings WHERE hypertable_schema = current_schema() AND hypertable_name = '{Existing}'")
            : "";
        return $"relations: {relations}\nhypertables: {hypertables}\nseeded: {seeded}\ncolumnstore settings: {settings}";
    }

    private static async Task<string> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString() ?? "";
    }
}

internal static class BadInputActions
{
    /// <summary>
    /// For the "server too old" case: the existing hypertable already has a columnstore (segmentby "Other"); the
    /// model asks for other settings, so the migration alters them, which TimescaleDB before 2.14 refuses while chunks
    /// are compressed. The diff is from a model with the old settings, as a second migration would be.
    /// </summary>
    public static Func<TestDatabase, Task> AlterColumnstoreOfExisting(this Func<TestDatabase, Task> _) => async db =>
    {
        await using var from = ModelContext.Create(db.ConnectionString, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("existing_readings");
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithColumnstore(c => c.SegmentBy("Other"));
        }));
        await using var to = ModelContext.Create(db.ConnectionString, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("existing_readings");
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithColumnstore(c => c.SegmentBy("DeviceId").OrderBy("Time DESC"));
        }), t => t.TargetVersion(new Version(2, 13)));
        await to.ApplyAsync(to.DiffFrom(from));
    };
}

[CollectionDefinition(Name)]
public sealed class ReliabilityTests
{
    public const string Name = "Reliability: measured into docs/reliability.md";
}
