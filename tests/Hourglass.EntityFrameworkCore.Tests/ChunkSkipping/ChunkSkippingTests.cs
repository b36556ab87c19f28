using Hourglass.EntityFrameworkCore.ChunkSkipping;
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
        using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping("Value")));
        var migration = DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        Assert.Contains(
            """
                        migrationBuilder.EnableChunkSkipping(
                            table: "conditions",
                            column: "Value");
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);

        using var missing = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping("Valu")));
        var error = Assert.Throws<InvalidOperationException>(() => missing.Model).Message;
        Assert.Contains("Chunk skipping on entity", error, StringComparison.Ordinal);
        Assert.Contains("property 'Valu'", error, StringComparison.Ordinal);
        using var time = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithChunkSkipping("Time")));
        Assert.Contains("time column", Assert.Throws<InvalidOperationException>(() => time.Model).Message, StringComparison.Ordinal);
    }
}
