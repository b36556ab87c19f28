using Hourglass.EntityFrameworkCore.Reorder;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Reorder;

/// <summary>Reorder policies migrated on the embedded TimescaleDB, read back from its catalog and run.</summary>
public class ReorderMigrationTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build) => ModelContext.Create(Db.ConnectionString, build);

    [Fact]
    public async Task Policy_is_created_run_changed_removed_and_restored_by_down()
    {
        const string table = "ro_lifecycle";
        await using var v1 = Context(Readings(table, h => h.WithReorderPolicy("ix_ro_lifecycle_device_time")));
        await using var v2 = Context(Readings(
            table,
            h => h.WithReorderPolicy("ix_ro_value"),
            e => e.HasIndex(x => new { x.Value, x.Time }).HasDatabaseName("ix_ro_value")));
        await using var v3 = Context(Readings(table, h => { }, e => e.HasIndex(x => new { x.Value, x.Time }).HasDatabaseName("ix_ro_value")));

        var create = v1.DiffFrom(null);
        Assert.IsType<AddReorderPolicyOperation>(create[^1]);
        Assert.Contains("SELECT add_reorder_policy('ro_lifecycle', 'ix_ro_lifecycle_device_time');", v1.Sql(create), StringComparison.Ordinal);
        await v1.ApplyAsync(create);
        Assert.Contains("\"index_name\": \"ix_ro_lifecycle_device_time\"", await JobConfigAsync(Db, table, "policy_reorder"), StringComparison.Ordinal);

        // The policy reorders chunks other than the newest ones; run it over a month of rows.
        await InsertHoursAsync(Db, table, 30);
        await RunJobAsync(Db, table, "policy_reorder");
        Assert.Equal(30 * 24, await Db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
        Assert.True(await Db.ScalarAsync<long>($"""
            SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_index i ON i.indrelid = c.oid
            WHERE i.indisclustered AND c.oid IN (SELECT format('%I.%I', chunk_schema, chunk_name)::regclass FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}')
            """) >= 1);

        // A new index (created by EF first) replaces the old one in the policy.
        var change = v2.DiffFrom(v1);
        Assert.IsType<RemoveReorderPolicyOperation>(change[0]);
        Assert.IsType<AddReorderPolicyOperation>(change[^1]);
        await v2.ApplyAsync(change);
        Assert.Contains("\"index_name\": \"ix_ro_value\"", await JobConfigAsync(Db, table, "policy_reorder"), StringComparison.Ordinal);
        await RunJobAsync(Db, table, "policy_reorder");

        await v3.ApplyAsync(v3.DiffFrom(v2));
        Assert.Null(await JobConfigAsync(Db, table, "policy_reorder"));

        await v2.ApplyAsync(v2.DiffFrom(v3));
        Assert.Contains("\"index_name\": \"ix_ro_value\"", await JobConfigAsync(Db, table, "policy_reorder"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attribute_names_the_index_like_the_fluent_api()
    {
        await using var context = Context(b => b.Entity<ReorderedReading>(e =>
        {
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.HasIndex(x => new { x.DeviceId, x.Time }).HasDatabaseName("ix_reordered");
        }));
        var add = Assert.Single(context.DiffFrom(null).OfType<AddReorderPolicyOperation>());
        Assert.Equal("ix_reordered", add.IndexName);
    }
}

[Hypertables.Hypertable(nameof(Time))]
[ReorderPolicy("ix_reordered")]
public class ReorderedReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }
}
