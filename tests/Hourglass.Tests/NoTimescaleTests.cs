using Hourglass.Testing;
using Npgsql;
using Xunit;

namespace Hourglass.Tests;

/// <summary>On PostgreSQL without TimescaleDB: the server read says so, lists are empty, calls that name something fail clearly.</summary>
public sealed class NoTimescaleTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Server_reads_lists_are_empty_and_calls_name_the_missing_extension()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        await using (var create = dataSource.CreateCommand("CREATE TABLE IF NOT EXISTS metrics (time timestamptz NOT NULL, v int)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var client = dataSource.Timescale();
        var server = await client.GetServerAsync();
        Assert.False(server.IsInstalled);
        Assert.Equal(TimescaleEdition.None, server.Edition);
        Assert.Null(server.TimescaleVersion);
        Assert.Equal(15, server.PostgresMajor);
        Assert.False(server.IsSchedulerRunning);

        Assert.Empty(await client.GetHypertablesAsync());
        Assert.Empty(await client.GetContinuousAggregatesAsync());
        Assert.Empty(await client.GetJobsAsync());
        Assert.Empty(await client.GetJobErrorsAsync());

        var calls = new Func<Task>[]
        {
            () => client.GetHypertableAsync("metrics"),
            () => client.GetChunksAsync("metrics"),
            () => client.DropChunksAsync("metrics", ChunkFilter.Older(TimeSpan.FromDays(1))),
            () => client.ConvertChunksToColumnstoreAsync("metrics"),
            () => client.ConvertChunksToRowstoreAsync("metrics"),
            () => client.MergeChunksAsync(["a", "b"]),
            () => client.ReorderChunkAsync("metrics"),
            () => client.GetContinuousAggregateAsync("metrics"),
            () => client.RefreshContinuousAggregateAsync("metrics", null, DateTimeOffset.UtcNow),
            () => client.GetJobAsync(1000),
            () => client.RunJobAsync(JobSelector.Policy("metrics", JobKind.Retention)),
            () => client.PauseJobAsync(1000),
            () => client.ResumeJobAsync(1000),
            () => client.AlterJobAsync(1000, new JobChanges { MaxRetries = 1 }),
            () => client.DeleteJobAsync(1000),
        };
        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<TimescaleException>(call);
            Assert.Contains("TimescaleDB, which is not installed", error.Message, StringComparison.Ordinal);
            Assert.Contains(fixture.Database.DatabaseName, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_connection_client_opens_and_closes_a_closed_connection()
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        var server = await connection.Timescale().GetServerAsync();
        Assert.Equal(fixture.Database.DatabaseName, server.Database);
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
    }
}
