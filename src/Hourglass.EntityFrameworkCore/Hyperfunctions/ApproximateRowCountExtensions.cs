using Hourglass.EntityFrameworkCore.Hyperfunctions.Portable;
using Microsoft.EntityFrameworkCore.Infrastructure;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>TimescaleDB's <c>approximate_row_count</c> for an entity's table.</summary>
public static class ApproximateRowCountExtensions
{
    /// <summary>
    /// Estimates the number of rows in the entity's table from the planner's statistics, without scanning it:
    /// TimescaleDB's <c>approximate_row_count('table')</c>. For a hypertable it adds up its chunks' estimates. The
    /// estimate is as fresh as the last <c>ANALYZE</c> or autovacuum, and it works on plain tables too.
    /// On PostgreSQL without TimescaleDB (under <c>WhenTimescaleMissing(Degrade)</c>, the default) the same call reads
    /// the table's <c>pg_class.reltuples</c>, as TimescaleDB does for a plain table; a table of under 8 MB, or one never
    /// analyzed, is counted exactly with <c>count(*)</c> instead.
    /// </summary>
    /// <typeparam name="TEntity">An entity type mapped to a table.</typeparam>
    /// <param name="set">The entity's <see cref="DbSet{TEntity}"/>, e.g. <c>db.Measurements</c>.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The estimated row count.</returns>
    /// <exception cref="InvalidOperationException">The entity type is not in the model or is not mapped to a table.</exception>
    public static async Task<long> ApproximateRowCountAsync<TEntity>(this DbSet<TEntity> set, CancellationToken cancellationToken = default)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(set);
        var context = set.GetService<ICurrentDbContext>().Context;
        var entityType = context.Model.FindEntityType(typeof(TEntity))
            ?? throw new InvalidOperationException($"ApproximateRowCountAsync: {typeof(TEntity).Name} is not an entity type of {context.GetType().Name}.");
        var table = entityType.GetTableName()
            ?? throw new InvalidOperationException(
                $"ApproximateRowCountAsync: entity type {entityType.DisplayName()} is not mapped to a table (it maps to a view, function or SQL query), "
                + "so it has no row count to estimate. Fix: call it on a DbSet whose entity is mapped with ToTable(...).");
        var qualified = context.GetService<Microsoft.EntityFrameworkCore.Storage.ISqlGenerationHelper>().DelimitIdentifier(table, entityType.GetSchema());
        if (context.GetService<QueryEditionResolver>().Resolve() == Hourglass.TimescaleEdition.None)
        {
            // The count(*) is an InitPlan that PostgreSQL runs only when the CASE takes it. The table name is the
            // model's, delimited by the provider's SQL generation helper, so it cannot carry SQL.
#pragma warning disable EF1003
            return await context.Database
                .SqlQueryRaw<long>(
                    "SELECT CASE WHEN c.reltuples < 0 OR pg_relation_size(c.oid) < 8388608 THEN (SELECT count(*) FROM " + qualified + ") "
                    + "ELSE c.reltuples::bigint END AS \"Value\" FROM pg_class AS c WHERE c.oid = @table::regclass",
                    new Npgsql.NpgsqlParameter("table", qualified))
                .SingleAsync(cancellationToken)
                .ConfigureAwait(false);
#pragma warning restore EF1003
        }


        return await context.Database
            .SqlQuery<long>($"SELECT approximate_row_count({qualified}::regclass) AS \"Value\"")
            .SingleAsync(cancellationToken)
            .ConfigureAwait(false);
    }
}
