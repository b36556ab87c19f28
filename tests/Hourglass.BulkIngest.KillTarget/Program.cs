using Hourglass.EntityFrameworkCore.BulkIngest;
using Microsoft.EntityFrameworkCore;

// Usage: KillTarget <connection string> <table>
// Streams endless rows in one transaction and prints "streaming <n>" as it goes, so the parent knows rows are on the wire.
var options = new DbContextOptionsBuilder<KillContext>().UseNpgsql(args[0]).Options;
await using var context = new KillContext(options, args[1]);
await context.BulkInsertAsync(Endless(), new BulkInsertOptions { Progress = new Reporter(), ProgressInterval = 5_000 });
Console.WriteLine("finished"); // never reached: the parent kills this process mid-stream
return 1;

static IEnumerable<KillRow> Endless()
{
    var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    for (long i = 0; ; i++)
    {
        if (i > 20_000 && i % 20 == 0)
        {
            Thread.Sleep(1);
        }

        yield return new KillRow { Id = i, Time = start.AddSeconds(i), Value = i };
    }
}

internal sealed class Reporter : IProgress<long>
{
    public void Report(long value) => Console.WriteLine($"streaming {value}");
}

internal sealed class KillRow
{
    public long Id { get; set; }

    public DateTime Time { get; set; }

    public double Value { get; set; }
}

internal sealed class KillContext(DbContextOptions<KillContext> options, string table) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<KillRow>(e =>
    {
        e.ToTable(table);
        e.HasKey(r => new { r.Id, r.Time });
        e.Property(r => r.Id).HasColumnName("id");
        e.Property(r => r.Time).HasColumnName("time");
        e.Property(r => r.Value).HasColumnName("value");
    });
}
