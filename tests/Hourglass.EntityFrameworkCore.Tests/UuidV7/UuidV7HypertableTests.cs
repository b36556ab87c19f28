using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

#pragma warning disable EF1001 // EF's design-time services, as `dotnet ef` runs them

namespace Hourglass.EntityFrameworkCore.Tests.UuidV7;

/// <summary>An event keyed by a UUIDv7 (<c>Guid.CreateVersion7()</c>), with no time column of its own.</summary>
public class UuidEvent
{
    public Guid Id { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }
}

/// <summary>The same event declared with the attribute.</summary>
[Hypertable(nameof(Id), ChunkInterval = "1 day")]
public class AttributedUuidEvent
{
    public Guid Id { get; set; }

    public double Value { get; set; }
}

/// <summary>
/// Hypertables partitioned by a UUIDv7 key (TimescaleDB 2.22+): migrated, changed in place, undone, scaffolded back; .NET's
/// <c>Guid.CreateVersion7()</c> read by the server as the same time; bulk insert and upsert; columnstore and retention
/// policies; chunk exclusion by <c>to_uuidv7_boundary</c>; the version gate.
/// </summary>
public class UuidV7HypertableTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody";

    private TestDatabase Db => fixture.Database;

    private static Action<ModelBuilder> Events(string table, Action<HypertableBuilder<UuidEvent>> hypertable, string? schema = null)
        => b =>
        {
            if (schema is not null)
            {
                b.HasDefaultSchema(schema);
            }

            b.Entity<UuidEvent>(e =>
            {
                e.ToTable(table);
                e.HasKey(x => x.Id);
                hypertable(e.IsHypertable(x => x.Id));
            });
        };

    private ModelContext Context(string table, Action<HypertableBuilder<UuidEvent>> hypertable, Action<TimescaleDbContextOptionsBuilder>? timescale = null, ILoggerFactory? logs = null)
        => ModelContext.Create(Db.ConnectionString, Events(table, hypertable, Db.Schema), timescale, loggerFactory: logs);

    private Task<string> DimensionAsync(string table)
        => Db.ScalarAsync<string>($"""
            SELECT coalesce(string_agg(concat_ws(' ', column_name, column_type, dimension_type,
                -- 2.22 and 2.23 show a uuid dimension's interval in microseconds (integer_interval), later ones as time_interval
                coalesce(time_interval, justify_hours(integer_interval * interval '1 microsecond'))), '; ' ORDER BY dimension_number), 'none')
            FROM timescaledb_information.dimensions WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'
            """);

    /// <summary>Events every hour for the last <paramref name="days"/> days, at whole milliseconds, keyed by <c>Guid.CreateVersion7(time)</c>.</summary>
    private static List<(UuidEvent Event, DateTimeOffset Time)> HourlyEvents(int days, int offsetMinutes = 0)
    {
        var now = DateTimeOffset.UtcNow;
        var end = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        return Enumerable.Range(0, days * 24)
            .Select(i => end.AddHours(-i).AddMinutes(-offsetMinutes).AddMilliseconds(-i * 7))
            .Select((time, i) => (new UuidEvent { Id = Guid.CreateVersion7(time), DeviceId = i % 3, Value = i }, time))
            .ToList();
    }

    [Fact]
    public async Task A_uuid_hypertable_round_trips_model_migration_catalog_alter_down_and_scaffold()
    {
        const string table = "uuid_events";
        await using var v1 = Context(table, h => h.WithChunkInterval(TimeSpan.FromDays(1)));
        await using var v2 = Context(table, h => h.WithChunkInterval("2 days"));

        var create = v1.DiffFrom(null);
        var operation = Assert.Single(create.OfType<CreateHypertableOperation>());
        Assert.True(operation.UuidV7);
        Assert.Equal(("Id", "1 day"), (operation.TimeColumn, operation.ChunkInterval));
        Assert.Contains("create_hypertable('", v1.Sql(create), StringComparison.Ordinal);
        Assert.Contains("by_range('Id', INTERVAL '1 day')", v1.Sql(create), StringComparison.Ordinal);
        await v1.ApplyAsync(create);
        Assert.Equal("Id uuid Time 1 day", await DimensionAsync(table));
        Assert.Empty(v1.DiffFrom(v1));

        // Interval change in place: set_partitioning_interval on the uuid dimension; Down restores it.
        var change = v2.DiffFrom(v1);
        Assert.Equal("2 days", Assert.Single(change.OfType<SetHypertableChunkIntervalOperation>()).Interval);
        Assert.Single(change);
        Assert.Contains("set_partitioning_interval(", v2.Sql(change), StringComparison.Ordinal);
        await v2.ApplyAsync(change);
        Assert.Equal("Id uuid Time 2 days", await DimensionAsync(table));
        await v1.ApplyAsync(v1.DiffFrom(v2));
        Assert.Equal("Id uuid Time 1 day", await DimensionAsync(table));

        // Scaffolded back from the catalog as IsHypertable("Id").WithChunkInterval("1 day"); that model diffs empty.
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(v1), Db.ConnectionString, Db.Schema);
        Assert.Contains(".IsHypertable(\"Id\")", scaffolded.ContextFile.Code, StringComparison.Ordinal);
        Assert.Contains(".WithChunkInterval(\"1 day\")", scaffolded.ContextFile.Code, StringComparison.Ordinal);
        await using var compiled = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var differences = v1.GetService<IMigrationsModelDiffer>()
            .GetDifferences(v1.DesignModel.GetRelationalModel(), compiled.GetService<IDesignTimeModel>().Model.GetRelationalModel())
            .Where(o => o is TimescaleMigrationOperation t && t.Table == table);
        Assert.Empty(differences);

        // Down to nothing: the table and its chunks are gone.
        await using (var none = ModelContext.Create(Db.ConnectionString, b => b.HasDefaultSchema(Db.Schema)))
        {
            await none.ApplyAsync(none.DiffFrom(v1));
        }

        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'"));
    }

    [Fact]
    public async Task A_uuid_key_can_be_a_second_range_dimension_of_a_time_hypertable()
    {
        const string table = "uuid_second_dimension";
        await using var context = ModelContext.Create(Db.ConnectionString, b => b.HasDefaultSchema(Db.Schema).Entity<Reading<DateTime>>(e =>
        {
            e.ToTable(table);
            e.Property<Guid>("EventId");
            e.HasKey("Time", "EventId");
            e.IsHypertable(x => x.Time).WithChunkInterval("7 days").PartitionByRange("EventId", "1 day");
        }));
        var create = context.DiffFrom(null);
        var dimension = Assert.Single(create.OfType<AddHypertableDimensionOperation>());
        Assert.Equal(("EventId", "1 day", true), (dimension.Column, dimension.Interval, dimension.UuidV7));
        Assert.False(Assert.Single(create.OfType<CreateHypertableOperation>()).UuidV7);
        await context.ApplyAsync(create);
        Assert.Equal("Time timestamp with time zone Time 7 days; EventId uuid Time 1 day", await DimensionAsync(table));
        Assert.Empty(context.DiffFrom(context));
    }

    [Fact]
    public void Migration_files_say_uuidV7_and_a_number_as_interval_is_refused()
    {
        using var context = ModelContext.Create(NoServer, Events("events", h => h.WithChunkInterval(TimeSpan.FromDays(1))));
        var migration = DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        Assert.Contains(
            """
                        migrationBuilder.CreateHypertable(
                            name: "events",
                            timeColumn: "Id",
                            chunkInterval: "1 day",
                            uuidV7: true);
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);

        using var integer = ModelContext.Create(NoServer, Events("events", h => h.WithChunkInterval(86_400_000)));
        var error = Assert.Throws<InvalidOperationException>(() => integer.Model).Message;
        Assert.Contains("Hypertable on entity", error, StringComparison.Ordinal);
        Assert.Contains("property 'Id'", error, StringComparison.Ordinal);
        Assert.Contains("UUIDv7", error, StringComparison.Ordinal);
        Assert.Contains("TimeSpan.FromDays(1)", error, StringComparison.Ordinal);

        // The attribute declares the same hypertable.
        using var attributed = ModelContext.Create(NoServer, b => b.Entity<AttributedUuidEvent>().ToTable("attributed"));
        var created = Assert.Single(attributed.DiffFrom(null).OfType<CreateHypertableOperation>());
        Assert.True(created.UuidV7);
        Assert.Equal("1 day", created.ChunkInterval);
    }

    [Fact]
    public async Task Before_2_22_Strict_refuses_and_Degrade_keeps_a_plain_table_with_warnings_naming_2_22()
    {
        const string table = "uuid_old_server";
        Action<HypertableBuilder<UuidEvent>> model = h => h.WithChunkInterval(TimeSpan.FromDays(1))
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId))
            .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(30));

        await using (var strict = Context(table, model, t => t.TargetVersion(new Version(2, 21)).WhenTimescaleMissing(TimescaleMissingBehavior.Strict)))
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => strict.ApplyAsync(strict.DiffFrom(null)));
            Assert.Contains("2.22", error.Message, StringComparison.Ordinal);
            Assert.Contains("UUIDv7", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relname = '{table}' AND relnamespace = current_schema()::regnamespace"));
        }

        var logs = new CollectingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var degrade = Context(table, model, t => t.TargetVersion(new Version(2, 21)), factory);
        await degrade.ApplyAsync(degrade.DiffFrom(null));
        var skipped = logs.Events.Where(e => e.Id == TimescaleEventId.FeatureSkipped).Select(e => e.Message).ToList();
        Assert.Contains(skipped, m => m.Contains("hypertable", StringComparison.Ordinal) && m.Contains("UUIDv7", StringComparison.Ordinal) && m.Contains("2.22", StringComparison.Ordinal));
        Assert.Contains(skipped, m => m.Contains("retention", StringComparison.OrdinalIgnoreCase) && m.Contains("2.22", StringComparison.Ordinal));
        Assert.Equal(1, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relname = '{table}' AND relnamespace = current_schema()::regnamespace"));
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'"));
        Assert.Equal(0, await JobCountAsync(Db, table));
    }

    [Fact]
    public async Task Dotnet_CreateVersion7_keys_are_read_by_the_server_as_the_same_time_and_bulk_ingest_fills_the_chunks()
    {
        const string table = "uuid_ingest";
        await using var context = Context(table, h => h.WithChunkInterval(TimeSpan.FromDays(1)));
        await context.ApplyAsync(context.DiffFrom(null));
        var rows = HourlyEvents(days: 5);
        Assert.Equal(rows.Count, await context.BulkInsertAsync(rows.Select(r => r.Event)));

        // Byte order: the server's text form is .NET's, its version 7 and its timestamp the one .NET encoded.
        var onServer = await Db.ColumnAsync<string>($"""SELECT "Id"::text || ' ' || uuid_version("Id") || ' ' || (extract(epoch from uuid_timestamp("Id")) * 1000)::bigint FROM "{table}" """);
        var expected = rows.Select(r => $"{r.Event.Id} 7 {r.Time.ToUnixTimeMilliseconds()}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, onServer.Order(StringComparer.Ordinal).ToList());
        var days = rows.Select(r => r.Time.UtcDateTime.Date).Distinct().Count();
        Assert.Equal(days, await ChunksAsync(Db, table));

        // Read back through EF: the same Guids, and the same times through EF.Functions.UuidTimestamp.
        var read = await context.Set<UuidEvent>().Select(e => new { e.Id, Time = EF.Functions.UuidTimestamp(e.Id), Version = EF.Functions.UuidVersion(e.Id) }).ToListAsync();
        var times = rows.ToDictionary(r => r.Event.Id, r => r.Time.UtcDateTime);
        Assert.Equal(rows.Count, read.Count);
        Assert.All(read, r => Assert.Equal((times[r.Id], DateTimeKind.Utc, 7), (r.Time, r.Time.Kind, r.Version)));

        // Upsert: half of the rows again with new values, and as many new ones; a Guid that is not version 7 is refused by the server.
        var again = rows.Take(rows.Count / 2).Select(r => new UuidEvent { Id = r.Event.Id, DeviceId = r.Event.DeviceId, Value = -1 }).ToList();
        var added = HourlyEvents(days: 5, offsetMinutes: 30).Take(again.Count).Select(r => r.Event).ToList();
        var result = await context.BulkUpsertAsync(again.Concat(added), c => c.OnPrimaryKey().DoUpdate(x => x.Value));
        Assert.Equal((added.Count, again.Count, 0L), (result.Inserted, result.Updated, result.Skipped));
        Assert.Equal(rows.Count + added.Count, await Db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""));
        Assert.Equal(again.Count, await Db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\" WHERE \"Value\" = -1"));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => context.BulkInsertAsync([new UuidEvent { Id = Guid.NewGuid() }]));
        Assert.Contains("version 7", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Linq_time_buckets_and_boundary_filters_work_on_the_key_and_exclude_chunks()
    {
        const string table = "uuid_query";
        await using var context = Context(table, h => h.WithChunkInterval(TimeSpan.FromDays(1)));
        await context.ApplyAsync(context.DiffFrom(null));
        var rows = HourlyEvents(days: 6);
        await context.BulkInsertAsync(rows.Select(r => r.Event));

        // GroupBy a time bucket of the key's timestamp, as C# computes it.
        var perDay = await context.Set<UuidEvent>()
            .GroupBy(e => EF.Functions.TimeBucket(TimeSpan.FromDays(1), EF.Functions.UuidTimestamp(e.Id)))
            .Select(g => new { Day = g.Key, Count = g.Count(), Sum = g.Sum(e => e.Value) })
            .OrderBy(g => g.Day)
            .ToListAsync();
        var since = DateTime.UtcNow.Date.AddDays(-2);
        var hourly = context.Set<UuidEvent>()
            .Where(e => e.Id >= EF.Functions.ToUuidV7Boundary(since))
            .GroupBy(e => EF.Functions.TimeBucket(TimeSpan.FromHours(1), EF.Functions.UuidTimestamp(e.Id)))
            .Select(g => new { Hour = g.Key, Count = g.Count(), Avg = g.Average(e => e.Value) });
        var hourlySql = hourly.ToQueryString();
        Assert.True(hourlySql.Contains("time_bucket(", StringComparison.Ordinal) && hourlySql.Contains("uuid_timestamp(u.\"Id\")", StringComparison.Ordinal) && hourlySql.Contains("\"Id\" >= to_uuidv7_boundary(@", StringComparison.Ordinal), hourlySql);
        Assert.Equal(rows.Count(r => r.Time.UtcDateTime >= since), (await hourly.ToListAsync()).Sum(h => h.Count));
        var expected = rows.GroupBy(r => r.Time.UtcDateTime.Date).OrderBy(g => g.Key).Select(g => (g.Key, g.Count(), g.Sum(r => r.Event.Value))).ToList();
        Assert.Equal(expected, perDay.Select(g => (g.Day, g.Count, g.Sum)).ToList());

        // Where on the key against a boundary UUID: the rows since then, and the older chunks excluded from the plan.
        var recent = await context.Set<UuidEvent>().Where(e => e.Id >= EF.Functions.ToUuidV7Boundary(since)).Select(e => e.Id).ToListAsync();
        Assert.Equal(rows.Where(r => r.Time.UtcDateTime >= since).Select(r => r.Event.Id).Order().ToList(), recent.Order().ToList());
        var byTimestamp = await context.Set<UuidEvent>().CountAsync(e => EF.Functions.UuidTimestamp(e.Id) >= since);
        Assert.Equal(recent.Count, byTimestamp);

        var sql = context.Set<UuidEvent>().Where(e => e.Id >= EF.Functions.ToUuidV7Boundary(since)).ToQueryString();
        Assert.Contains("\"Id\" >= to_uuidv7_boundary(@", sql, StringComparison.Ordinal);
        var plan = await Db.ScalarAsync<string>($"""
            CREATE OR REPLACE FUNCTION pg_temp.explain_text(q text) RETURNS text LANGUAGE plpgsql AS $f$
            DECLARE r text; result text := '';
            BEGIN FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP result := result || r || E'\n'; END LOOP; RETURN result; END $f$;
            SELECT pg_temp.explain_text('SELECT count(*) FROM "{table}" WHERE "Id" >= to_uuidv7_boundary(''{since:yyyy-MM-dd}T00:00:00Z''::timestamptz)');
            """);
        var chunks = await ChunksAsync(Db, table);
        var scanned = plan.Split("_hyper_", StringSplitOptions.None).Length - 1;
        Assert.True(chunks >= 6 && scanned is > 0 and <= 3, $"{scanned} of {chunks} chunks scanned:\n{plan}");
    }

    [Fact]
    public async Task Columnstore_and_retention_policies_convert_and_drop_uuid_chunks_by_the_key_time()
    {
        const string table = "uuid_policies";
        Action<HypertableBuilder<UuidEvent>> model = h => h.WithChunkInterval(TimeSpan.FromDays(1))
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy(x => x.Id, descending: true))
            .WithColumnstorePolicy(after: TimeSpan.FromDays(3))
            .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(6));
        var version = Version.Parse((await Db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).Split('-')[0]);
        if (version < UuidPartitioning.PoliciesSince)
        {
            // Before 2.25 TimescaleDB refuses the retention policy on a uuid dimension and fails every columnstore policy run.
            await using (var strict = Context(table, model, t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict)))
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => strict.ApplyAsync(strict.DiffFrom(null)));
                Assert.Contains("2.25", error.Message, StringComparison.Ordinal);
                Assert.Contains("UUIDv7", error.Message, StringComparison.Ordinal);
            }

            var logs = new CollectingLoggerProvider();
            using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
            await using var degrade = Context(table, model, logs: factory);
            await degrade.ApplyAsync(degrade.DiffFrom(null));
            var skipped = logs.Events.Where(e => e.Id == TimescaleEventId.FeatureSkipped).Select(e => e.Message).ToList();
            Assert.Equal(2, skipped.Count(m => m.Contains("UUIDv7", StringComparison.Ordinal) && m.Contains("2.25", StringComparison.Ordinal)));
            Assert.Equal(0, await JobCountAsync(Db, table));
            Assert.Equal("DeviceId|\"Id\" DESC", await ColumnstoreSettingsAsync(Db, table));
            return;
        }

        await using var context = Context(table, model);
        await context.ApplyAsync(context.DiffFrom(null));
        Assert.Contains("\"compress_after\": \"3 days\"", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
        Assert.Contains("\"drop_after\": \"6 days\"", await JobConfigAsync(Db, table, "policy_retention"), StringComparison.Ordinal);
        // A native scheduler runs new policies at once: paused, so the rows below are converted and dropped by the runs here.
        await PauseJobAsync(Db, table, "policy_retention");
        await PauseJobAsync(Db, table, "policy_compression");
        await context.BulkInsertAsync(HourlyEvents(days: 10).Select(r => r.Event));

        await RunJobAsync(Db, table, "policy_compression");
        var notConverted = await Db.ScalarAsync<long>($"""
            SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'
              AND range_end < now() - interval '3 days' AND NOT is_compressed
            """);
        Assert.Equal(0, notConverted);
        var compressed = await CompressedChunksAsync(Db, table);
        Assert.True(compressed >= 6, $"{compressed} chunks converted");

        await RunJobAsync(Db, table, "policy_retention");
        Assert.Equal(0, await Db.ScalarAsync<long>($"""
            SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'
              AND range_end < now() - interval '6 days'
            """));
        var oldest = await context.Set<UuidEvent>().MinAsync(e => EF.Functions.UuidTimestamp(e.Id));
        Assert.InRange(oldest, DateTime.UtcNow.AddDays(-7), DateTime.UtcNow.AddDays(-5));
    }
}
