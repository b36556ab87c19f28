using Hourglass.EntityFrameworkCore.Infrastructure;
using System.Globalization;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

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
    /// </summary>
    /// <typeparam name="TEntity">An entity declared with <c>IsContinuousAggregate</c>.</typeparam>
    /// <param name="context">The context.</param>
    /// <param name="from">The window's start; null for the oldest data. For a <c>timestamp without time zone</c> bucket, its UTC time is used.</param>
    /// <param name="to">The window's end; null for the newest data.</param>
    /// <param name="cancellationToken">Cancels the wait for the command.</param>
    /// <exception cref="InvalidOperationException">The entity is not a continuous aggregate, or a transaction is open.</exception>
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

        var sql = context.GetService<ISqlGenerationHelper>();
        var name = sql.DelimitIdentifier(view, entityType.GetViewSchema());
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = context.Database.GetDbConnection();
            using var probe = connection.CreateCommand();
            probe.CommandText = "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'";
            var hasTimescale = Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
            using var refresh = connection.CreateCommand();
            refresh.CommandTimeout = context.Database.GetCommandTimeout() ?? refresh.CommandTimeout;
            refresh.CommandText = hasTimescale
                ? $"CALL refresh_continuous_aggregate({TimescaleSqlContext.Literal(name)}, {Window(from)}, {Window(to)})"
                : $"REFRESH MATERIALIZED VIEW {name}";
            await refresh.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    // An untyped literal: TimescaleDB reads it as the bucket column's type (timestamptz, timestamp or date).
    private static string Window(DateTimeOffset? value)
        => value is { } v ? TimescaleSqlContext.Literal(v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00") : "NULL";
}
