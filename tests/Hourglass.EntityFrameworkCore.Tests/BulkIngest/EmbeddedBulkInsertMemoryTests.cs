using Hourglass.Embedded;
using Hourglass.EntityFrameworkCore.BulkIngest;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

/// <summary>
/// The embedded server streams a COPY to its engine in bounded pieces: a large bulk insert does not grow the
/// Node.js process with the size of the data. Runs on a server of its own, so the process's peak is this test's.
/// </summary>
public sealed class EmbeddedBulkInsertMemoryTests
{
    private const int RowCount = 5_000_000;

    // The server alone peaks at about 500 MB here; 5,000,000 rows are about 130 MB of binary COPY data. Measured
    // on 2026-11-28 with the same rows sent by a raw client: 862 MB peak when the bridge collected the whole COPY
    // before the engine saw any of it, 588 MB with the COPY streamed in pieces.
    private const long PeakResidentBound = 700L << 20;

    [Fact]
    public async Task Five_million_rows_keep_the_server_process_under_the_stated_peak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // VmHWM is read from /proc
        }

        await using var server = await EmbeddedTimescale.StartAsync();
        await using var context = IngestContext.Create(server.ConnectionString, Rows.Suffix());
        await context.CreateTablesAsync(hypertables: false);
        var rows = Enumerable.Range(0, RowCount).Select(i => new KeylessReading { Time = Rows.Start.AddSeconds(i), Value = i });

        var inserted = await context.BulkInsertAsync(rows);

        var peak = PeakResidentBytes(server.ProcessId);
        Assert.Equal(RowCount, inserted);
        Assert.Equal(RowCount, await context.KeylessReadings.CountAsync());
        Assert.Equal((double)RowCount * (RowCount - 1) / 2, await context.KeylessReadings.SumAsync(r => r.Value));
        Assert.True(peak < PeakResidentBound, $"The embedded server's peak resident memory was {peak >> 20} MB; the bound is {PeakResidentBound >> 20} MB.");
    }

    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
