using Hourglass.EntityFrameworkCore.BulkIngest;

// Extension methods live in EF's namespace, as the model extensions and Npgsql's own plugins do, so they are found
// without a using; the option and result types stay in Hourglass.EntityFrameworkCore.BulkIngest.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// Bulk insert and upsert at binary COPY speed, driven by the EF model: table, schema, column names, value converters,
/// enums, JSON and NodaTime columns, nullability; server-generated columns are left to the server. Works with any
/// <c>UseNpgsql(...)</c> context, on plain tables, hypertables and columnstore chunks.
/// </summary>
public static class BulkIngestDbContextExtensions
{
    /// <summary>Copies the rows into <typeparamref name="T"/>'s table, streaming them (nothing is materialised).</summary>
    /// <typeparam name="T">An entity type of the context's model.</typeparam>
    /// <param name="context">The context; its connection (and data source plugins such as NodaTime) is used, and its open transaction if any.</param>
    /// <param name="source">The rows, read once.</param>
    /// <param name="options">Transaction mode, progress and timeout; one transaction when null.</param>
    /// <param name="cancellationToken">Cancels the ingest; the current transaction is rolled back.</param>
    /// <returns>The number of rows inserted.</returns>
    /// <exception cref="BulkIngestException">The model does not fit, a row does not fit, or the server refused a row.</exception>
    public static Task<long> BulkInsertAsync<T>(this DbContext context, IEnumerable<T> source, BulkInsertOptions? options = null, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(source);
        return InsertAsync(context, () => new EnumerableRowSource<T>(source), options, cancellationToken);
    }

    /// <summary>Copies the rows of an asynchronous stream into <typeparamref name="T"/>'s table.</summary>
    /// <typeparam name="T">An entity type of the context's model.</typeparam>
    /// <param name="context">The context; its connection (and data source plugins such as NodaTime) is used, and its open transaction if any.</param>
    /// <param name="source">The rows, read once.</param>
    /// <param name="options">Transaction mode, progress and timeout; one transaction when null.</param>
    /// <param name="cancellationToken">Cancels the ingest (and the enumeration); the current transaction is rolled back.</param>
    /// <returns>The number of rows inserted.</returns>
    /// <exception cref="BulkIngestException">The model does not fit, a row does not fit, or the server refused a row.</exception>
    public static Task<long> BulkInsertAsync<T>(this DbContext context, IAsyncEnumerable<T> source, BulkInsertOptions? options = null, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(source);
        return InsertAsync(context, () => new AsyncEnumerableRowSource<T>(source, cancellationToken), options, cancellationToken);
    }

    /// <summary>
    /// Inserts new rows and resolves conflicts on the primary key or a unique index of the model: COPY into a
    /// temporary staging table, then one <c>INSERT ... ON CONFLICT</c>. When a key repeats within one batch, DO UPDATE keeps its last row and DO NOTHING its first.
    /// </summary>
    /// <typeparam name="T">An entity type of the context's model.</typeparam>
    /// <param name="context">The context; its connection is used, and its open transaction if any.</param>
    /// <param name="source">The rows, read once.</param>
    /// <param name="conflict">Conflict target and action, e.g. <c>c =&gt; c.On(m =&gt; new { m.DeviceId, m.Time }).DoNothing()</c>; primary key and update of all other columns when null.</param>
    /// <param name="options">Transaction mode, progress and timeout; one transaction when null.</param>
    /// <param name="cancellationToken">Cancels the upsert; the current transaction is rolled back.</param>
    /// <returns>How many rows were inserted, updated and skipped.</returns>
    /// <exception cref="BulkIngestException">The model, the conflict target or a row does not fit, or the server refused a row.</exception>
    public static Task<BulkUpsertResult> BulkUpsertAsync<T>(this DbContext context, IEnumerable<T> source, Action<BulkUpsertConflict<T>>? conflict = null, BulkInsertOptions? options = null, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(source);
        return UpsertAsync(context, () => new EnumerableRowSource<T>(source), conflict, options, cancellationToken);
    }

    /// <summary>Upserts the rows of an asynchronous stream; see the <see cref="IEnumerable{T}"/> overload.</summary>
    /// <typeparam name="T">An entity type of the context's model.</typeparam>
    /// <param name="context">The context; its connection is used, and its open transaction if any.</param>
    /// <param name="source">The rows, read once.</param>
    /// <param name="conflict">Conflict target and action; primary key and update of all other columns when null.</param>
    /// <param name="options">Transaction mode, progress and timeout; one transaction when null.</param>
    /// <param name="cancellationToken">Cancels the upsert (and the enumeration); the current transaction is rolled back.</param>
    /// <returns>How many rows were inserted, updated and skipped.</returns>
    /// <exception cref="BulkIngestException">The model, the conflict target or a row does not fit, or the server refused a row.</exception>
    public static Task<BulkUpsertResult> BulkUpsertAsync<T>(this DbContext context, IAsyncEnumerable<T> source, Action<BulkUpsertConflict<T>>? conflict = null, BulkInsertOptions? options = null, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(source);
        return UpsertAsync(context, () => new AsyncEnumerableRowSource<T>(source, cancellationToken), conflict, options, cancellationToken);
    }

    private static async Task<long> InsertAsync<T>(DbContext context, Func<RowSource<T>> open, BulkInsertOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var map = CopyTableMap.For(context, typeof(T));
        var rows = open();
        await using (rows.ConfigureAwait(false))
        {
            var (count, _, _) = await BulkIngestRunner.RunAsync(context, rows, map, plan: null, options ?? new BulkInsertOptions(), cancellationToken).ConfigureAwait(false);
            return count;
        }
    }

    private static async Task<BulkUpsertResult> UpsertAsync<T>(DbContext context, Func<RowSource<T>> open, Action<BulkUpsertConflict<T>>? configure, BulkInsertOptions? options, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var map = CopyTableMap.For(context, typeof(T));
        var conflict = new BulkUpsertConflict<T>();
        configure?.Invoke(conflict);
        var plan = UpsertPlan.Create(map, conflict);
        var rows = open();
        await using (rows.ConfigureAwait(false))
        {
            var (count, inserted, updated) = await BulkIngestRunner.RunAsync(context, rows, map, plan, options ?? new BulkInsertOptions(), cancellationToken).ConfigureAwait(false);
            return new BulkUpsertResult(inserted, updated, count - inserted - updated);
        }
    }
}
