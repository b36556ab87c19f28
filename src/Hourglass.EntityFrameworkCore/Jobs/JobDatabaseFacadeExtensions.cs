using Hourglass;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Runs TimescaleDB jobs on demand.</summary>
public static class JobDatabaseFacadeExtensions
{
    /// <summary>
    /// Runs the job of <paramref name="procedure"/> now, in this session (<c>CALL run_job(job_id)</c>), and waits for it. Useful in
    /// tests and on servers without the background scheduler. Must be called outside a transaction: policies commit as they go.
    /// Runs through the Hourglass catalog library (<c>connection.Timescale().RunJobAsync</c>): as long as the job needs,
    /// until <paramref name="cancellationToken"/> cancels it.
    /// </summary>
    /// <param name="database">The context's database facade.</param>
    /// <param name="procedure">The procedure, as declared with <c>HasJob</c>: <c>name</c> or <c>schema.name</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The job's id.</returns>
    public static async Task<int> RunJobAsync(this DatabaseFacade database, string procedure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(procedure);
        if (database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException($"RunJobAsync(\"{procedure}\") cannot run inside a transaction: TimescaleDB's jobs commit as they go. Commit or roll back the transaction first.");
        }

        await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var client = ((NpgsqlConnection)database.GetDbConnection()).Timescale();
            Job job;
            try
            {
                job = await client.RunJobAsync(JobSelector.Named(procedure), cancellationToken).ConfigureAwait(false);
            }
            catch (TimescaleException missing) when (missing.IsNotFound)
            {
                throw new InvalidOperationException(
                    $"There is no TimescaleDB job for procedure {procedure} in this database. Fix: declare it with modelBuilder.HasJob(\"{procedure}\", ...) and apply the migration.",
                    missing);
            }

            return job.Id;
        }
        finally
        {
            await database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }
}
