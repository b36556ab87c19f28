using Hourglass.EntityFrameworkCore.ChunkSkipping;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

#pragma warning disable EF1001 // EF's design-time services, as `dotnet ef` runs them

namespace Hourglass.EntityFrameworkCore.Tests.ChunkSkipping;

/// <summary>Chunk skipping per column: migrated, changed, undone, scaffolded back, and excluding chunks in EXPLAIN.</summary>
public class ChunkSkippingTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build) => ModelContext.Create(Db.ConnectionString, b =>
    {
        b.HasDefaultSchema(Db.Schema);
        build(b);
    });

    private async Task<string> ColumnsAsync(string table)
        => await Db.ScalarAsync<string>($"""
            SELECT coalesce(string_agg(s.column_name::text, ',' ORDER BY s.id), '')
            FROM _timescaledb_catalog.chunk_column_stats s JOIN _timescaledb_catalog.hypertable h ON h.id = s.hypertable_id
            WHERE s.chunk_id IS NULL AND h.schema_name = current_schema() AND h.table_name = '{table}'
            """);

    [Fact]
    public async Task Chunk_skipping_round_trips_and_excludes_chunks_by_the_column()
    {
        const string table = "skip_readings";
        await using var v1 = Context(Readings(table, h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId)).WithChunkSkipping(x => x.Other)));
        await using var v2 = Context(Readings(table, h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId)).WithChunkSkipping(x => x.Recorded)));

        var create = v1.DiffFrom(null);
        Assert.Equal("Other", Assert.Single(create.OfType<EnableChunkSkippingOperation>()).Column);
        Assert.Contains("enable_chunk_skipping('", v1.Sql(create), StringComparison.Ordinal);
        await v1.ApplyAsync(create);
        Assert.Equal("Other", await ColumnsAsync(table));
        Assert.Empty(v1.DiffFrom(v1));

        // Ranges are kept when chunks are converted; a query on the column then skips the chunks out of range.
        // The writing session needs the setting on too: TimescaleDB (2.23 to 2.29) records a chunk's range only when the
        // chunk is created with it on, and a query with it on then skips chunks created without it (rows missing).
        await Db.ExecuteAsync($"""
            SET timescaledb.enable_chunk_skipping = on;
            INSERT INTO "{table}" ("Time", "DeviceId", "Recorded", "Value", "Other") SELECT now() - i * interval '1 hour', i % 3, now(), i, i FROM generate_series(0, 42 * 24 - 1) i;
            SELECT count(compress_chunk(c)) FROM show_chunks(format('%I.%I', current_schema(), '{table}')::regclass) c;
            """);
        var chunks = await ChunksAsync(Db, table);
        var plan = await Db.ScalarAsync<string>($"""
            CREATE OR REPLACE FUNCTION pg_temp.explain_text(q text) RETURNS text LANGUAGE plpgsql AS $f$
            DECLARE r text; result text := '';
            BEGIN FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP result := result || r || E'\n'; END LOOP; RETURN result; END $f$;
            SET timescaledb.enable_chunk_skipping = on;
            SELECT pg_temp.explain_text('SELECT * FROM "{table}" WHERE "Other" = 5');
            """);
        Assert.True(chunks >= 5, $"{chunks} chunks");
        Assert.True(plan.Split("ColumnarScan", StringSplitOptions.None).Length - 1 == 1 && !plan.Contains("Append", StringComparison.Ordinal), plan);
        Assert.Equal(1, await Db.ScalarAsync<long>($"SET timescaledb.enable_chunk_skipping = on; SELECT count(*) FROM \"{table}\" WHERE \"Other\" = 5"));

        // Change: the old column disabled first, the new one enabled; Down restores it.
        var change = v2.DiffFrom(v1);
        Assert.Equal([typeof(DisableChunkSkippingOperation), typeof(EnableChunkSkippingOperation)], change.Select(o => o.GetType()));
        await v2.ApplyAsync(change);
        Assert.Equal("Recorded", await ColumnsAsync(table));
        await v1.ApplyAsync(v1.DiffFrom(v2));
        Assert.Equal("Other", await ColumnsAsync(table));

        // Scaffolded back as WithChunkSkipping("Other"); the scaffolded model diffs empty.
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(v1), Db.ConnectionString, Db.Schema);
        Assert.Contains(".WithChunkSkipping(\"Other\")", scaffolded.ContextFile.Code, StringComparison.Ordinal);
        await using var compiled = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var differences = v1.GetService<IMigrationsModelDiffer>()
            .GetDifferences(v1.DesignModel.GetRelationalModel(), compiled.GetService<IDesignTimeModel>().Model.GetRelationalModel())
            .Where(o => o is TimescaleMigrationOperation t && t.Table == table);
        Assert.Empty(differences);
    }

    [Fact]
    public void Migration_files_call_EnableChunkSkipping_and_bad_columns_are_refused()
    {
        using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping("Other")));
        var migration = DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        Assert.Contains(
            """
                        migrationBuilder.EnableChunkSkipping(
                            table: "conditions",
                            column: "Other");
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);

        using var missing = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping("Valu")));
        var error = Assert.Throws<InvalidOperationException>(() => missing.Model).Message;
        Assert.Contains("Chunk skipping on entity", error, StringComparison.Ordinal);
        Assert.Contains("property 'Valu'", error, StringComparison.Ordinal);
        using var time = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping("Time")));
        Assert.Contains("time column", Assert.Throws<InvalidOperationException>(() => time.Model).Message, StringComparison.Ordinal);

        // A double column: refused at model-build time with its store type, not by the server after the table exists.
        using var floating = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping(x => x.Value)));
        error = Assert.Throws<InvalidOperationException>(() => floating.Model).Message;
        Assert.StartsWith("Chunk skipping on entity 'Reading<DateTime>', property 'Value': the column's type double precision (Double)", error, StringComparison.Ordinal);
        Assert.Contains("Fix: name a column of one of those types", error, StringComparison.Ordinal);
        using var converted = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping(x => x.Value), e => e.Property(x => x.Value).HasColumnType("numeric(10,2)")));
        Assert.Contains("type numeric(10,2)", Assert.Throws<InvalidOperationException>(() => converted.Model).Message, StringComparison.Ordinal);

        // The store type decides, so a value converter to long and a NodaTime Instant (timestamptz) are accepted.
        using var toLong = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping(x => x.Value), e => e.Property(x => x.Value).HasConversion<long>()));
        Assert.NotNull(toLong.Model);
        using var instant = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", b => b.Entity<StampedReading>(e =>
        {
            e.HasKey(x => new { x.Time, x.Sequence });
            e.IsHypertable(x => x.Time).WithChunkSkipping(x => x.Received);
        }));
        Assert.NotNull(instant.Model);

        using var attributed = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", b => b.Entity<BadlyAttributedReading>().HasKey(x => new { x.Time, x.Sequence }));
        error = Assert.Throws<InvalidOperationException>(() => attributed.Model).Message;
        Assert.StartsWith("Chunk skipping on entity 'BadlyAttributedReading', property 'Tag': the column's type text (String)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_attribute_enables_chunk_skipping_like_the_fluent_call()
    {
        await using var context = Context(b => b.Entity<AttributedReading>(e => e.ToTable("skip_attributed").HasKey(x => new { x.Time, x.Sequence })));
        var create = context.DiffFrom(null);
        // Two attributes (the order reflection returns them in is not defined), the repeated name once.
        Assert.Equal(["Day", "Sequence"], create.OfType<EnableChunkSkippingOperation>().Select(o => o.Column).Order());
        await context.ApplyAsync(create);
        Assert.Equal(["Day", "Sequence"], (await ColumnsAsync("skip_attributed")).Split(',').Order());
        Assert.Empty(context.DiffFrom(context));
    }

    /// <summary>
    /// The list of accepted store types is the server's: every type the model accepts is accepted by
    /// <c>enable_chunk_skipping</c>, and the types it refuses are refused by the server too.
    /// </summary>
    [Fact]
    public async Task The_accepted_store_types_are_the_ones_the_server_accepts()
    {
        string[] accepted = ["smallint", "integer", "bigint", "date", "timestamp without time zone", "timestamp with time zone", "int8", "timestamptz", "timestamp(3) with time zone"];
        string[] refused = ["double precision", "real", "numeric", "text", "uuid", "interval", "time without time zone", "oid"];
        var columns = accepted.Concat(refused).Select((type, i) => (Name: $"c{i}", Type: type)).ToList();
        await Db.ExecuteAsync($"""
            CREATE TABLE skip_types ("Time" timestamptz NOT NULL, {string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"))});
            SELECT create_hypertable(format('%I.%I', current_schema(), 'skip_types')::regclass, by_range('Time'));
            """);
        foreach (var (name, type) in columns)
        {
            string? serverError = null;
            try
            {
                await Db.ExecuteAsync($"SELECT enable_chunk_skipping(format('%I.%I', current_schema(), 'skip_types')::regclass, '{name}') FROM (SELECT set_config('{ChunkSkippingColumn.Setting}', 'on', true)) s");
            }
            catch (Npgsql.PostgresException e)
            {
                serverError = e.MessageText;
            }

            Assert.True(ChunkSkippingColumn.SupportsStoreType(type) == (serverError is null), $"{type}: model says {ChunkSkippingColumn.SupportsStoreType(type)}, server says {serverError ?? "accepted"}");
            Assert.Equal(accepted.Contains(type), serverError is null);
        }
    }
}

[Hypertable(nameof(Time), ChunkInterval = "7 days")]
[ChunkSkipping(nameof(Sequence))]
[ChunkSkipping(nameof(Day), nameof(Sequence))]
public class AttributedReading
{
    public DateTime Time { get; set; }

    public long Sequence { get; set; }

    public DateOnly Day { get; set; }
}

[Hypertable(nameof(Time))]
[ChunkSkipping(nameof(Tag))]
public class BadlyAttributedReading
{
    public DateTime Time { get; set; }

    public long Sequence { get; set; }

    public string Tag { get; set; } = "";
}

public class StampedReading
{
    public NodaTime.Instant Time { get; set; }

    public long Sequence { get; set; }

    public NodaTime.Instant Received { get; set; }
}
