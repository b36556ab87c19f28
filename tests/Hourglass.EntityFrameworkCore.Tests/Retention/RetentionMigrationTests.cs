using Hourglass.EntityFrameworkCore.Retention;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Retention;

/// <summary>Retention policies migrated on the embedded TimescaleDB, read back from its catalog and run.</summary>
public class RetentionMigrationTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build) => ModelContext.Create(Db.ConnectionString, build);

    [Fact]
    public async Task Policy_is_created_changed_removed_and_restored_by_down()
    {
        const string table = "rt_lifecycle";
        await using var v1 = Context(Readings(table, h => h.WithRetentionPolicy(dropAfter: TimeSpan.FromDays(90))));
        await using var v2 = Context(Readings(table, h => h.WithRetentionPolicy("6 months")));
        await using var v3 = Context(Readings(table, h => { }));

        var create = v1.DiffFrom(null);
        Assert.Contains("SELECT add_retention_policy('rt_lifecycle', drop_after => INTERVAL '90 days');", v1.Sql(create), StringComparison.Ordinal);
        await v1.ApplyAsync(create);
        Assert.Contains("\"drop_after\": \"90 days\"", await JobConfigAsync(Db, table, "policy_retention"), StringComparison.Ordinal);
        Assert.Empty(v1.DiffFrom(v1));

        var change = v2.DiffFrom(v1);
        Assert.Equal([typeof(RemoveRetentionPolicyOperation), typeof(AddRetentionPolicyOperation)], change.Select(o => o.GetType()));
        await v2.ApplyAsync(change);
        Assert.Contains("\"drop_after\": \"6 mons\"", await JobConfigAsync(Db, table, "policy_retention"), StringComparison.Ordinal);
        Assert.Equal(1, await JobCountAsync(Db, table));

        var remove = v3.DiffFrom(v2);
        Assert.IsType<RemoveRetentionPolicyOperation>(Assert.Single(remove));
        Assert.Contains("SELECT remove_retention_policy('rt_lifecycle', if_exists => TRUE);", v3.Sql(remove), StringComparison.Ordinal);
        await v3.ApplyAsync(remove);
        Assert.Null(await JobConfigAsync(Db, table, "policy_retention"));

        await v2.ApplyAsync(v2.DiffFrom(v3));
        Assert.Contains("\"drop_after\": \"6 mons\"", await JobConfigAsync(Db, table, "policy_retention"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Running_the_policy_drops_old_chunks_and_their_rows()
    {
        const string table = "rt_run";
        await using var context = Context(Readings(table, h => h.WithRetentionPolicy("30 days")));
        await MigrateAsync(null, context);
        // A native scheduler runs the new policy at once: had it run between the insert and the count, nothing would be left to drop.
        await PauseJobAsync(Db, table, "policy_retention");
        await InsertHoursAsync(Db, table, 120);
        var chunksBefore = await ChunksAsync(Db, table);

        await RunJobAsync(Db, table, "policy_retention");

        Assert.True(await ChunksAsync(Db, table) < chunksBefore - 5);
        // Whole chunks go: nothing older than 30 days plus one 7-day chunk is left, and the last 30 days are all there.
        Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE \"Time\" < now() - interval '37 days'"));
        Assert.Equal(30 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE \"Time\" > now() - interval '30 days'"));
    }

    [Fact]
    public async Task Renaming_the_table_removes_the_old_policy_under_the_old_name()
    {
        await using var v1 = Context(Readings("rt_rename_a", h => h.WithRetentionPolicy("30 days")));
        await using var v2 = Context(Readings("rt_rename_b", h => h.WithRetentionPolicy("60 days")));
        await MigrateAsync(null, v1);

        var operations = v2.DiffFrom(v1);
        var remove = Assert.IsType<RemoveRetentionPolicyOperation>(operations[0]);
        Assert.Equal("rt_rename_a", remove.Table);
        Assert.Contains(operations, o => o is Microsoft.EntityFrameworkCore.Migrations.Operations.RenameTableOperation);
        Assert.Equal("rt_rename_b", Assert.IsType<AddRetentionPolicyOperation>(operations[^1]).Table);
        await v2.ApplyAsync(operations);

        Assert.Contains("\"drop_after\": \"60 days\"", await JobConfigAsync(Db, "rt_rename_b", "policy_retention"), StringComparison.Ordinal);
        Assert.Equal(1, await JobCountAsync(Db, "rt_rename_b"));
        Assert.Empty(v2.DiffFrom(v2));
    }

    [Fact]
    public async Task Attribute_declares_the_same_policy_as_the_fluent_api()
    {
        await using var attribute = Context(b => b.Entity<RetainedReading>().HasKey(x => new { x.Time, x.DeviceId }));
        var add = Assert.Single(attribute.DiffFrom(null).OfType<AddRetentionPolicyOperation>());
        Assert.Equal("90 days", add.DropAfter);
        await using var fluent = Context(b => b.Entity<RetainedReading>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithRetentionPolicy(TimeSpan.FromDays(90));
        }));
        Assert.Empty(fluent.DiffFrom(attribute));
    }
}

[Hypertables.Hypertable(nameof(Time))]
[RetentionPolicy("2160 hours")]
public class RetainedReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}
