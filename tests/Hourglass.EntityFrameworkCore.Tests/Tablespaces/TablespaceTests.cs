using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Tablespaces;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

#pragma warning disable EF1001 // EF's design-time services, as `dotnet ef` runs them

namespace Hourglass.EntityFrameworkCore.Tests.Tablespaces;

/// <summary>
/// Tablespaces attached to a hypertable: migrated, changed, undone, scaffolded back, and new chunks placed in them. The
/// tablespaces are in-place ones (<c>allow_in_place_tablespaces</c>, a directory under the data directory's pg_tblspc),
/// the only kind every engine can create: the embedded engine's file system is not the host's, so a host directory is
/// refused there (<c>MoveChunksCommandTests</c> shows that), while an in-place one works on all three servers.
/// </summary>
public class TablespaceTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string Offline = "Host=127.0.0.1;Port=1;Username=nobody";

    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build) => ModelContext.Create(Db.ConnectionString, b =>
    {
        b.HasDefaultSchema(Db.Schema);
        build(b);
    });

    private async Task<string> CreateInPlaceTablespaceAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..24];
        await using var connection = await Db.OpenAsync();
        // CREATE TABLESPACE refuses to run in a transaction, so each statement alone.
        foreach (var sql in new[] { "SET allow_in_place_tablespaces = on", $"CREATE TABLESPACE {name} LOCATION ''" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        return name;
    }

    private Task<string> AttachedAsync(string table) => Db.ScalarAsync<string>($"""
        SELECT coalesce(array_to_string(tablespaces, ','), '') FROM timescaledb_information.hypertables
        WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'
        """);

    private Task<List<string>> ChunkTablespacesAsync(string table) => Db.ColumnAsync<string>($"""
        SELECT DISTINCT coalesce(t.spcname::text, 'default') FROM show_chunks(format('%I.%I', current_schema(), '{table}')::regclass) c
        JOIN pg_class cl ON cl.oid = c LEFT JOIN pg_tablespace t ON t.oid = cl.reltablespace ORDER BY 1
        """);

    [Fact]
    public async Task Tablespaces_round_trip_place_new_chunks_and_scaffold_back()
    {
        const string table = "ts_readings";
        var fast = await CreateInPlaceTablespaceAsync("hg_fast");
        var archive = await CreateInPlaceTablespaceAsync("hg_archive");
        try
        {
            await using var v1 = Context(Readings(table, h => h.WithTablespaces(fast)));
            await using var v2 = Context(Readings(table, h => h.WithTablespaces(archive)));

            var create = v1.DiffFrom(null);
            Assert.Equal(fast, Assert.Single(create.OfType<AttachTablespaceOperation>()).Tablespace);
            await v1.ApplyAsync(create);
            Assert.Equal(fast, await AttachedAsync(table));
            Assert.Empty(v1.DiffFrom(v1));

            // New chunks go to the attached tablespace.
            await InsertHoursAsync(Db, table, 20);
            Assert.Equal([fast], await ChunkTablespacesAsync(table));

            // Change: the old one detached first (its chunks stay), the new one attached; new chunks go there.
            var change = v2.DiffFrom(v1);
            Assert.Equal([typeof(DetachTablespaceOperation), typeof(AttachTablespaceOperation)], change.Select(o => o.GetType()));
            await v2.ApplyAsync(change);
            Assert.Equal(archive, await AttachedAsync(table));
            await Db.ExecuteAsync($"""INSERT INTO "{table}" ("Time", "DeviceId", "Recorded", "Value") VALUES (now() - interval '400 days', 1, now(), 1)""");
            Assert.Equal(new[] { archive, fast }.Order(StringComparer.Ordinal), await ChunkTablespacesAsync(table));

            // Down restores the first model's tablespaces.
            await v1.ApplyAsync(v1.DiffFrom(v2));
            Assert.Equal(fast, await AttachedAsync(table));

            // Two at once, scaffolded back in order as WithTablespaces(a, b); the scaffolded model diffs empty.
            await using var both = Context(Readings(table, h => h.WithTablespaces(fast, archive)));
            var attachSecond = both.DiffFrom(v1);
            Assert.Equal(archive, Assert.Single(attachSecond.OfType<AttachTablespaceOperation>()).Tablespace);
            await both.ApplyAsync(attachSecond);
            Assert.Equal($"{fast},{archive}", await AttachedAsync(table));
            var scaffolded = DesignTime.Scaffold(DesignTime.Services(both), Db.ConnectionString, Db.Schema);
            Assert.Contains($".WithTablespaces(\"{fast}\", \"{archive}\")", scaffolded.ContextFile.Code, StringComparison.Ordinal);
            await using var compiled = DesignTime.Compile(Db.ConnectionString, scaffolded);
            var differences = both.GetService<IMigrationsModelDiffer>()
                .GetDifferences(both.DesignModel.GetRelationalModel(), compiled.GetService<IDesignTimeModel>().Model.GetRelationalModel())
                .Where(o => o is TimescaleMigrationOperation t && t.Table == table);
            Assert.Empty(differences);

            // A tablespace that does not exist: TimescaleDB's error names it, and the migration changes nothing.
            await using var missing = Context(Readings(table, h => h.WithTablespaces(fast, archive, "hg_no_such_space")));
            var error = await Assert.ThrowsAsync<PostgresException>(() => missing.ApplyAsync(missing.DiffFrom(both)));
            Assert.Contains("hg_no_such_space", error.MessageText, StringComparison.Ordinal);
            Assert.Equal($"{fast},{archive}", await AttachedAsync(table));
        }
        finally
        {
            // A tablespace is dropped only once empty: the hypertable (and its chunks in it) first.
            await Db.ExecuteAsync($"DROP TABLE IF EXISTS \"{table}\"");
            await Db.ExecuteAsync($"DROP TABLESPACE IF EXISTS {fast}");
            await Db.ExecuteAsync($"DROP TABLESPACE IF EXISTS {archive}");
        }
    }

    [Fact]
    public void Migration_files_call_AttachTablespace_and_bad_declarations_are_refused()
    {
        using var context = ModelContext.Create(Offline, Readings("conditions", h => h.WithTablespaces("fast", "archive")));
        var migration = DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        Assert.Contains(
            """
                        migrationBuilder.AttachTablespace(
                            table: "conditions",
                            tablespace: "fast");

                        migrationBuilder.AttachTablespace(
                            table: "conditions",
                            tablespace: "archive");
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);
        using var targeted = ModelContext.Create(Offline, Readings("Conditions", h => h.WithTablespaces("fast")), t => t.TargetVersion(new Version(2, 29)));
        Assert.Contains("SELECT attach_tablespace('fast', '\"Conditions\"');", targeted.Sql(targeted.DiffFrom(null)), StringComparison.Ordinal);

        using var attributed = ModelContext.Create(Offline, b => b.Entity<TablespacedReading>().HasKey(x => new { x.Time, x.DeviceId }));
        Assert.Equal(["fast", "archive"], attributed.DiffFrom(null).OfType<AttachTablespaceOperation>().Select(o => o.Tablespace));

        using var plain = ModelContext.Create(Offline, b => b.Entity<PlainTablespacedReading>().HasKey(x => new { x.Time, x.DeviceId }));
        var error = Assert.Throws<InvalidOperationException>(() => plain.Model).Message;
        Assert.StartsWith("Tablespaces on entity 'PlainTablespacedReading'", error, StringComparison.Ordinal);
        Assert.Contains("not a hypertable", error, StringComparison.Ordinal);
        Assert.Contains("Fix: declare the hypertable first", error, StringComparison.Ordinal);

        using var empty = ModelContext.Create(Offline, Readings("conditions", h => h.WithTablespaces(" ")));
        Assert.Contains("is empty or has spaces around it", Assert.Throws<InvalidOperationException>(() => empty.Model).Message, StringComparison.Ordinal);
        using var tooLong = ModelContext.Create(Offline, Readings("conditions", h => h.WithTablespaces(new string('t', 64))));
        Assert.Contains("longer than PostgreSQL's 63 bytes", Assert.Throws<InvalidOperationException>(() => tooLong.Model).Message, StringComparison.Ordinal);
    }
}

[Hypertable(nameof(Time))]
[HypertableTablespaces("fast", "archive")]
public class TablespacedReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}

[HypertableTablespaces("fast")]
public class PlainTablespacedReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}
