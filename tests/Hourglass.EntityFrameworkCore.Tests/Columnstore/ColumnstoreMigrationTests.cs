using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Columnstore;

/// <summary>Columnstore settings and policies migrated on the embedded TimescaleDB and read back from its catalog.</summary>
public class ColumnstoreMigrationTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build) => ModelContext.Create(Db.ConnectionString, build);

    [Fact]
    public async Task Settings_and_policy_are_created_changed_removed_and_restored_by_down()
    {
        const string table = "cs_lifecycle";
        await using var v1 = Context(Readings(table, h => h
            .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true))
            .WithColumnstorePolicy(after: TimeSpan.FromDays(14))));
        await using var v2 = Context(Readings(table, h => h
            .WithColumnstore(c => c.SegmentBy("DeviceId", "Other").OrderBy("Time DESC, Value"))
            .WithColumnstorePolicy("21 days")));
        await using var v3 = Context(Readings(table, h => h.AllowDataRewrite()));

        var create = v1.DiffFrom(null);
        var timescale = create.OfType<Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation>().Select(o => o.GetType()).ToList();
        Assert.Equal([typeof(CreateHypertableOperation), typeof(SetColumnstoreOperation), typeof(AddColumnstorePolicyOperation)], timescale);
        var sql = v1.Sql(create);
        Assert.Contains("""ALTER TABLE cs_lifecycle SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = '"DeviceId"', timescaledb.orderby = '"Time" DESC');""", sql, StringComparison.Ordinal);
        Assert.Contains("CALL add_columnstore_policy('cs_lifecycle', after => INTERVAL '14 days');", sql, StringComparison.Ordinal);
        await v1.ApplyAsync(create);

        Assert.Equal("DeviceId|\"Time\" DESC", await ColumnstoreSettingsAsync(Db, table));
        Assert.Contains("\"compress_after\": \"14 days\"", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
        Assert.Empty(v1.DiffFrom(v1));

        // Six weeks of rows in 7-day chunks; the policy converts the chunks older than 14 days (paused first, so that a
        // native scheduler's own first run cannot convert them before the test sees none converted).
        await PauseJobAsync(Db, table, "policy_compression");
        await InsertHoursAsync(Db, table, 42);
        var chunks = await ChunksAsync(Db, table);
        Assert.Equal(0, await CompressedChunksAsync(Db, table));
        await RunJobAsync(Db, table, "policy_compression");
        var compressed = await CompressedChunksAsync(Db, table);
        Assert.InRange(compressed, 2, chunks - 2);
        Assert.Equal(42 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.Equal(compressed, await Db.ScalarAsync<long>($"SELECT count(*) FROM chunk_columnstore_stats('{table}') WHERE compression_status = 'Compressed'"));

        // Change: new settings (allowed with chunks already in the columnstore), policy removed and added again.
        var change = v2.DiffFrom(v1);
        Assert.Equal([typeof(RemoveColumnstorePolicyOperation), typeof(SetColumnstoreOperation), typeof(AddColumnstorePolicyOperation)], change.Select(o => o.GetType()));
        await v2.ApplyAsync(change);
        Assert.Equal("DeviceId,Other|\"Time\" DESC,\"Value\"", (await ColumnstoreSettingsAsync(Db, table))?.Replace(", ", ",", StringComparison.Ordinal));
        Assert.Contains("\"compress_after\": \"21 days\"", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
        Assert.Equal(1, await JobCountAsync(Db, table));

        // Remove: the policy goes first, then the columnstore chunks are converted back and the columnstore disabled.
        var remove = v3.DiffFrom(v2);
        Assert.Equal([typeof(RemoveColumnstorePolicyOperation), typeof(DisableColumnstoreOperation)], remove.Select(o => o.GetType()));
        await v3.ApplyAsync(remove);
        Assert.Null(await ColumnstoreSettingsAsync(Db, table));
        Assert.Null(await JobConfigAsync(Db, table, "policy_compression"));
        Assert.Equal(0, await CompressedChunksAsync(Db, table));
        Assert.Equal(42 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));

        // Down: back to v2.
        var down = v2.DiffFrom(v3);
        await v2.ApplyAsync(down);
        Assert.Equal("DeviceId,Other|\"Time\" DESC,\"Value\"", (await ColumnstoreSettingsAsync(Db, table))?.Replace(", ", ",", StringComparison.Ordinal));
        Assert.Contains("\"compress_after\": \"21 days\"", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clearing_segmentby_and_orderby_resets_them_to_timescale_defaults()
    {
        const string table = "cs_reset";
        await using var v1 = Context(Readings(table, h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy("Time"))));
        await using var v2 = Context(Readings(table, h => h.WithColumnstore()));
        await MigrateAsync(null, v1);
        Assert.Equal("DeviceId|\"Time\"", await ColumnstoreSettingsAsync(Db, table));

        var change = v2.DiffFrom(v1);
        Assert.True(Assert.IsType<SetColumnstoreOperation>(Assert.Single(change)).ResetUnset);
        Assert.Contains("RESET (timescaledb.segmentby, timescaledb.orderby", v2.Sql(change), StringComparison.Ordinal); // and sparse_index where the server has it
        await v2.ApplyAsync(change);
        Assert.Equal("|", await ColumnstoreSettingsAsync(Db, table));
        Assert.Empty(v2.DiffFrom(v2));
    }

    [Fact]
    public async Task Turning_the_hypertable_back_into_a_table_removes_the_policy_first_and_keeps_rows()
    {
        const string table = "cs_unmade";
        await using var v1 = Context(Readings(table, h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId)).WithColumnstorePolicy("7 days"), e => e.AllowDataRewrite()));
        await using var plain = Context(Readings(table, entity: e => e.AllowDataRewrite()));
        await MigrateAsync(null, v1);
        await InsertHoursAsync(Db, table, 30);
        await RunJobAsync(Db, table, "policy_compression");
        Assert.True(await CompressedChunksAsync(Db, table) > 0);

        var operations = plain.DiffFrom(v1);
        Assert.Equal([typeof(RemoveColumnstorePolicyOperation), typeof(ConvertHypertableToTableOperation)], operations.Select(o => o.GetType()));
        await plain.ApplyAsync(operations);
        Assert.Equal(30 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.Equal(0, await JobCountAsync(Db, table));
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'"));

        // And back: a new hypertable gets its settings and policy after create_hypertable.
        var again = v1.DiffFrom(plain);
        Assert.Equal([typeof(CreateHypertableOperation), typeof(SetColumnstoreOperation), typeof(AddColumnstorePolicyOperation)], again.Select(o => o.GetType()));
        await v1.ApplyAsync(again);
        Assert.Equal("DeviceId|", (await ColumnstoreSettingsAsync(Db, table))?[..9]);
        Assert.NotNull(await JobConfigAsync(Db, table, "policy_compression"));
    }

    [Fact]
    public async Task Dropping_the_table_needs_no_policy_operations_and_leaves_no_jobs()
    {
        const string table = "cs_dropped";
        await using var v1 = Context(Readings(table, h => h.WithColumnstore().WithColumnstorePolicy("7 days").WithRetentionPolicy("90 days")));
        await using var empty = Context(_ => { });
        await MigrateAsync(null, v1);
        Assert.Equal(2, await JobCountAsync(Db, table));

        var down = empty.DiffFrom(v1);
        Assert.DoesNotContain(down, o => o is Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation);
        await empty.ApplyAsync(down);
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name = '{table}'"));
    }

    [Fact]
    public async Task Integer_time_columns_take_an_integer_after()
    {
        const string table = "cs_integer";
        await Db.ExecuteAsync("CREATE FUNCTION cs_now() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 100000::bigint $$");
        await using var context = Context(b => b.Entity<Reading<long>>(e =>
        {
            e.ToTable(table);
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithChunkInterval(1000).WithIntegerNowFunction("cs_now")
                .WithColumnstore(c => c.SegmentBy(x => x.DeviceId))
                .WithColumnstorePolicy(after: 5000)
                .WithRetentionPolicy(dropAfter: 50_000);
        }));
        var operations = context.DiffFrom(null);
        var sql = context.Sql(operations);
        Assert.Contains("after => 5000);", sql, StringComparison.Ordinal);
        Assert.Contains("drop_after => 50000);", sql, StringComparison.Ordinal);
        await context.ApplyAsync(operations);
        Assert.Contains("\"compress_after\": 5000", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
        Assert.Contains("\"drop_after\": 50000", await JobConfigAsync(Db, table, "policy_retention"), StringComparison.Ordinal);

        // Rows at 0..99_999: chunks ending before 95_000 are converted, those ending before 50_000 dropped.
        await Db.ExecuteAsync($"""INSERT INTO {table} ("Time", "DeviceId", "Recorded", "Value") SELECT i * 100, i % 2, now(), i FROM generate_series(0, 999) i""");
        await RunJobAsync(Db, table, "policy_retention");
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE \"Time\" < 49000"));
        await RunJobAsync(Db, table, "policy_compression");
        Assert.True(await CompressedChunksAsync(Db, table) >= 40);
        Assert.Equal(500, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Idempotent_scripts_run_inside_do_blocks()
    {
        const string table = "cs_idempotent";
        await using var context = Context(Readings(table, h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId)).WithColumnstorePolicy("7 days").WithRetentionPolicy("1 year")));
        var sql = context.Sql(context.DiffFrom(null), MigrationsSqlGenerationOptions.Idempotent);
        Assert.Contains("PERFORM add_retention_policy(", sql, StringComparison.Ordinal);
        Assert.Contains("drop_after => INTERVAL '12 months'", sql, StringComparison.Ordinal);
        await Db.ExecuteAsync("DO $EF$ BEGIN " + sql + " END $EF$;");
        Assert.Equal("DeviceId|", (await ColumnstoreSettingsAsync(Db, table))?[..9]);
        Assert.Contains("\"drop_after\": \"1 year\"", await JobConfigAsync(Db, table, "policy_retention"), StringComparison.Ordinal);
        Assert.NotNull(await JobConfigAsync(Db, table, "policy_compression"));
    }

    [Fact]
    public async Task Servers_before_2_14_refuse_new_settings_while_chunks_are_compressed_with_a_clear_error()
    {
        const string table = "cs_pre214";
        await using var v1 = Context(Readings(table, h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId)).WithColumnstorePolicy("7 days")));
        await using var v2 = ModelContext.Create(
            Db.ConnectionString,
            Readings(table, h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId).SegmentBy(x => x.Other)).WithColumnstorePolicy("7 days")),
            t => t.TargetVersion(new Version(2, 13)));
        await MigrateAsync(null, v1);
        await InsertHoursAsync(Db, table, 30);
        await RunJobAsync(Db, table, "policy_compression");
        Assert.True(await CompressedChunksAsync(Db, table) > 0);

        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => v2.ApplyAsync(v2.DiffFrom(v1)));

        Assert.Contains("Cannot change the columnstore settings of cs_pre214: TimescaleDB before 2.14 refuses new segmentby/orderby while chunks are compressed", error.MessageText, StringComparison.Ordinal);
        Assert.Contains("Decompress them first (SELECT decompress_chunk(c, if_compressed => TRUE) FROM show_chunks('cs_pre214') c)", error.Hint, StringComparison.Ordinal);
        Assert.Equal("DeviceId|", (await ColumnstoreSettingsAsync(Db, table))?[..9]);

        // Without compressed chunks the same migration goes through (the policy paused: a native scheduler would
        // convert the chunks again in between).
        await PauseJobAsync(Db, table, "policy_compression");
        await Db.ExecuteAsync($"SELECT decompress_chunk(c, if_compressed => TRUE) FROM show_chunks('{table}') c");
        await v2.ApplyAsync(v2.DiffFrom(v1));
        Assert.StartsWith("DeviceId,Other|", await ColumnstoreSettingsAsync(Db, table), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Servers_before_2_18_get_the_compression_names()
    {
        await using var v1 = ModelContext.Create(
            Db.ConnectionString,
            Readings("cs_old", h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy("Time DESC")).WithColumnstorePolicy("7 days")),
            t => t.TargetVersion(new Version(2, 17)));
        await using var v2 = ModelContext.Create(Db.ConnectionString, Readings("cs_old", h => { }), t => t.TargetVersion(new Version(2, 17)).AllowDataRewrite());

        var sql = v1.Sql(v1.DiffFrom(null));
        Assert.Contains("""ALTER TABLE cs_old SET (timescaledb.compress = true, timescaledb.compress_segmentby = '"DeviceId"', timescaledb.compress_orderby = '"Time" DESC');""", sql, StringComparison.Ordinal);
        Assert.Contains("SELECT add_compression_policy('cs_old', compress_after => INTERVAL '7 days');", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("columnstore", sql, StringComparison.Ordinal);

        var down = v2.Sql(v2.DiffFrom(v1));
        Assert.Contains("SELECT remove_compression_policy('cs_old', if_exists => TRUE);", down, StringComparison.Ordinal);
        Assert.Contains("PERFORM decompress_chunk(chunk, if_compressed => TRUE);", down, StringComparison.Ordinal);
        Assert.Contains("ALTER TABLE cs_old SET (timescaledb.compress = false);", down, StringComparison.Ordinal);
    }
}
