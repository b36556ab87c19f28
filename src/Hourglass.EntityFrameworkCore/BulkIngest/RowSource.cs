namespace Hourglass.EntityFrameworkCore.BulkIngest;

/// <summary>One streaming loop for both source kinds: a synchronous source costs no allocation per row.</summary>
internal abstract class RowSource<T> : IAsyncDisposable
{
    public abstract T Current { get; }

    public abstract ValueTask<bool> MoveNextAsync();

    public abstract ValueTask DisposeAsync();
}

internal sealed class EnumerableRowSource<T>(IEnumerable<T> source) : RowSource<T>
{
    private readonly IEnumerator<T> _enumerator = source.GetEnumerator();

    public override T Current => _enumerator.Current;

    public override ValueTask<bool> MoveNextAsync() => new(_enumerator.MoveNext());

    public override ValueTask DisposeAsync()
    {
        _enumerator.Dispose();
        return default;
    }
}

internal sealed class AsyncEnumerableRowSource<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken) : RowSource<T>
{
    private readonly IAsyncEnumerator<T> _enumerator = source.GetAsyncEnumerator(cancellationToken);

    public override T Current => _enumerator.Current;

    public override ValueTask<bool> MoveNextAsync() => _enumerator.MoveNextAsync();

    public override ValueTask DisposeAsync() => _enumerator.DisposeAsync();
}
