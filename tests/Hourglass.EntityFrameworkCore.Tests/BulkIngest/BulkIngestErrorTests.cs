using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

/// <summary>Bad input: a clear error naming entity, property and fix, and nothing written.</summary>
public sealed class BulkIngestErrorTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    private readonly TestDatabase _database = fixture.Database;

    private async Task<IngestContext> NewTablesAsync()
    {
        var context = IngestContext.Create(_database.ConnectionString, Rows.Suffix());
        await context.CreateTablesAsync(hypertables: false);
        return context;
    }

    [Fact]
    public async Task Entity_not_in_the_model_is_refused_with_the_fix()
    {
        await using var context = IngestContext.Create(_database.ConnectionString, Rows.Suffix());

        var error = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkInsertAsync([new NotMapped { Id = 1 }]));

        Assert.Equal("NotMapped is not an entity type of IngestContext's model, so there is no table to copy into. Add it to the model (a DbSet<NotMapped> property or modelBuilder.Entity<NotMapped>()).", error.Message);
        Assert.Equal("NotMapped", error.EntityType);
    }

    [Fact]
    public async Task Keyless_entity_cannot_be_upserted()
    {
        await using var context = await NewTablesAsync();

        var error = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync([new KeylessReading { Time = Rows.Start, Value = 1 }]));

        Assert.Equal("KeylessReading is keyless, so an upsert has no key to detect existing rows. Give it a key (HasKey(...)), or name a unique index with On(...) or OnIndex(...), or use BulkInsertAsync.", error.Message);
        Assert.Equal(0, await context.KeylessReadings.CountAsync());
    }

    [Fact]
    public async Task Conflict_target_that_is_not_unique_is_refused_and_lists_the_unique_targets()
    {
        await using var context = await NewTablesAsync();
        var rows = new[] { new Observation { Time = Rows.Start, SeriesCode = "x", Value = 1 } };

        var byProperties = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows, c => c.On(o => new { o.SeriesCode, o.Value })));
        var byIndex = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows, c => c.OnIndex($"ix_observations_{context.Suffix}_value")));

        Assert.Equal(
            "(SeriesCode, Value) of Observation is not the primary key or a unique index of the model, so PostgreSQL cannot use it as ON CONFLICT target. " +
            "Declare HasIndex(x => new { x.SeriesCode, x.Value }).IsUnique() (and create it in the database), or choose an existing target; " +
            $"it has primary key (Id, Time); unique index uq_observations_{context.Suffix}_natural (SeriesCode, Time).",
            byProperties.Message);
        Assert.Equal("Observation", byProperties.EntityType);
        Assert.StartsWith($"Index ix_observations_{context.Suffix}_value of Observation is not a unique index without filter, so PostgreSQL cannot use it as ON CONFLICT target.", byIndex.Message);
        Assert.Equal(0, await context.Observations.CountAsync());
    }

    [Fact]
    public async Task Null_in_a_not_null_column_names_the_row_and_property_and_writes_nothing()
    {
        await using var context = await NewTablesAsync();
        var rows = Rows.Metrics(10_000).Select((m, i) =>
        {
            if (i == 4_321)
            {
                m.DeviceId = null!;
            }

            return m;
        });

        var insert = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkInsertAsync(rows));
        var upsert = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows));

        Assert.Equal(
            "Row 4321 (zero-based position in the source) of Metric has null in DeviceId, but column \"device_id\" is NOT NULL. " +
            "Give DeviceId a value in every row, or make it optional in the model and the database (IsRequired(false)). Nothing was written.",
            insert.Message);
        Assert.Equal((4_321L, "DeviceId", "Metric"), (insert.RowIndex!.Value, insert.Property, insert.EntityType));
        Assert.Equal(insert.Message, upsert.Message);
        Assert.Equal(0, await context.Metrics.CountAsync());
    }

    [Fact]
    public async Task Null_row_is_refused_with_its_position()
    {
        await using var context = await NewTablesAsync();

        var error = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkInsertAsync(Rows.Metrics(3).Append(null!)));

        Assert.Equal("Row 3 (zero-based position in the source) of Metric is null. Remove null rows from the source. Nothing was written.", error.Message);
        Assert.Equal(0, await context.Metrics.CountAsync());
    }

    [Fact]
    public async Task Server_constraint_failure_is_reported_with_the_row_position_and_nothing_is_written()
    {
        await using var context = await NewTablesAsync();
        var table = $"metrics_{context.Suffix}";
        await _database.ExecuteAsync($"ALTER TABLE {table} ADD CONSTRAINT {table}_value_positive CHECK (value >= 0)");
        var rows = Rows.Metrics(20_000).Select((m, i) =>
        {
            if (i == 12_345)
            {
                m.Value = -1;
            }

            return m;
        }).ToList();

        var insert = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkInsertAsync(rows));
        var upsert = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows));
        var batched = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows, options: new BulkInsertOptions { CommitEvery = 5_000 }));

        Assert.StartsWith(
            $"The server refused row 12345 (zero-based position in the source) of Metric in \"{table}\": new row for relation",
            insert.Message);
        Assert.Contains($"violates check constraint \"{table}_value_positive\"", insert.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing of this transaction was written.", insert.Message, StringComparison.Ordinal);
        Assert.Equal(12_345, insert.RowIndex);
        Assert.Equal(12_345, upsert.RowIndex);
        Assert.Equal(12_345, batched.RowIndex);
        Assert.Contains("Batches committed before it are kept", batched.Message, StringComparison.Ordinal);
        Assert.Equal(10_000, await context.Metrics.CountAsync());
    }

    [Fact]
    public async Task Duplicate_key_in_an_insert_is_reported_with_the_row_position()
    {
        await using var context = await NewTablesAsync();
        var rows = Rows.Metrics(1_000).Concat(Rows.Metrics(1));

        var error = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkInsertAsync(rows));

        Assert.Equal(1_000, error.RowIndex);
        Assert.Contains("duplicate key value violates unique constraint", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await context.Metrics.CountAsync());
    }

    [Fact]
    public async Task Update_of_a_key_column_is_refused()
    {
        await using var context = await NewTablesAsync();
        var rows = new[] { new Observation { Time = Rows.Start, SeriesCode = "x", Value = 1 } };

        var key = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows, c => c.On(o => new { o.SeriesCode, o.Time }).DoUpdate(o => o.SeriesCode)));

        Assert.Equal("Observation.SeriesCode is part of the conflict target and cannot be updated by DoUpdate(...). Name only properties outside the key.", key.Message);
    }
}
