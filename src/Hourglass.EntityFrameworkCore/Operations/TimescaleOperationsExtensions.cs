using Hourglass;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// The Hourglass catalog and operations library from a DbContext: <c>context.Database.Timescale()</c> on the context's
/// own connection (and transaction), and calls keyed by entity type that take the table and schema from the model,
/// naming conventions included.
/// </summary>
public static class TimescaleOperationsExtensions
{
    /// <summary>
    /// A <see cref="TimescaleClient"/> on the context's connection: calls join the context's current transaction; a
    /// closed connection is opened for each call and closed again.
    /// </summary>
    /// <param name="database">The context's database facade.</param>
    /// <returns>The client.</returns>
    public static TimescaleClient Timescale(this DatabaseFacade database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return database.GetDbConnection() is NpgsqlConnection connection
            ? connection.Timescale()
            : throw new InvalidOperationException("Timescale() needs a context configured with UseNpgsql: TimescaleDB operations run over Npgsql.");
    }

    /// <summary>"schema.table" (or "table" when the model leaves the schema to the search path) of the hypertable or continuous aggregate mapped to <typeparamref name="TEntity"/>.</summary>
    /// <typeparam name="TEntity">An entity type of the model.</typeparam>
    /// <param name="context">The context.</param>
    /// <returns>The relation name, as the model maps it.</returns>
    /// <exception cref="InvalidOperationException">The entity is not in the model or maps to no table or view.</exception>
    public static string TimescaleRelationOf<TEntity>(this DbContext context)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var entity = context.Model.FindEntityType(typeof(TEntity))
            ?? throw new InvalidOperationException($"{typeof(TEntity).Name} is not an entity type of {context.GetType().Name}. Fix: add it to the model (a DbSet<{typeof(TEntity).Name}> or modelBuilder.Entity<{typeof(TEntity).Name}>()).");
        var name = entity.GetTableName() ?? entity.GetViewName()
            ?? throw new InvalidOperationException($"{typeof(TEntity).Name} maps to no table or view, so it has no chunks or jobs. Fix: map it with ToTable or IsHypertable/IsContinuousAggregate.");
        var schema = entity.GetTableName() is not null ? entity.GetSchema() : entity.GetViewSchema();
        return schema is null ? name : $"{schema}.{name}";
    }

    /// <summary>The chunks of <typeparamref name="TEntity"/>'s hypertable (all, or those <paramref name="filter"/> selects).</summary>
    /// <typeparam name="TEntity">A hypertable entity.</typeparam>
    /// <param name="context">The context.</param>
    /// <param name="filter">Which chunks; null for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The chunks, oldest first.</returns>
    public static Task<IReadOnlyList<Chunk>> ChunksAsync<TEntity>(this DbContext context, ChunkFilter? filter = null, CancellationToken cancellationToken = default)
        where TEntity : class =>
        context.Database.Timescale().GetChunksAsync(context.TimescaleRelationOf<TEntity>(), filter, cancellationToken);

    /// <summary>Converts <typeparamref name="TEntity"/>'s rowstore chunks older than <paramref name="olderThan"/> (all when null) to the columnstore.</summary>
    /// <typeparam name="TEntity">A hypertable entity with the columnstore enabled.</typeparam>
    /// <param name="database">The context's database facade.</param>
    /// <param name="olderThan">Only chunks whose range ended before now minus this.</param>
    /// <param name="progress">Told after each chunk.</param>
    /// <param name="cancellationToken">Cancels between and during chunks.</param>
    /// <returns>The converted chunks.</returns>
    public static Task<IReadOnlyList<string>> ConvertChunksToColumnstoreAsync<TEntity>(this DatabaseFacade database, TimeSpan? olderThan = null, IProgress<ChunkProgress>? progress = null, CancellationToken cancellationToken = default)
        where TEntity : class =>
        database.Timescale().ConvertChunksToColumnstoreAsync(Context(database).TimescaleRelationOf<TEntity>(), olderThan is null ? null : new ChunkFilter { OlderThan = olderThan }, progress, cancellationToken);

    /// <summary>The jobs on <typeparamref name="TEntity"/>'s hypertable or continuous aggregate, optionally of one kind.</summary>
    /// <typeparam name="TEntity">A hypertable or continuous aggregate entity.</typeparam>
    /// <param name="context">The context.</param>
    /// <param name="kind">Only this kind of job; all when null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The jobs, by id.</returns>
    public static Task<IReadOnlyList<Job>> JobsAsync<TEntity>(this DbContext context, JobKind? kind = null, CancellationToken cancellationToken = default)
        where TEntity : class =>
        context.Database.Timescale().GetJobsAsync(context.TimescaleRelationOf<TEntity>(), kind, cancellationToken);

    /// <summary>Names the <paramref name="kind"/> policy of <typeparamref name="TEntity"/>'s table for the job calls: <c>client.PauseJobAsync(context.PolicyOf&lt;Metric&gt;(JobKind.Retention))</c>.</summary>
    /// <typeparam name="TEntity">A hypertable or continuous aggregate entity.</typeparam>
    /// <param name="context">The context.</param>
    /// <param name="kind">Which policy.</param>
    /// <returns>The selector.</returns>
    public static JobSelector PolicyOf<TEntity>(this DbContext context, JobKind kind)
        where TEntity : class => JobSelector.Policy(context.TimescaleRelationOf<TEntity>(), kind);

    private static DbContext Context(DatabaseFacade database) => database.GetService<ICurrentDbContext>().Context;
}
