using System.Diagnostics;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// TimescaleDB 2.27+ refuses a refresh whose window overlaps one in progress (SQLSTATE 55P03) instead of waiting for it,
/// and the other one is usually the aggregate's own refresh policy, started by the scheduler. Whoever asked for the
/// window to be materialized still wants it, so the refresh is tried again once the other has had time to finish.
/// </summary>
internal static class ConcurrentRefreshes
{
    /// <summary>
    /// Runs <paramref name="refresh"/>, trying again after 100 ms, doubling up to 2 s, while another refresh holds an
    /// overlapping window, for at most <paramref name="timeoutSeconds"/> (0: until cancelled).
    /// </summary>
    /// <param name="refresh">The refresh; with <paramref name="async"/> false it must complete synchronously.</param>
    /// <param name="timeoutSeconds">The command timeout, which bounds the wait as it bounds any other command.</param>
    /// <param name="subject">What is refreshed, as the error's subject: "Continuous aggregate 'x' (entity 'X')".</param>
    /// <param name="fix">The error's last sentence, what the caller can do.</param>
    /// <param name="async">False: waits by blocking the thread, for synchronous callers.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">The other refresh outlasted the timeout.</exception>
    public static async Task WaitOutAsync(Func<Task> refresh, int timeoutSeconds, string subject, string fix, bool async, CancellationToken cancellationToken)
    {
        var budget = timeoutSeconds > 0 ? TimeSpan.FromSeconds(timeoutSeconds) : Timeout.InfiniteTimeSpan;
        var waited = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(100);
        var tries = 1;
        while (true)
        {
            try
            {
                await refresh().ConfigureAwait(false);
                return;
            }
            catch (PostgresException busy) when (busy.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                if (budget != Timeout.InfiniteTimeSpan && waited.Elapsed + pause > budget)
                {
                    throw new TimeoutException(
                        $"{subject} could not be refreshed: another session kept refreshing an overlapping window "
                        + $"(usually its refresh policy, run by TimescaleDB's scheduler) for {waited.Elapsed.TotalSeconds:0.#} s, over {tries} tries. "
                        + $"Server: {busy.MessageText} {busy.Detail} {fix}",
                        busy);
                }

                if (async)
                {
                    await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    cancellationToken.WaitHandle.WaitOne(pause);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                tries++;
            }
        }
    }
}
