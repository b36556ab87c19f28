using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

#pragma warning disable EF1001 // EF's design-time services, as `dotnet ef` runs them

namespace Hourglass.EntityFrameworkCore.Tests.Columnstore;

/// <summary>
/// Columnstore tuning: sparse indexes (bloom, minmax, composite bloom, firstlast, the automatic ones off), the merged
/// chunk interval and orderby NULLS placement, migrated, changed in place, undone, scaffolded back, and gated by the
/// server's version.
/// </summary>
public class ColumnstoreTuningTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build, TimescaleMissingBehavior behavior = TimescaleMissingBehavior.Degrade, ILoggerFactory? logs = null)
        => ModelContext.Create(Db.ConnectionString, b =>
        {
            b.HasDefaultSchema(Db.Schema);
            build(b);
        }, t => t.WhenTimescaleMissing(behavior), loggerFactory: logs);

    private async Task<Version> ServerVersionAsync()
        => TimescaleServerTarget.ParseVersion(await Db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))
            ?? throw new InvalidOperationException("unreadable TimescaleDB version");

    /// <summary>The configured sparse indexes in hypertable_columnstore_settings ("bloom(Other), minmax(Value)"; "" for none; null when not set).</summary>
    private async Task<string?> SparseIndexesAsync(string table)
    {
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT CASE WHEN bool_or(e ->> 'source' = 'config') THEN
                     coalesce(string_agg(format('%s(%s)', e ->> 'type',
                         CASE jsonb_typeof(e -> 'column') WHEN 'array' THEN (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(e -> 'column') c) ELSE e ->> 'column' END), ', ')
                       FILTER (WHERE e ->> 'source' = 'config' AND e ? 'type'), '') END
            FROM timescaledb_information.hypertable_columnstore_settings s
            LEFT JOIN LATERAL jsonb_array_elements(s.index) e ON true
            WHERE s.hypertable = format('%I.%I', current_schema(), '{table}')::regclass
            """;
        return await command.ExecuteScalarAsync() as string;
    }

    private async Task<string?> MergedIntervalAsync(string table)
    {
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT compress_interval_length FROM timescaledb_information.hypertable_columnstore_settings WHERE hypertable = format('%I.%I', current_schema(), '{table}')::regclass";
        return await command.ExecuteScalarAsync() as string;
    }

    private Task ConvertAllAsync(string table)
        => Db.ExecuteAsync($"SELECT count(compress_chunk(c, if_not_compressed => true)) FROM show_chunks(format('%I.%I', current_schema(), '{table}')::regclass) c");

    private Task<string> ExplainAsync(string sql)
        => Db.ScalarAsync<string>($"""
            CREATE OR REPLACE FUNCTION pg_temp.explain_text(q text) RETURNS text LANGUAGE plpgsql AS $f$
            DECLARE r text; result text := '';
            BEGIN FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP result := result || r || E'\n'; END LOOP; RETURN result; END $f$;
            SELECT pg_temp.explain_text({TimescaleSqlContext.Literal(sql)});
            """);

    /// <summary>Scaffolds the class's schema, compiles the model, and returns the code and the TimescaleDB operations on <paramref name="table"/> from <paramref name="original"/> to it.</summary>
    private async Task<(string Code, List<MigrationOperation> Differences)> ScaffoldAsync(ModelContext original, string table)
    {
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(original), Db.ConnectionString, Db.Schema);
        await using var compiled = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var model = compiled.GetService<IDesignTimeModel>().Model.GetRelationalModel();
        var differences = original.GetService<IMigrationsModelDiffer>().GetDifferences(original.DesignModel.GetRelationalModel(), model)
            .Where(o => o is TimescaleMigrationOperation t && t.Table == table).ToList();
        return (scaffolded.ContextFile.Code.ReplaceLineEndings("\n"), differences);
    }

    [Fact]
    public async Task Bloom_and_minmax_sparse_indexes_and_the_merged_interval_round_trip_and_the_bloom_is_used()
    {
        const string table = "tune_sparse";
        await using var v1 = Context(Readings(table, h => h.WithColumnstore(c => c
            .SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true)
            .Bloom(x => x.Other).MinMax(x => x.Value).MergeChunksUpTo(TimeSpan.FromDays(14)))));
        await using var v2 = Context(Readings(table, h => h.WithColumnstore(c => c
            .SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true)
            .MinMax(x => x.Recorded))));
        await using var v3 = Context(Readings(table, h => h.WithColumnstore(c => c
            .SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true)
            .WithoutAutomaticSparseIndexes().MergeChunksUpTo("21 days"))));

        var create = v1.DiffFrom(null);
        var set = Assert.Single(create.OfType<SetColumnstoreOperation>());
        Assert.Equal(("bloom(Other), minmax(Value)", "14 days"), (set.SparseIndexes, set.MergedChunkInterval));
        var sql = v1.Sql(create);
        Assert.Contains("""timescaledb.sparse_index = 'bloom("Other"), minmax("Value")', timescaledb.compress_chunk_time_interval = '14 days'""", sql, StringComparison.Ordinal);
        await v1.ApplyAsync(create);
        Assert.Equal("bloom(Other), minmax(Value)", await SparseIndexesAsync(table));
        Assert.Equal("14 days", await MergedIntervalAsync(table));
        Assert.Empty(v1.DiffFrom(v1));

        // Used: a point query on the bloom column over converted chunks filters the compressed batches by the bloom filter.
        await InsertHoursAsync(Db, table, 42);
        await ConvertAllAsync(table);
        Assert.True(await CompressedChunksAsync(Db, table) > 0);
        var plan = await ExplainAsync($"SELECT * FROM \"{table}\" WHERE \"Other\" = 77");
        Assert.Contains("bloom1_contains", plan, StringComparison.Ordinal);
        Assert.Contains("_other", plan, StringComparison.OrdinalIgnoreCase);
        var range = await ExplainAsync($"SELECT * FROM \"{table}\" WHERE \"Value\" > 1000");
        Assert.True(range.Contains("_ts_meta_v2_max_value", StringComparison.OrdinalIgnoreCase), range);

        // Change in place: one ALTER TABLE ... SET, the merged interval cleared (TimescaleDB cannot RESET it).
        var change = v2.DiffFrom(v1);
        var alter = Assert.IsType<SetColumnstoreOperation>(Assert.Single(change));
        Assert.True(alter.ResetUnset);
        var changeSql = v2.Sql(change);
        Assert.Contains("""timescaledb.sparse_index = 'minmax("Recorded")'""", changeSql, StringComparison.Ordinal);
        Assert.Contains("timescaledb.compress_chunk_time_interval = '0'", changeSql, StringComparison.Ordinal);
        await v2.ApplyAsync(change);
        Assert.Equal("minmax(Recorded)", await SparseIndexesAsync(table));
        Assert.Null(await MergedIntervalAsync(table));

        // The automatic sparse indexes off: an empty configuration.
        await v3.ApplyAsync(v3.DiffFrom(v2));
        Assert.Equal("", await SparseIndexesAsync(table));
        Assert.Equal("21 days", await MergedIntervalAsync(table));
        var (offCode, offDifferences) = await ScaffoldAsync(v3, table);
        Assert.Contains(".WithoutAutomaticSparseIndexes()", offCode, StringComparison.Ordinal);
        Assert.Contains(".MergeChunksUpTo(\"21 days\")", offCode, StringComparison.Ordinal);
        Assert.Empty(offDifferences);

        // Down twice: back to v1.
        await v2.ApplyAsync(v2.DiffFrom(v3));
        Assert.Equal("minmax(Recorded)", await SparseIndexesAsync(table));
        await v1.ApplyAsync(v1.DiffFrom(v2));
        Assert.Equal("bloom(Other), minmax(Value)", await SparseIndexesAsync(table));
        Assert.Equal("14 days", await MergedIntervalAsync(table));

        // Scaffolded back as fluent calls whose model diffs empty against v1.
        var (code, differences) = await ScaffoldAsync(v1, table);
        Assert.Matches(@"\.WithColumnstore\(c => c\s*\.SegmentBy\(""DeviceId""\)\s*\.OrderBy\(""Time DESC""\)\s*\.Bloom\(""Other""\)\s*\.MinMax\(""Value""\)\s*\.MergeChunksUpTo\(""14 days""\)\)", code);
        Assert.Empty(differences);
    }

    [Fact]
    public async Task Composite_bloom_and_firstlast_work_where_the_server_has_them_and_are_refused_or_skipped_by_name_where_not()
    {
        const string table = "tune_composite";
        var version = await ServerVersionAsync();
        Action<ModelBuilder> model = Readings(table, h => h.WithColumnstore(c => c
            .SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true)
            .Bloom(x => new { x.Other, x.Recorded }).FirstLast(x => x.Value)));

        if (version >= SparseIndex.FirstLastVersion)
        {
            await using var context = Context(model, TimescaleMissingBehavior.Strict);
            await MigrateAsync(null, context);
            Assert.Equal("bloom(Other, Recorded), firstlast(Value)", await SparseIndexesAsync(table));
            var (code, differences) = await ScaffoldAsync(context, table);
            Assert.Contains(".Bloom(\"Other\", \"Recorded\")", code, StringComparison.Ordinal);
            Assert.Contains(".FirstLast(\"Value\")", code, StringComparison.Ordinal);
            Assert.Empty(differences);
            return;
        }

        // Strict: refused while the SQL is generated, naming the version; nothing was created.
        await using (var strict = Context(model, TimescaleMissingBehavior.Strict))
        {
            var operations = strict.DiffFrom(null);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => strict.ApplyAsync(operations));
            Assert.Contains(version < SparseIndex.CompositeBloomVersion ? "2.26" : "2.28", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relname = '{table}' AND relnamespace = current_schema()::regnamespace"));
        }

        // Degrade: the hypertable and what the server has are created; each missing index is a FeatureSkipped warning naming its version.
        var logs = new CollectingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var degrade = Context(model, TimescaleMissingBehavior.Degrade, factory);
        await MigrateAsync(null, degrade);
        var skipped = logs.Events.Where(e => e.Id == TimescaleEventId.FeatureSkipped).Select(e => e.Message).ToList();
        Assert.Contains(skipped, m => m.Contains("firstlast(Value)", StringComparison.Ordinal) && m.Contains("2.28", StringComparison.Ordinal));
        if (version < SparseIndex.CompositeBloomVersion)
        {
            Assert.Contains(skipped, m => m.Contains("bloom(Other, Recorded)", StringComparison.Ordinal) && m.Contains("2.26", StringComparison.Ordinal));
            Assert.Null(await SparseIndexesAsync(table));
        }
        else
        {
            Assert.Equal("bloom(Other, Recorded)", await SparseIndexesAsync(table));
        }

        Assert.NotNull(await ColumnstoreSettingsAsync(Db, table));
    }

    [Fact]
    public async Task Orderby_nulls_placement_from_the_typed_api_round_trips()
    {
        const string table = "tune_nulls";
        await using var context = Context(Readings(table, h => h.WithColumnstore(c => c
            .SegmentBy(x => x.DeviceId)
            .OrderBy(x => x.Time, descending: true, nullsFirst: false)
            .OrderBy(x => x.Other, descending: false, nullsFirst: true))));
        var operations = context.DiffFrom(null);
        Assert.Equal("Time DESC NULLS LAST, Other NULLS FIRST", Assert.Single(operations.OfType<SetColumnstoreOperation>()).OrderBy);
        await context.ApplyAsync(operations);
        Assert.Equal("DeviceId|\"Time\" DESC NULLS LAST,\"Other\" NULLS FIRST", (await ColumnstoreSettingsAsync(Db, table))?.Replace(", ", ",", StringComparison.Ordinal));

        var (code, differences) = await ScaffoldAsync(context, table);
        Assert.Contains(".OrderBy(\"Time DESC NULLS LAST, Other NULLS FIRST\")", code, StringComparison.Ordinal);
        Assert.Empty(differences);
    }

    [Fact]
    public void Bad_tuning_is_refused_when_the_model_is_built_naming_the_entity_property_and_fix()
    {
        string Error(Action<Hourglass.EntityFrameworkCore.Hypertables.HypertableBuilder<Reading<DateTime>>> hypertable)
        {
            using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("tune_bad", hypertable));
            return Assert.Throws<InvalidOperationException>(() => context.Model).Message;
        }

        var segmentBy = Error(h => h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy("Time").Bloom(x => x.DeviceId)));
        Assert.Contains("entity 'Reading<DateTime>', property 'DeviceId'", segmentBy, StringComparison.Ordinal);
        Assert.Contains("segmentby column", segmentBy, StringComparison.Ordinal);
        Assert.Contains("Fix:", segmentBy, StringComparison.Ordinal);

        Assert.Contains("need an explicit orderby", Error(h => h.WithColumnstore(c => c.MinMax(x => x.Value))), StringComparison.Ordinal);
        Assert.Contains("need an explicit orderby", Error(h => h.WithColumnstore(c => c.WithoutAutomaticSparseIndexes())), StringComparison.Ordinal);
        Assert.Contains("property 'Valu'", Error(h => h.WithColumnstore(c => c.OrderBy("Time").MinMax("Valu"))), StringComparison.Ordinal);
        Assert.Contains("only bloom indexes can be composite", Error(h => h.WithColumnstore(c => c.OrderBy("Time").SparseIndexes("minmax(Value, Other)"))), StringComparison.Ordinal);
        Assert.Contains("is not \"bloom(Column, ...)\"", Error(h => h.WithColumnstore(c => c.OrderBy("Time").SparseIndexes("hash(Value)"))), StringComparison.Ordinal);
        var months = Error(h => h.WithColumnstore(c => c.OrderBy("Time").MergeChunksUpTo("1 month")));
        Assert.Contains("MergeChunksUpTo", months, StringComparison.Ordinal);
        Assert.Contains("no months", months, StringComparison.Ordinal);
    }

    [Fact]
    public void Migration_files_carry_the_sparse_indexes_and_merged_interval()
    {
        using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.WithColumnstore(c => c
            .SegmentBy(x => x.DeviceId).OrderBy(x => x.Time, descending: true).Bloom(x => x.Other).MinMax(x => x.Value).MergeChunksUpTo("7 days"))));
        var migration = DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        Assert.Contains(
            """
                        migrationBuilder.SetColumnstore(
                            table: "conditions",
                            segmentBy: "DeviceId",
                            orderBy: "Time DESC",
                            sparseIndexes: "bloom(Other), minmax(Value)",
                            mergedChunkInterval: "7 days");
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:SparseIndexes\", \"bloom(Other), minmax(Value)\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:MergedChunkInterval\", \"7 days\")", migration.SnapshotCode, StringComparison.Ordinal);
    }
}
