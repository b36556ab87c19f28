using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Internal;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef` runs it

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// The aggregate's storage options in migration files and snapshots (in process, with the services `dotnet ef` uses),
/// their checks at model-build time, and their version gating.
/// </summary>
public class ContinuousAggregateStorageDesignTimeTests
{
    private const string Nowhere = "Host=127.0.0.1;Port=1;Username=nobody;Timeout=1";

    private static Action<ContinuousAggregateBuilder> Everything => c => c
        .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
        .WithRefreshOptions(r => r.BucketsPerBatch(5).MaxBatchesPerExecution(3).NewestFirst(false).IncludeTieredData(false))
        .WithChunkInterval(TimeSpan.FromDays(20))
        .CreateGroupIndexes(false)
        .WithColumnstore(cs => cs.SegmentBy("DeviceId").OrderBy("Bucket DESC"))
        .WithColumnstorePolicy(TimeSpan.FromDays(30))
        .WithRetentionPolicy("1 year", s => s.Every(TimeSpan.FromHours(12)));

    [Fact]
    public void The_migration_writes_every_option_compiles_and_its_snapshot_diffs_empty()
    {
        using var context = CaggModels.Context(Nowhere, CaggModels.Model("metrics", "hourly_metrics", Everything));
        var provider = DesignTime.Services(context);
        var migration = provider.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        var code = migration.MigrationCode;

        Assert.Contains(
            """
                        migrationBuilder.CreateContinuousAggregate(
                            // Created empty; RefreshContinuousAggregate below (or the refresh policy) computes its rows.
                            name: "hourly_metrics",
                            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM metrics GROUP BY 1, 2",
                            materializedOnly: true,
                            createGroupIndexes: false,
                            chunkInterval: "20 days");
            """,
            code,
            StringComparison.Ordinal);
        Assert.Contains(
            """
                        migrationBuilder.SetContinuousAggregateColumnstore(
                            name: "hourly_metrics",
                            segmentBy: "device_id",
                            orderBy: "bucket DESC");
            """,
            code,
            StringComparison.Ordinal);
        Assert.Contains(
            """
                            scheduleInterval: "1 hour",
                            bucketsPerBatch: 5,
                            maxBatchesPerExecution: 3,
                            refreshNewestFirst: false,
                            includeTieredData: false);
            """,
            code,
            StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.AddColumnstorePolicy(", code, StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.AddRetentionPolicy(", code, StringComparison.Ordinal);

        var compiled = Compile(migration.SnapshotCode, migration.MigrationCode, migration.MetadataCode);
        var snapshot = (ModelSnapshot)Activator.CreateInstance(compiled.GetTypes().Single(t => t.IsSubclassOf(typeof(ModelSnapshot))))!;
        var lastModel = provider.GetRequiredService<ISnapshotModelProcessor>().Process(snapshot.Model)!;
        var differ = provider.GetRequiredService<IMigrationsModelDiffer>();
        Assert.Empty(differ.GetDifferences(lastModel.GetRelationalModel(), context.DesignModel.GetRelationalModel()));

        // The migration's operations, run through the migration-file API, are the differ's.
        var migrationType = compiled.GetTypes().Single(t => t.IsSubclassOf(typeof(Migration)));
        var applied = (Migration)Activator.CreateInstance(migrationType)!;
        var fromFile = applied.UpOperations.OfType<TimescaleMigrationOperation>().Select(o => (o.GetType().Name, o.Describe())).ToList();
        var fromDiffer = context.DiffFrom(null).OfType<TimescaleMigrationOperation>().Select(o => (o.GetType().Name, o.Describe())).ToList();
        Assert.Equal(fromDiffer, fromFile);
        var add = Assert.Single(applied.UpOperations.OfType<AddContinuousAggregatePolicyOperation>());
        Assert.Equal((5, 3, false, false), (add.BucketsPerBatch, add.MaxBatchesPerExecution, add.RefreshNewestFirst, add.IncludeTieredData));

        // Down drops the view (and with it its jobs) before the table.
        var down = code[code.IndexOf("protected override void Down", StringComparison.Ordinal)..];
        Assert.True(down.IndexOf("DropContinuousAggregate(", StringComparison.Ordinal) < down.IndexOf("DropTable(", StringComparison.Ordinal));
    }

    [Fact]
    public void A_snapshot_from_before_these_options_shows_no_changes()
    {
        // A model without any of the options: what every existing snapshot holds.
        using var before = CaggModels.Context(Nowhere, CaggModels.Model("metrics", "hourly_metrics", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))));
        using var same = CaggModels.Context(Nowhere, CaggModels.Model("metrics", "hourly_metrics", c => c.WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).CreateGroupIndexes(true)));
        Assert.Empty(same.DiffFrom(before));
        Assert.DoesNotContain(before.DesignModel.GetEntityTypes().SelectMany(e => e.GetAnnotations()), a => a.Name is ContinuousAggregateAnnotationNames.ChunkInterval or ContinuousAggregateAnnotationNames.RefreshOptions or ContinuousAggregateAnnotationNames.CreateGroupIndexes);
    }

    [Fact]
    public void Refresh_options_without_a_refresh_policy_are_refused_when_the_model_is_built()
    {
        using var context = CaggModels.Context(Nowhere, CaggModels.Model("metrics", "hourly_metrics", c => c.WithRefreshOptions(r => r.BucketsPerBatch(5))));
        var error = Assert.Throws<InvalidOperationException>(() => context.DesignModel);
        Assert.Contains("entity 'HourlyMetric'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no refresh policy", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: add WithRefreshPolicy(...)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(null, -1)]
    public void Batch_sizes_TimescaleDB_refuses_are_refused_by_the_builder(int? buckets, int? batches)
    {
        using var context = CaggModels.Context(Nowhere, CaggModels.Model("metrics", "hourly_metrics", c => c
            .WithRefreshPolicy(TimeSpan.FromDays(3), TimeSpan.FromHours(1), TimeSpan.FromHours(1))
            .WithRefreshOptions(r =>
            {
                if (buckets is { } b)
                {
                    r.BucketsPerBatch(b);
                }

                if (batches is { } m)
                {
                    r.MaxBatchesPerExecution(m);
                }
            })));
        var error = Assert.Throws<InvalidOperationException>(() => context.DesignModel);
        Assert.Contains(buckets is null ? "MaxBatchesPerExecution" : "BucketsPerBatch", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_columnstore_policy_without_the_columnstore_is_refused_when_the_model_is_built()
    {
        using var context = CaggModels.Context(Nowhere, CaggModels.Model("metrics", "hourly_metrics", c => c.WithColumnstorePolicy(TimeSpan.FromDays(30))));
        var error = Assert.Throws<InvalidOperationException>(() => context.DesignModel);
        Assert.Contains("entity 'HourlyMetric'", error.Message, StringComparison.Ordinal);
        Assert.Contains("WithColumnstore(", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chunk_interval_in_months_is_refused_when_the_model_is_built()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            using var context = CaggModels.Context(Nowhere, CaggModels.Model("metrics", "hourly_metrics", c => c.WithChunkInterval("1 month")));
            _ = context.DesignModel;
        });
        Assert.Contains("entity 'HourlyMetric'", error.Message, StringComparison.Ordinal);
        Assert.Contains("chunkInterval", error.Message, StringComparison.Ordinal);
    }

    private static string Sql(Version version, TimescaleMissingBehavior behavior, CollectingLoggerProvider? logs = null)
    {
        using var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs ?? new CollectingLoggerProvider()));
        using var context = CaggModels.Context(
            Nowhere,
            CaggModels.Model("metrics", "hourly_metrics", Everything),
            loggerFactory,
            t => t.TargetVersion(version).WhenTimescaleMissing(behavior));
        return context.Sql(context.DiffFrom(null));
    }

    [Fact]
    public void On_older_servers_the_options_use_the_older_api_or_are_gated_by_version()
    {
        // 2.20+: the chunk interval in the WITH clause and every refresh option.
        var current = Sql(new Version(2, 29), TimescaleMissingBehavior.Strict);
        Assert.Contains("timescaledb.chunk_interval = '20 days'", current, StringComparison.Ordinal);
        Assert.Contains("buckets_per_batch => 5, max_batches_per_execution => 3, refresh_newest_first => false", current, StringComparison.Ordinal);

        // 2.19: set_partitioning_interval on the materialization hypertable; refresh_newest_first does not exist yet.
        var error = Assert.Throws<InvalidOperationException>(() => Sql(new Version(2, 19), TimescaleMissingBehavior.Strict));
        Assert.Contains("refresh_newest_first", error.Message, StringComparison.Ordinal);
        Assert.Contains("2.20", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);

        var logs = new CollectingLoggerProvider();
        var degraded = Sql(new Version(2, 19), TimescaleMissingBehavior.Degrade, logs);
        Assert.DoesNotContain("timescaledb.chunk_interval", degraded, StringComparison.Ordinal);
        Assert.Contains("set_partitioning_interval(format('%I.%I', mat.schema_name, mat.table_name)::regclass, INTERVAL '20 days')", degraded, StringComparison.Ordinal);
        Assert.Contains("buckets_per_batch => 5, max_batches_per_execution => 3);", degraded, StringComparison.Ordinal);
        var warning = Assert.Single(logs.Events, e => e.Id == TimescaleEventId.FeatureSkipped);
        Assert.Contains("refresh_newest_first", warning.Message, StringComparison.Ordinal);
        Assert.Contains("2.20", warning.Message, StringComparison.Ordinal);

        // 2.17: the compression names for the columnstore, and no tiering option yet.
        var oldLogs = new CollectingLoggerProvider();
        var old = Sql(new Version(2, 17), TimescaleMissingBehavior.Degrade, oldLogs);
        Assert.Contains("ALTER MATERIALIZED VIEW hourly_metrics SET (timescaledb.compress = true, timescaledb.compress_segmentby = 'device_id', timescaledb.compress_orderby = 'bucket DESC');", old, StringComparison.Ordinal);
        Assert.DoesNotContain("include_tiered_data", old, StringComparison.Ordinal);
        Assert.Equal(4, oldLogs.Events.Count(e => e.Id == TimescaleEventId.FeatureSkipped));

        // Before 2.13 there is no set_partitioning_interval: the older name sets the materialization's interval.
        var oldest = Sql(new Version(2, 12), TimescaleMissingBehavior.Degrade, new CollectingLoggerProvider());
        Assert.Contains("set_chunk_time_interval(format('%I.%I', mat.schema_name, mat.table_name)::regclass, INTERVAL '20 days')", oldest, StringComparison.Ordinal);
        Assert.DoesNotContain("set_partitioning_interval", oldest, StringComparison.Ordinal);
    }

    private static System.Reflection.Assembly Compile(params string[] code)
    {
        var references = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && !string.IsNullOrEmpty(a.Location))
            .Select(a => MetadataReference.CreateFromFile(a.Location));
        var compilation = CSharpCompilation.Create(
            "Snapshot" + Guid.NewGuid().ToString("N"),
            code.Select(c => CSharpSyntaxTree.ParseText(c)),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return System.Reflection.Assembly.Load(stream.ToArray());
    }
}
