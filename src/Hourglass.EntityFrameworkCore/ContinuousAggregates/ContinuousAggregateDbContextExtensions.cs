using Hourglass;
using System.Data.Common;
using System.Globalization;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>Operations on continuous aggregates that applications run by hand.</summary>
public static class ContinuousAggregateDbContextExtensions
{
    /// <summary>
    /// Materializes the buckets of <typeparamref name="TEntity"/>'s continuous aggregate that lie between
    /// <paramref name="from"/> and <paramref name="to"/>: <c>CALL refresh_continuous_aggregate(view, from, to)</c>. Only
    /// whole buckets inside the window are refreshed. TimescaleDB refuses to run it inside a transaction, so the context
    /// must have none open. On PostgreSQL without TimescaleDB (where Degrade made a plain materialized view) the whole
    /// view is refreshed with <c>REFRESH MATERIALIZED VIEW</c>.
    /// <para>
    /// When another session refreshes an overlapping window at the same moment (typically the aggregate's refresh policy,
    /// run by TimescaleDB's scheduler), TimescaleDB 2.27+ refuses the second refresh with SQLSTATE 55P03. This method then waits
    /// and tries again (100 ms, doubling up to 2 s between tries) until the refresh runs, for at most the command timeout
    /// (the context's, else the connection string's; 30 s by default; 0 waits until cancelled). If the other refresh is
    /// still running after that, it throws a <see cref="TimeoutException"/> that names the aggregate and carries the
    /// server's error.
    /// </para>
    /// </summary>
    /// <typeparam name="TEntity">An entity declared with <c>IsContinuousAggregate</c>.</typeparam>
    /// <param name="context">The context.</param>
    /// <param name="from">The window's start; null for the oldest data. For a <c>timestamp without time zone</c> bucket, its UTC time is used.</param>
    /// <param name="to">The window's end; null for the newest data.</param>
    /// <param name="cancellationToken">Cancels the wait for the command.</param>
    /// <exception cref="InvalidOperationException">The entity is not a continuous aggregate, or a transaction is open.</exception>
    /// <exception cref="TimeoutException">A concurrent refresh of an overlapping window outlasted the command timeout.</exception>
    public static async Task RefreshContinuousAggregateAsync<TEntity>(
        this DbContext context,
        DateTimeOffset? from,
        DateTimeOffset? to,
        CancellationToken cancellationToken = default)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var entityType = context.Model.FindEntityType(typeof(TEntity));
        if (entityType is null || ContinuousAggregateDefinition.Find(entityType) is null || entityType.GetViewName() is not { } view)
        {
            throw new InvalidOperationException(
                $"Entity '{typeof(TEntity).Name}' is not a continuous aggregate of this context's model, so there is nothing to refresh. "
                + $"Fix: declare it with modelBuilder.Entity<{typeof(TEntity).Name}>().IsContinuousAggregate(\"view_name\", sql).");
        }

        if (context.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException(
                $"Refreshing continuous aggregate '{view}' (entity '{entityType.DisplayName()}') inside a transaction is refused by TimescaleDB. "
                + "Fix: commit or dispose the context's transaction first, or use a context without one.");
        }

        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = (NpgsqlConnection)context.Database.GetDbConnection();
            var client = connection.Timescale();
            var timeout = context.Database.GetCommandTimeout() ?? connection.CommandTimeout;
            Func<Task> refresh;
            if ((await client.GetServerAsync(cancellationToken).ConfigureAwait(false)).IsInstalled)
            {
                var schema = entityType.GetViewSchema();
                var aggregate = schema is null ? view : $"{schema}.{view}";
                refresh = () => client.RefreshContinuousAggregateAsync(aggregate, from, to, cancellationToken);
            }
            else
            {
                // Degrade made a plain materialized view: refresh all of it.
                var whole = "REFRESH MATERIALIZED VIEW " + context.GetService<ISqlGenerationHelper>().DelimitIdentifier(view, entityType.GetViewSchema());
                refresh = () => context.Database.ExecuteSqlRawAsync(whole, cancellationToken);
            }

            await ConcurrentRefreshes.WaitOutAsync(
                refresh,
                timeout,
                $"Continuous aggregate '{view}' (entity '{entityType.DisplayName()}')",
                "Fix: call RefreshContinuousAggregateAsync again later, or raise the command timeout (it bounds this wait).",
                async: true,
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }
}
