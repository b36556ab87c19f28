using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.DataRewrites;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

#pragma warning disable EF1001 // EF's snapshot model processor, as `dotnet ef migrations add` uses it

namespace Hourglass.EntityFrameworkCore.Tests.DataRewrites;

/// <summary>A reading whose class allows data rewrites.</summary>
[AllowDataRewrite]
public class RewritableReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }
}

/// <summary>
/// The safety switch: a generated migration that would rewrite data (rebuild a table, convert chunks back to rowstore)
/// is refused unless the entity or the context allows it, says why, and carries the cost as a comment; Down of a new
/// feature is still generated; migrations already written run. Applied on the class's server.
/// </summary>
public class DataRewriteTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody";

    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build, Action<Infrastructure.TimescaleDbContextOptionsBuilder>? timescale = null)
        => ModelContext.Create(Db.ConnectionString, build, timescale);

    private static Action<ModelBuilder> WithColumnstore(string table, Action<HypertableBuilder<Reading<DateTime>>>? more = null)
        => Readings(table, h =>
        {
            h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId));
            more?.Invoke(h);
        });

    [Fact]
    public void Turning_the_columnstore_off_is_refused_naming_the_entity_the_change_its_cost_and_the_fix()
    {
        using var on = ModelContext.Create(NoServer, WithColumnstore("dr_refused"));
        using var off = ModelContext.Create(NoServer, Readings("dr_refused", h => { }));

        var error = Assert.Throws<InvalidOperationException>(() => off.DiffFrom(on));

        Assert.Equal(
            "Data rewrite on entity 'Reading<DateTime>': this migration turns the columnstore of hypertable \"dr_refused\" off, which converts "
            + "every columnstore chunk back to rowstore (decompresses every chunk) first; the time it takes grows with the data. Fix: if that is "
            + "intended, allow it for this entity with modelBuilder.Entity<Reading<DateTime>>().AllowDataRewrite() (or [AllowDataRewrite] on the "
            + "class), or for every entity with UseTimescale(o => o.AllowDataRewrite()), and add the migration again; otherwise keep "
            + "WithColumnstore(...) on the hypertable.",
            error.Message);

        // Only generating refuses: whether the model has changes is still answered (Migrate's pending-changes check, has-pending-model-changes).
        Assert.True(off.GetService<IMigrationsModelDiffer>().HasDifferences(on.DesignModel.GetRelationalModel(), off.DesignModel.GetRelationalModel()));
    }

    [Fact]
    public void Every_rewriting_change_is_refused_and_each_is_named()
    {
        // A hypertable back to a plain table, a changed time column (rebuild), an existing table made a hypertable
        // without MigrateData(), and an aggregate's columnstore turned off: one error lists them all.
        using var before = ModelContext.Create(NoServer, b =>
        {
            Readings("dr_unmade", h => { })(b);
            CaggModels.Model("dr_metrics", "dr_hourly", c => c.WithColumnstore(cs => cs.SegmentBy("DeviceId")))(b);
        }, snakeCase: true);
        using var after = ModelContext.Create(NoServer, b =>
        {
            Readings("dr_unmade")(b);
            CaggModels.Model("dr_metrics", "dr_hourly")(b);
        }, snakeCase: true);
        var message = Assert.Throws<InvalidOperationException>(() => after.DiffFrom(before)).Message;
        var messages = message.Split(Environment.NewLine);
        Assert.True(messages.Length == 2, message);
        Assert.StartsWith("Data rewrite on entity 'Reading<DateTime>': this migration turns hypertable \"dr_unmade\" back into a plain table, which copies every row into a new plain table", messages[0], StringComparison.Ordinal);
        Assert.EndsWith("otherwise keep IsHypertable(...) on the entity.", messages[0], StringComparison.Ordinal);
        Assert.StartsWith("Data rewrite on entity 'HourlyMetric': this migration turns the columnstore of continuous aggregate \"dr_hourly\" off, which converts every columnstore chunk of the aggregate back to rowstore", messages[1], StringComparison.Ordinal);

        using var rebuilt = ModelContext.Create(NoServer, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("dr_unmade");
            e.HasKey(x => new { x.Recorded, x.Time, x.DeviceId });
            e.IsHypertable(x => x.Recorded);
        }));
        using var keyed = ModelContext.Create(NoServer, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("dr_unmade");
            e.HasKey(x => new { x.Recorded, x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time);
        }));
        var rebuild = Assert.Throws<InvalidOperationException>(() => rebuilt.DiffFrom(keyed)).Message;
        Assert.Contains("changes the time column or a dimension of hypertable \"dr_unmade\" (TimescaleDB cannot alter them in place), which rebuilds the table: every row is copied into a new plain table, then moved into chunks again", rebuild, StringComparison.Ordinal);

        using var plain = ModelContext.Create(NoServer, b => b.Entity<Reading<DateTime>>(e => e.ToTable("dr_existing").HasKey(x => new { x.Time, x.DeviceId })));
        using var made = ModelContext.Create(NoServer, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("dr_existing").HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time);
        }));
        var existing = Assert.Throws<InvalidOperationException>(() => made.DiffFrom(plain)).Message;
        Assert.Contains("turns the existing table \"dr_existing\" into a hypertable, which moves every row already in the table into chunks (migrate_data)", existing, StringComparison.Ordinal);
        Assert.EndsWith("otherwise declare it with MigrateData() on IsHypertable(...), which asks for exactly that.", existing, StringComparison.Ordinal);

        // MigrateData() declares that cost: allowed, and still commented.
        using var declared = ModelContext.Create(NoServer, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("dr_existing").HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).MigrateData();
        }));
        var creation = Assert.IsType<CreateHypertableOperation>(Assert.Single(declared.DiffFrom(plain)));
        Assert.True(creation.MigrateData);
        Assert.Contains(
            "// Data rewrite: turns the existing table \"dr_existing\" into a hypertable, which moves every row already in the table into chunks (migrate_data); the time it takes grows with the data.",
            MigrationCode(declared, [creation], []),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allowed_on_the_hypertable_the_columnstore_goes_off_with_every_chunk_converted_back_and_every_row_kept()
    {
        const string table = "dr_allowed";
        await using var on = Context(WithColumnstore(table, h => h.WithColumnstorePolicy("7 days")));
        await using var off = Context(Readings(table, h => h.AllowDataRewrite()));
        await MigrateAsync(null, on);
        await InsertHoursAsync(Db, table, 30);
        await RunJobAsync(Db, table, "policy_compression");
        Assert.True(await CompressedChunksAsync(Db, table) > 0);

        var operations = off.DiffFrom(on);
        Assert.Equal([typeof(RemoveColumnstorePolicyOperation), typeof(DisableColumnstoreOperation)], operations.Select(o => o.GetType()));
        var code = MigrationCode(off, operations, on.DiffFrom(off));
        Assert.Contains(
            """
                        // Data rewrite: turns the columnstore of hypertable "dr_allowed" off, which converts every columnstore chunk back to rowstore (decompresses every chunk) first; the time it takes grows with the data.
                        migrationBuilder.DisableColumnstore(
                            table: "dr_allowed");
            """.ReplaceLineEndings("\n"),
            code.ReplaceLineEndings("\n"),
            StringComparison.Ordinal);

        await off.ApplyAsync(operations);
        Assert.Equal(0, await CompressedChunksAsync(Db, table));
        Assert.Null(await ColumnstoreSettingsAsync(Db, table));
        Assert.Equal(30 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task Allowed_on_the_entity_by_fluent_call_or_attribute_a_hypertable_goes_back_to_a_plain_table_keeping_its_rows()
    {
        await using var hypertable = Context(b => b.Entity<RewritableReading>(e =>
        {
            e.ToTable("dr_attribute").HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithChunkInterval("1 day");
        }));
        await using var plain = Context(b => b.Entity<RewritableReading>(e => e.ToTable("dr_attribute").HasKey(x => new { x.Time, x.DeviceId })));
        await MigrateAsync(null, hypertable);
        await Db.ExecuteAsync("""INSERT INTO dr_attribute ("Time", "DeviceId", "Value") SELECT now() - i * interval '1 hour', 1, i FROM generate_series(0, 99) i""");

        var conversion = Assert.IsType<ConvertHypertableToTableOperation>(Assert.Single(plain.DiffFrom(hypertable)));
        await plain.ApplyAsync([conversion]);
        Assert.Equal(100, await Db.ScalarAsync<long>("SELECT count(*) FROM dr_attribute"));
        Assert.Equal(0, await Db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = 'dr_attribute'"));

        await using var fluent = Context(Readings("dr_fluent", h => h.WithChunkInterval("1 day")));
        await using var fluentPlain = Context(Readings("dr_fluent", entity: e => e.AllowDataRewrite()));
        await MigrateAsync(null, fluent);
        await InsertHoursAsync(Db, "dr_fluent", 3);
        await fluentPlain.ApplyAsync(fluentPlain.DiffFrom(fluent));
        Assert.Equal(3 * 24, await Db.ScalarAsync<long>("SELECT count(*) FROM dr_fluent"));
        Assert.Equal(0, await Db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = 'dr_fluent'"));
    }

    [Fact]
    public async Task Allowed_for_the_whole_context_a_time_column_change_rebuilds_the_hypertable_with_its_rows()
    {
        const string table = "dr_context";
        await using var byTime = Context(b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable(table).HasKey(x => new { x.Recorded, x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithChunkInterval("1 day");
        }));
        await using var byRecorded = Context(
            b => b.Entity<Reading<DateTime>>(e =>
            {
                e.ToTable(table).HasKey(x => new { x.Recorded, x.Time, x.DeviceId });
                e.IsHypertable(x => x.Recorded).WithChunkInterval("1 day");
            }),
            o => o.AllowDataRewrite());
        await MigrateAsync(null, byTime);
        await InsertHoursAsync(Db, table, 2);

        var operations = byRecorded.DiffFrom(byTime);
        Assert.Equal([typeof(ConvertHypertableToTableOperation), typeof(CreateHypertableOperation)], operations.Select(o => o.GetType()));
        var code = MigrationCode(byRecorded, operations, []);
        Assert.Contains("// Data rewrite: changes the time column or a dimension of hypertable \"dr_context\"", code, StringComparison.Ordinal);
        Assert.Contains("// Data rewrite: creates hypertable \"dr_context\" again after its rebuild, which moves every row into chunks (migrate_data)", code, StringComparison.Ordinal);
        await byRecorded.ApplyAsync(operations);
        Assert.Equal(2 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.Equal("Recorded", await Db.ScalarAsync<string>($"SELECT column_name FROM timescaledb_information.dimensions WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'"));
    }

    [Fact]
    public void Recreating_an_aggregate_is_refused_saying_its_buckets_are_computed_again_and_lost_where_the_source_rows_are_gone()
    {
        // Seed 003's plan keeps raw rows 90 days and the aggregates for years: a recreated aggregate can only recompute
        // the buckets whose raw rows are still there.
        const string Changed = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, min(value) AS max_value FROM {0} GROUP BY 1, 2";
        using var before = CaggModels.Context(NoServer, CaggModels.Model("dr_q_metrics", "dr_q_hourly"));
        using var after = CaggModels.Context(NoServer, CaggModels.Model("dr_q_metrics", "dr_q_hourly", sql: Changed));

        var error = Assert.Throws<InvalidOperationException>(() => after.DiffFrom(before));

        Assert.Equal(
            "Data rewrite on entity 'HourlyMetric': this migration drops continuous aggregate \"dr_q_hourly\" and creates it again because its "
            + "query changed (TimescaleDB cannot alter the query of a continuous aggregate), which throws its materialized buckets away and "
            + "computes them again from the source data; buckets whose source rows are already gone (dropped by a retention policy, or "
            + "deleted) are lost for good; the time it takes grows with the data. Fix: if that is intended, allow it for this entity with "
            + "modelBuilder.Entity<HourlyMetric>().AllowDataRewrite() (or [AllowDataRewrite] on the class), or for every entity with "
            + "UseTimescale(o => o.AllowDataRewrite()), and add the migration again; otherwise keep the aggregate's query and the tables it "
            + "reads as they are, or declare the new query as a new aggregate under a new name and remove the old one once the new one "
            + "holds what you need.",
            error.Message);

        // Allowed, the migration recreates it and says what that costs above the drop.
        using var allowed = CaggModels.Context(NoServer, CaggModels.Model("dr_q_metrics", "dr_q_hourly", c => c.AllowDataRewrite(), sql: Changed));
        var up = allowed.DiffFrom(before);
        Assert.IsType<DropContinuousAggregateOperation>(up[0]);
        Assert.Contains(
            "// Data rewrite: drops continuous aggregate \"dr_q_hourly\" and creates it again because its query changed",
            MigrationCode(allowed, up, []),
            StringComparison.Ordinal);

        // An aggregate only removed from the model is dropped like any table EF drops: nothing to refuse.
        using var removed = CaggModels.Context(NoServer, CaggModels.Model("dr_q_metrics", "dr_q_hourly", includeAggregate: false));
        Assert.Null(Assert.IsType<DropContinuousAggregateOperation>(Assert.Single(removed.DiffFrom(before))).DataRewrite);
    }

    [Fact]
    public async Task Allowed_on_the_aggregate_its_columnstore_goes_off()
    {
        await using var on = CaggModels.Context(Db.ConnectionString, CaggModels.Model("dr_cagg_metrics", "dr_cagg_hourly", c => c.WithColumnstore(cs => cs.SegmentBy("DeviceId"))));
        await using var refused = CaggModels.Context(Db.ConnectionString, CaggModels.Model("dr_cagg_metrics", "dr_cagg_hourly"));
        await using var off = CaggModels.Context(Db.ConnectionString, CaggModels.Model("dr_cagg_metrics", "dr_cagg_hourly", c => c.AllowDataRewrite()));
        await on.ApplyAsync(on.DiffFrom(null));
        Assert.True(await AggregateColumnstoreAsync("dr_cagg_hourly"));

        Assert.Contains("Data rewrite on entity 'HourlyMetric'", Assert.Throws<InvalidOperationException>(() => refused.DiffFrom(on)).Message, StringComparison.Ordinal);
        var operations = off.DiffFrom(on);
        Assert.IsType<DisableContinuousAggregateColumnstoreOperation>(Assert.Single(operations));
        await off.ApplyAsync(operations);
        Assert.False(await AggregateColumnstoreAsync("dr_cagg_hourly"));
    }

    [Fact]
    public async Task A_migration_written_with_the_operation_runs_without_any_allowance()
    {
        // Refusing is about generating: a migration file (written by hand, or generated before) runs as written.
        const string table = "dr_written";
        await using var on = Context(WithColumnstore(table));
        await MigrateAsync(null, on);
        await InsertHoursAsync(Db, table, 10);
        await Db.ExecuteAsync($"SELECT compress_chunk(c) FROM show_chunks('{table}') c");
        Assert.True(await CompressedChunksAsync(Db, table) > 0);

        var migrationBuilder = new MigrationBuilder("Npgsql.EntityFrameworkCore.PostgreSQL");
        migrationBuilder.DisableColumnstore(table);
        await on.ApplyAsync(migrationBuilder.Operations);
        Assert.Equal(0, await CompressedChunksAsync(Db, table));
        Assert.Null(await ColumnstoreSettingsAsync(Db, table));
        Assert.Equal(10 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public void Down_of_a_new_columnstore_is_generated_while_its_Up_turning_it_off_is_refused()
    {
        // What `dotnet ef migrations add` does: Up diffs the last migration's snapshot to the current model, Down the
        // current model back to the snapshot. Down of a new WithColumnstore turns it off: generated, with its comment.
        using var first = ModelContext.Create(NoServer, Readings("dr_down", h => { }));
        var lastModel = SnapshotModel(first);
        using var current = ModelContext.Create(NoServer, WithColumnstore("dr_down"));
        var differ = DesignTime.Services(current).GetRequiredService<IMigrationsModelDiffer>();

        var up = differ.GetDifferences(lastModel.GetRelationalModel(), current.DesignModel.GetRelationalModel());
        var down = differ.GetDifferences(current.DesignModel.GetRelationalModel(), lastModel.GetRelationalModel());
        Assert.IsType<SetColumnstoreOperation>(Assert.Single(up));
        Assert.IsType<DisableColumnstoreOperation>(Assert.Single(down));
        var code = MigrationCode(current, up, down);
        var downBody = code[code.IndexOf("void Down(", StringComparison.Ordinal)..];
        Assert.Contains("// Data rewrite: turns the columnstore of hypertable \"dr_down\" off", downBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Data rewrite", code[..code.IndexOf("void Down(", StringComparison.Ordinal)], StringComparison.Ordinal);

        // The other way round (the snapshot has the columnstore, the model no longer): Up is refused.
        var withColumnstore = SnapshotModel(current);
        using var without = ModelContext.Create(NoServer, Readings("dr_down", h => { }));
        var withoutDiffer = DesignTime.Services(without).GetRequiredService<IMigrationsModelDiffer>();
        Assert.Throws<InvalidOperationException>(() => withoutDiffer.GetDifferences(withColumnstore.GetRelationalModel(), without.DesignModel.GetRelationalModel()));
        Assert.IsType<SetColumnstoreOperation>(Assert.Single(withoutDiffer.GetDifferences(without.DesignModel.GetRelationalModel(), withColumnstore.GetRelationalModel())));
    }

    [Fact]
    public void The_allowance_stays_out_of_the_model_snapshot()
    {
        using var allowed = ModelContext.Create(NoServer, WithColumnstore("dr_snapshot", h => h.AllowDataRewrite()));
        Assert.Equal(true, allowed.DesignModel.FindEntityType(typeof(Reading<DateTime>))!.FindAnnotation("Hourglass:AllowDataRewrite")?.Value);
        var migration = DesignTime.Services(allowed).GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        Assert.DoesNotContain("AllowDataRewrite", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.DoesNotContain("AllowDataRewrite", migration.MetadataCode, StringComparison.Ordinal);
        Assert.Contains("Hourglass:Columnstore:SegmentBy", migration.SnapshotCode, StringComparison.Ordinal);
    }

    private Task<bool> AggregateColumnstoreAsync(string view)
        => Db.ScalarAsync<bool>($"SELECT compression_enabled FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = '{view}'");

    private static string MigrationCode(ModelContext context, IReadOnlyList<MigrationOperation> up, IReadOnlyList<MigrationOperation> down)
        => DesignTime.Services(context).GetRequiredService<IMigrationsCodeGenerator>().GenerateMigration("App", "Change", up, down);

    /// <summary>The model `dotnet ef migrations add` reads back from the snapshot of a first migration of <paramref name="context"/>'s model.</summary>
    private static IModel SnapshotModel(ModelContext context)
    {
        var services = DesignTime.Services(context);
        var migration = services.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        var references = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && !string.IsNullOrEmpty(a.Location))
            .Select(a => MetadataReference.CreateFromFile(a.Location));
        var compilation = CSharpCompilation.Create(
            "Snapshot" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(migration.SnapshotCode)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        var snapshotType = System.Reflection.Assembly.Load(image.ToArray()).GetTypes().Single(t => t.IsSubclassOf(typeof(ModelSnapshot)));
        var snapshot = (ModelSnapshot)Activator.CreateInstance(snapshotType)!;
        return services.GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Internal.ISnapshotModelProcessor>().Process(snapshot.Model)!;
    }
}
