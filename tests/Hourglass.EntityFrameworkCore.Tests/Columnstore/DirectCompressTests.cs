using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

#pragma warning disable EF1001 // EF's design-time services, as `dotnet ef` runs them

namespace Hourglass.EntityFrameworkCore.Tests.Columnstore;

/// <summary>
/// Direct compress (<c>timescaledb.direct_compress</c>, 2.29+): turned on in place, COPY then writes columnstore chunks,
/// scaffolded back without TimescaleDB's own policies, turned off by Down; refused (Strict) or skipped (Degrade) before 2.29.
/// </summary>
public class DirectCompressTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string Offline = "Host=127.0.0.1;Port=1;Username=nobody";

    private TestDatabase Db => fixture.Database;

    private static Action<ModelBuilder> Model(string table, bool direct, string? schema = null) => b =>
    {
        if (schema is not null)
        {
            b.HasDefaultSchema(schema);
        }

        // Keyless: TimescaleDB turns direct compress off for a table with a primary key or unique index.
        b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable(table);
            e.HasNoKey();
            e.HasIndex(x => new { x.DeviceId, x.Time });
            e.IsHypertable(x => x.Time).WithChunkInterval("7 days").WithColumnstore(c =>
            {
                c.SegmentBy(x => x.DeviceId).OrderBy("Time DESC");
                if (direct)
                {
                    c.DirectCompress();
                }
            });
        });
    };

    private async Task<Version> ServerVersionAsync()
        => TimescaleServerTarget.ParseVersion(await Db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))!;

    private async Task CopyAsync(string table, DateTime from, int rows)
    {
        await using var connection = await Db.OpenAsync();
        await using var writer = await connection.BeginBinaryImportAsync($"COPY \"{Db.Schema}\".\"{table}\" (\"Time\", \"DeviceId\", \"Recorded\", \"Value\") FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < rows; i++)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(from.AddMinutes(i), NpgsqlTypes.NpgsqlDbType.Timestamp);
            await writer.WriteAsync(i % 3, NpgsqlTypes.NpgsqlDbType.Integer);
            await writer.WriteAsync(from, NpgsqlTypes.NpgsqlDbType.Timestamp);
            await writer.WriteAsync((double)i, NpgsqlTypes.NpgsqlDbType.Double);
        }

        await writer.CompleteAsync();
    }

    /// <summary>"none", "all" or "some" of the table's chunks holding rows of the 3 days from <paramref name="from"/> are columnstore chunks.</summary>
    private Task<string> ChunksFromAsync(string table, DateTime from) => Db.ScalarAsync<string>($"""
        SELECT CASE WHEN count(*) = 0 THEN 'no chunks' WHEN bool_and(is_compressed) THEN 'all' WHEN NOT bool_or(is_compressed) THEN 'none' ELSE 'some' END
        FROM timescaledb_information.chunks
        WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'
          AND range_end > '{from:yyyy-MM-dd}'::timestamp AND range_start < '{from.AddDays(3):yyyy-MM-dd}'::timestamp
        """);

    private async Task<bool> DirectCompressOnAsync(string table)
    {
        await using var dataSource = NpgsqlDataSource.Create(Db.ConnectionString);
        return (await dataSource.Timescale().GetDirectCompressHypertablesAsync()).Any(d => d.Schema == Db.Schema && d.Table == table);
    }

    private Task<long> JobsAsync(string table) => Db.ScalarAsync<long>($"""
        SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'
        """);

    [Fact]
    public async Task Direct_compress_is_turned_on_in_place_COPY_writes_columnstore_chunks_and_it_scaffolds_back_or_is_refused_before_2_29()
    {
        const string table = "dc_readings";
        await using var rowstore = ModelContext.Create(Db.ConnectionString, Model(table, false, Db.Schema));
        await using var direct = ModelContext.Create(Db.ConnectionString, Model(table, true, Db.Schema));
        var version = await ServerVersionAsync();
        if (version < DirectCompressHypertable.Since)
        {
            await using var strict = ModelContext.Create(Db.ConnectionString, Model(table, true, Db.Schema), t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict));
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => strict.ApplyAsync(strict.DiffFrom(null)));
            Assert.Contains($"direct compress on for hypertable \"{Db.Schema}\".\"{table}\" needs TimescaleDB 2.29 or later; this server is {version}", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{table}'"));

            var logs = new CollectingLoggerProvider();
            using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
            await using var degrade = ModelContext.Create(Db.ConnectionString, Model(table, true, Db.Schema), loggerFactory: loggerFactory);
            await MigrateAsync(null, degrade);
            var warning = Assert.Single(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("direct compress", StringComparison.Ordinal)).Message;
            Assert.Contains("2.29", warning, StringComparison.Ordinal);
            // The rest of the model is there: the hypertable with its columnstore; COPY writes rowstore chunks.
            await CopyAsync(table, new DateTime(2025, 1, 1), 3000);
            Assert.Equal("none", await ChunksFromAsync(table, new DateTime(2025, 1, 1)));
            Assert.True(await Db.ScalarAsync<bool>($"SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'"));
            Assert.False(await DirectCompressOnAsync(table));
            return;
        }

        // Without it, COPY writes rowstore chunks.
        await rowstore.ApplyAsync(rowstore.DiffFrom(null));
        await CopyAsync(table, new DateTime(2025, 1, 1), 3000);
        Assert.Equal("none", await ChunksFromAsync(table, new DateTime(2025, 1, 1)));
        Assert.Equal(0, await JobsAsync(table));

        // Turned on in place: the same hypertable, and COPY now writes columnstore chunks.
        var on = direct.DiffFrom(rowstore);
        Assert.True(Assert.IsType<SetDirectCompressOperation>(Assert.Single(on)).Enabled);
        await direct.ApplyAsync(on);
        Assert.True(await DirectCompressOnAsync(table));
        await CopyAsync(table, new DateTime(2025, 3, 1), 3000);
        Assert.Equal("all", await ChunksFromAsync(table, new DateTime(2025, 3, 1)));
        Assert.Equal(6000, await Db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""));
        Assert.Equal(2, await JobsAsync(table)); // TimescaleDB's compaction and columnstore policies
        Assert.Empty(direct.DiffFrom(direct));

        // Scaffolded back as DirectCompress(), without the two policies TimescaleDB runs for it; the model diffs empty.
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(direct), Db.ConnectionString, Db.Schema);
        Assert.Contains(".DirectCompress()", scaffolded.ContextFile.Code, StringComparison.Ordinal);
        Assert.DoesNotContain("ColumnstorePolicy", scaffolded.ContextFile.Code, StringComparison.Ordinal);
        Assert.DoesNotContain("policy_compaction", scaffolded.ContextFile.Code, StringComparison.Ordinal);
        await using var compiled = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var differences = direct.GetService<IMigrationsModelDiffer>()
            .GetDifferences(direct.DesignModel.GetRelationalModel(), compiled.GetService<IDesignTimeModel>().Model.GetRelationalModel())
            .Where(o => o is TimescaleMigrationOperation t && t.Table == table);
        Assert.Empty(differences);

        // Down: off in place; TimescaleDB removes its policies, and COPY writes rowstore chunks again.
        var off = rowstore.DiffFrom(direct);
        Assert.False(Assert.IsType<SetDirectCompressOperation>(Assert.Single(off)).Enabled);
        await rowstore.ApplyAsync(off);
        Assert.False(await DirectCompressOnAsync(table));
        Assert.Equal(0, await JobsAsync(table));
        await CopyAsync(table, new DateTime(2025, 6, 1), 3000);
        Assert.Equal("none", await ChunksFromAsync(table, new DateTime(2025, 6, 1)));
    }

    [Fact]
    public void Migration_files_call_SetDirectCompress_and_a_columnstore_policy_beside_it_is_refused()
    {
        using var context = ModelContext.Create(Offline, Model("conditions", true));
        var migration = DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        var code = migration.MigrationCode.ReplaceLineEndings("\n");
        Assert.Contains(
            """
                        migrationBuilder.SetDirectCompress(
                            table: "conditions",
                            enabled: true);
            """.ReplaceLineEndings("\n"),
            code,
            StringComparison.Ordinal);
        Assert.True(code.IndexOf("SetColumnstore(", StringComparison.Ordinal) < code.IndexOf("SetDirectCompress(", StringComparison.Ordinal));
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:DirectCompress\", true)", migration.SnapshotCode, StringComparison.Ordinal);
        using var targeted = ModelContext.Create(Offline, Model("conditions", true), t => t.TargetVersion(new Version(2, 29)));
        Assert.Contains("ALTER TABLE conditions SET (timescaledb.direct_compress = true);", targeted.Sql(targeted.DiffFrom(null)), StringComparison.Ordinal);

        using var attributed = ModelContext.Create(Offline, b => b.Entity<DirectReading>().HasNoKey());
        Assert.True(Assert.Single(attributed.DiffFrom(null).OfType<SetDirectCompressOperation>()).Enabled);

        using var keyed = ModelContext.Create(Offline, Readings("conditions", h => h.WithColumnstore(c => c.DirectCompress())));
        var keyError = Assert.ThrowsAny<InvalidOperationException>(() => keyed.DesignModel).Message;
        Assert.StartsWith("Columnstore on entity 'Reading<DateTime>', property 'Time, DeviceId': direct compress writes nothing to the columnstore while the table has a primary key", keyError, StringComparison.Ordinal);
        Assert.Contains("Fix: make the entity keyless (HasNoKey()", keyError, StringComparison.Ordinal);

        using var withPolicy = ModelContext.Create(Offline, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.HasNoKey();
            e.IsHypertable(x => x.Time).WithColumnstore(c => c.DirectCompress()).WithColumnstorePolicy("7 days");
        }));
        var error = Assert.ThrowsAny<InvalidOperationException>(() => withPolicy.DesignModel).Message;
        Assert.StartsWith("Columnstore on entity 'Reading<DateTime>', property 'DirectCompress': with direct compress TimescaleDB runs a columnstore policy of its own", error, StringComparison.Ordinal);
        Assert.Contains("Fix: remove WithColumnstorePolicy(...)", error, StringComparison.Ordinal);
    }
}

[Hypertable(nameof(Time))]
[Columnstore(SegmentBy = nameof(DeviceId), DirectCompress = true)]
public class DirectReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}
