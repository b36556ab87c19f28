using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>histogram() as a group aggregate and approximate_row_count() on a DbSet, checked against C# and count(*).</summary>
public sealed class HistogramAndRowCountTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>, IAsyncLifetime
{
    private static readonly IReadOnlyList<Measurement> Rows = HyperfunctionData.Rows;
    private HyperfunctionContext _db = null!;

    public async Task InitializeAsync()
    {
        await HyperfunctionData.EnsureSeededAsync(fixture.Database);
        _db = HyperfunctionContext.Create(fixture.Database.ConnectionString);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static int[] ExpectedHistogram(IEnumerable<double> values, double min, double max, int buckets)
    {
        var counts = new int[buckets + 2];
        foreach (var v in values)
        {
            counts[v < min ? 0 : v >= max ? buckets + 1 : 1 + (int)Math.Floor((v - min) / (max - min) * buckets)]++;
        }

        return counts;
    }

    [Fact]
    public async Task Histogram_per_device_with_under_and_overflow_buckets()
    {
        double min = 10, max = 90;
        var query = _db.Measurements
            .GroupBy(m => m.DeviceId)
            .Select(g => new { DeviceId = g.Key, Counts = EF.Functions.Histogram(g.Select(m => m.Value), min, max, 8) })
            .OrderBy(r => r.DeviceId);
        Assert.Contains("histogram(h.\"Value\", @min, @max, 8)", query.ToQueryString(), StringComparison.Ordinal);

        var actual = await query.ToListAsync();
        var expected = Rows.GroupBy(m => m.DeviceId).OrderBy(g => g.Key)
            .Select(g => new { DeviceId = g.Key, Counts = ExpectedHistogram(g.Select(m => m.Value), min, max, 8) })
            .ToList();
        Assert.Equal(expected.Select(e => e.DeviceId), actual.Select(a => a.DeviceId));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Counts, actual[i].Counts);
        }

        Assert.Contains(actual, a => a.Counts[0] > 0 && a.Counts[^1] > 0);
    }

    [Fact]
    public async Task Histogram_of_a_filtered_group_in_time_buckets()
    {
        var actual = await _db.Measurements
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromDays(1), m.TimeUtc))
            .Select(g => new { Day = g.Key, Counts = EF.Functions.Histogram(g.Where(m => m.DeviceId == 2).Select(m => m.Value), 0, 100, 4) })
            .OrderBy(r => r.Day)
            .ToListAsync();

        var expected = Rows.GroupBy(m => ExpectedBuckets.Floor(m.TimeUtc, TimeSpan.FromDays(1))).OrderBy(g => g.Key).ToList();
        Assert.Equal(expected.Select(g => g.Key), actual.Select(a => a.Day));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(ExpectedHistogram(expected[i].Where(m => m.DeviceId == 2).Select(m => m.Value), 0, 100, 4), actual[i].Counts);
        }
    }

    [Fact]
    public async Task Approximate_row_count_after_analyze_matches_count()
    {
        await _db.Database.ExecuteSqlRawAsync("ANALYZE hf_measurements");
        Assert.Equal(Rows.Count, await _db.Measurements.ApproximateRowCountAsync());
        Assert.Equal(Rows.Count, await _db.Measurements.CountAsync());
    }

    [Fact]
    public async Task Approximate_row_count_of_a_hypertable_adds_up_its_chunks()
    {
        await fixture.Database.ExecuteAsync("""
            CREATE TABLE hf_counted (time timestamptz NOT NULL, value float8 NOT NULL);
            SELECT create_hypertable('hf_counted', by_range('time', INTERVAL '1 day'));
            INSERT INTO hf_counted SELECT t, 1 FROM generate_series('2026-01-01'::timestamptz, '2026-01-05'::timestamptz - INTERVAL '1 minute', INTERVAL '1 minute') AS t;
            ANALYZE hf_counted;
            """);
        await using var db = new CountedContext(new DbContextOptionsBuilder<CountedContext>()
            .UseNpgsql(fixture.Database.ConnectionString, o => o.UseTimescale()).Options);

        Assert.Equal(4 * 24 * 60, await db.Counted.ApproximateRowCountAsync());
        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = 'hf_counted'") >= 4);
    }

    [Fact]
    public async Task Approximate_row_count_of_an_entity_mapped_to_a_view_is_refused_before_any_query()
    {
        await using var db = new CountedContext(
            new DbContextOptionsBuilder<CountedContext>().UseNpgsql(fixture.Database.ConnectionString, o => o.UseTimescale()).Options,
            toView: true);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Counted.ApproximateRowCountAsync());
        Assert.Contains("Counted", error.Message, StringComparison.Ordinal);
        Assert.Contains("not mapped to a table", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }

    private sealed class Counted
    {
        public DateTime Time { get; set; }

        public double Value { get; set; }
    }

    private sealed class CountedContext(DbContextOptions<CountedContext> options, bool toView = false) : DbContext(options)
    {
        private readonly bool _toView = toView;

        public bool ToViewKey => _toView;

        public DbSet<Counted> Counted => Set<Counted>();

        // Two mappings of one context type: each gets a model of its own.
        protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
            => optionsBuilder.ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, ViewKeyFactory>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
            => modelBuilder.Entity<Counted>(e =>
            {
                if (_toView)
                {
                    e.ToView("hf_counted_view");
                }
                else
                {
                    e.ToTable("hf_counted");
                }

                e.HasNoKey();
                e.Property(c => c.Time).HasColumnName("time");
                e.Property(c => c.Value).HasColumnName("value");
            });
    }

    private sealed class ViewKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((CountedContext)context).ToViewKey, designTime);
    }
}
