using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Operations;

public class SensorReading
{
    public DateTime Time { get; set; }

    public int DeviceId { get; set; }

    public double Value { get; set; }
}

/// <summary>The catalog library keyed by entity type: table and schema from the model, snake_case names and a custom schema.</summary>
public class TimescaleOperationsTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Chunks_conversion_and_jobs_by_entity_type_with_snake_case_and_a_custom_schema()
    {
        var schema = $"hgefops{Guid.NewGuid():N}"[..16];
        await using var context = ModelContext.Create(Db.ConnectionString, b =>
        {
            b.HasDefaultSchema(schema);
            b.Entity<SensorReading>(e =>
            {
                e.HasKey(r => new { r.DeviceId, r.Time });
                e.IsHypertable(r => r.Time).WithChunkInterval("1 day")
                    .WithColumnstore(c => c.SegmentBy(r => r.DeviceId))
                    .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(30));
            });
        }, snakeCase: true);
        try
        {
            await context.ApplyAsync(context.DiffFrom(null));
            await Db.ExecuteAsync($"""
                INSERT INTO {schema}.sensor_reading (time, device_id, value)
                SELECT date_trunc('day', now() AT TIME ZONE 'UTC') - d * INTERVAL '1 day' + i * INTERVAL '10 minutes', dev, i
                FROM generate_series(0, 3) d, generate_series(0, 143) i, generate_series(1, 3) dev
                """);

            Assert.Equal($"{schema}.sensor_reading", context.TimescaleRelationOf<SensorReading>());
            var chunks = await context.ChunksAsync<SensorReading>();
            Assert.Equal(await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{schema}.sensor_reading')"), chunks.Count);
            Assert.All(chunks, c => Assert.Equal(("sensor_reading", schema), (c.HypertableName, c.HypertableSchema)));

            var older = await Db.ScalarAsync<long>($"SELECT count(*) FROM show_chunks('{schema}.sensor_reading', older_than => INTERVAL '1 day')");
            Assert.True(older >= 2);
            var converted = await context.Database.ConvertChunksToColumnstoreAsync<SensorReading>(olderThan: TimeSpan.FromDays(1));
            Assert.Equal(older, converted.Count);
            Assert.Equal(older, await Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = '{schema}' AND is_compressed"));

            var retention = Assert.Single(await context.JobsAsync<SensorReading>(JobKind.Retention));
            Assert.Equal(await Db.ScalarAsync<int>($"SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_schema = '{schema}' AND proc_name = 'policy_retention'"), retention.Id);
            Assert.Empty(await context.JobsAsync<SensorReading>(JobKind.Reorder));

            var paused = await context.Database.Timescale().PauseJobAsync(context.PolicyOf<SensorReading>(JobKind.Retention));
            Assert.Equal(retention.Id, paused.Id);
            Assert.False(await Db.ScalarAsync<bool>($"SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = {retention.Id}"));

            // On the context's own connection and transaction: a rolled-back pause leaves the job paused state unchanged.
            await using (var transaction = await context.Database.BeginTransactionAsync())
            {
                await context.Database.Timescale().ResumeJobAsync(retention.Id);
                await transaction.RollbackAsync();
            }

            Assert.False(await Db.ScalarAsync<bool>($"SELECT scheduled FROM timescaledb_information.jobs WHERE job_id = {retention.Id}"));

            var error = Assert.Throws<InvalidOperationException>(() => context.TimescaleRelationOf<TimescaleOperationsTests>());
            Assert.Contains("is not an entity type", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await Db.ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
    }
}
