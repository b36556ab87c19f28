using Hourglass.EntityFrameworkCore.BulkIngest;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.BulkIngest;

/// <summary>A row with every kind of server default: an identity key, HasDefaultValue and HasDefaultValueSql.</summary>
public sealed class DefaultedReading
{
    public long Id { get; set; }

    public DateTime Time { get; set; }

    public string Code { get; set; } = "";

    /// <summary>HasDefaultValue(5): sentinel 0.</summary>
    public int Priority { get; set; }

    /// <summary>HasDefaultValueSql("'{}'"), jsonb: sentinel null.</summary>
    public string? Tags { get; set; }

    /// <summary>HasDefaultValueSql("42.5"): sentinel 0.</summary>
    public double Score { get; set; }

    public double Value { get; set; }
}

/// <summary>GENERATED ALWAYS AS IDENTITY: PostgreSQL refuses explicit values.</summary>
public sealed class AlwaysNumbered
{
    public long Id { get; set; }

    public DateTime Time { get; set; }

    public string Code { get; set; } = "";
}

public sealed class DefaultsContext(DbContextOptions<DefaultsContext> options, string suffix) : DbContext(options)
{
    public string Suffix { get; } = suffix;

    public DbSet<DefaultedReading> Readings => Set<DefaultedReading>();

    public DbSet<AlwaysNumbered> Numbered => Set<AlwaysNumbered>();

    public static DefaultsContext Create(string connectionString, string suffix) =>
        new(new DbContextOptionsBuilder<DefaultsContext>()
            .UseNpgsql(connectionString)
            .ReplaceService<IModelCacheKeyFactory, CacheKey>()
            .Options, suffix);

    public async Task CreateTablesAsync(bool hypertables)
    {
        // The script holds '{}', which ExecuteSqlRaw would take for a format placeholder.
        await Database.OpenConnectionAsync();
        await using (var command = Database.GetDbConnection().CreateCommand())
        {
            command.CommandText = Database.GenerateCreateScript();
            await command.ExecuteNonQueryAsync();
        }

        await Database.CloseConnectionAsync();
        if (hypertables)
        {
            await Database.ExecuteSqlAsync($"SELECT create_hypertable({"readings_" + Suffix}::regclass, by_range('time', INTERVAL '1 day'))");
            await Database.ExecuteSqlAsync($"SELECT create_hypertable({"numbered_" + Suffix}::regclass, by_range('time', INTERVAL '1 day'))");
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<DefaultedReading>(e =>
        {
            e.ToTable($"readings_{Suffix}");
            e.HasKey(r => new { r.Id, r.Time });
            e.Property(r => r.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            e.Property(r => r.Time).HasColumnName("time");
            e.Property(r => r.Code).HasColumnName("code");
            e.Property(r => r.Priority).HasColumnName("priority").HasDefaultValue(5);
            e.Property(r => r.Tags).HasColumnName("tags").HasColumnType("jsonb").HasDefaultValueSql("'{}'").IsRequired();
            e.Property(r => r.Score).HasColumnName("score").HasDefaultValueSql("42.5");
            e.Property(r => r.Value).HasColumnName("value");
            e.HasIndex(r => new { r.Code, r.Time }).IsUnique().HasDatabaseName($"uq_readings_{Suffix}");
        });
        modelBuilder.Entity<AlwaysNumbered>(e =>
        {
            e.ToTable($"numbered_{Suffix}");
            e.HasKey(r => new { r.Id, r.Time });
            e.Property(r => r.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            e.Property(r => r.Time).HasColumnName("time");
            e.Property(r => r.Code).HasColumnName("code");
            e.HasIndex(r => new { r.Code, r.Time }).IsUnique().HasDatabaseName($"uq_numbered_{Suffix}");
        });
    }

    private sealed class CacheKey : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), (context as DefaultsContext)?.Suffix, designTime);
    }
}

/// <summary>Which rows hold the sentinel of the defaulted columns.</summary>
public enum SentinelRows
{
    /// <summary>Every row sets every column: the direct COPY path.</summary>
    None,

    /// <summary>Every row leaves the defaulted columns to the server: one COPY without them.</summary>
    All,

    /// <summary>A block of sentinel rows in the middle: a few column-set changes of the direct COPY.</summary>
    SomeInABlock,

    /// <summary>Rows alternate between four column sets: past the switch limit, through staging.</summary>
    SomeAlternating,
}

/// <summary>Which rows set the identity key.</summary>
public enum KeyRows
{
    NotSet,
    Set,
    SomeSet,
}

/// <summary>
/// Bulk insert and upsert follow SaveChanges for columns with server defaults: a set value is stored, the sentinel gets
/// the server's default; for every mix of sentinel rows in one batch.
/// </summary>
public abstract class ServerDefaultTests(TestDatabase database)
{
    private const int RowCount = 60;
    private const long ExplicitIdBase = 1_000_000;

    protected abstract bool Hypertables { get; }

    public static TheoryData<SentinelRows, KeyRows> Combinations()
    {
        var data = new TheoryData<SentinelRows, KeyRows>();
        foreach (var sentinels in Enum.GetValues<SentinelRows>())
        {
            foreach (var keys in Enum.GetValues<KeyRows>())
            {
                data.Add(sentinels, keys);
            }
        }

        return data;
    }

    private async Task<DefaultsContext> NewTablesAsync()
    {
        var context = DefaultsContext.Create(database.ConnectionString, Rows.Suffix());
        await context.CreateTablesAsync(Hypertables);
        return context;
    }

    private static bool DefaultsPriority(SentinelRows sentinels, int i) => sentinels switch
    {
        SentinelRows.None => false,
        SentinelRows.All => true,
        SentinelRows.SomeInABlock => i is >= 20 and < 40,
        _ => i % 2 == 0,
    };

    private static bool DefaultsTagsAndScore(SentinelRows sentinels, int i) => sentinels switch
    {
        SentinelRows.None => false,
        SentinelRows.All => true,
        SentinelRows.SomeInABlock => i is >= 20 and < 40,
        _ => i % 4 < 2,
    };

    private static bool SetsKey(KeyRows keys, int i) => keys switch
    {
        KeyRows.NotSet => false,
        KeyRows.Set => true,
        _ => i % 3 == 0,
    };

    private static List<DefaultedReading> Make(SentinelRows sentinels, KeyRows keys, double valueOffset = 0) =>
        Enumerable.Range(0, RowCount).Select(i => new DefaultedReading
        {
            Id = SetsKey(keys, i) ? ExplicitIdBase + i : 0,
            Time = Rows.Start.AddHours(i * 3),
            Code = $"r{i}",
            Priority = DefaultsPriority(sentinels, i) ? 0 : 100 + i,
            Tags = DefaultsTagsAndScore(sentinels, i) ? null : $"{{\"row\": {i}}}",
            Score = DefaultsTagsAndScore(sentinels, i) ? 0 : 0.25 + i,
            Value = i + valueOffset,
        }).ToList();

    private static async Task<Dictionary<string, DefaultedReading>> ReadBackAsync(DefaultsContext context) =>
        await context.Readings.AsNoTracking().ToDictionaryAsync(r => r.Code);

    private static void AssertStored(IReadOnlyList<DefaultedReading> sent, IReadOnlyDictionary<string, DefaultedReading> stored, SentinelRows sentinels, KeyRows keys)
    {
        Assert.Equal(sent.Count, stored.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            var row = stored[sent[i].Code];
            Assert.Equal(DefaultsPriority(sentinels, i) ? 5 : 100 + i, row.Priority);
            Assert.Equal(DefaultsTagsAndScore(sentinels, i) ? "{}" : $"{{\"row\": {i}}}", row.Tags);
            Assert.Equal(DefaultsTagsAndScore(sentinels, i) ? 42.5 : 0.25 + i, row.Score);
            if (SetsKey(keys, i))
            {
                Assert.Equal(ExplicitIdBase + i, row.Id);
            }
            else
            {
                Assert.InRange(row.Id, 1, ExplicitIdBase - 1);
            }
        }

        Assert.Equal(stored.Count, stored.Values.Select(r => r.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Insert_stores_set_values_and_gives_sentinels_the_server_default(SentinelRows sentinels, KeyRows keys)
    {
        await using var context = await NewTablesAsync();
        var rows = Make(sentinels, keys);

        Assert.Equal(RowCount, await context.BulkInsertAsync(rows));

        var stored = await ReadBackAsync(context);
        AssertStored(rows, stored, sentinels, keys);
        if (keys == KeyRows.NotSet)
        {
            // The server numbers the rows in source order within each column set (the direct COPY keeps source order
            // throughout; staging inserts one column set after the other).
            foreach (var set in rows.Select((r, i) => (r, i)).GroupBy(x => sentinels == SentinelRows.SomeAlternating ? x.i % 4 : 0))
            {
                var ids = set.Select(x => stored[x.r.Code].Id).ToList();
                Assert.Equal(ids.Order(), ids);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Upsert_stores_set_values_gives_new_rows_the_default_and_keeps_existing_values_for_sentinels(SentinelRows sentinels, KeyRows keys)
    {
        await using var context = await NewTablesAsync();
        var first = Make(sentinels, keys);

        var created = await context.BulkUpsertAsync(first, c => c.On(r => new { r.Code, r.Time }));

        Assert.Equal(new BulkUpsertResult(RowCount, 0, 0), created);
        var stored = await ReadBackAsync(context);
        AssertStored(first, stored, sentinels, keys);

        // Again, with new values and the opposite sentinels: every row set before keeps what it has where the
        // incoming row holds a sentinel, and takes the incoming value where it sets one.
        var opposite = sentinels switch
        {
            SentinelRows.None => SentinelRows.All,
            SentinelRows.All => SentinelRows.None,
            _ => sentinels,
        };
        var second = Make(opposite, KeyRows.NotSet, valueOffset: 1000).Select((r, i) =>
        {
            if (opposite == sentinels && !DefaultsPriority(sentinels, i))
            {
                r.Priority = 0; // rows that set it the first time now leave it: the stored value stays
            }

            return r;
        }).ToList();
        var result = await context.BulkUpsertAsync(second, c => c.On(r => new { r.Code, r.Time }));

        Assert.Equal(new BulkUpsertResult(0, RowCount, 0), result);
        var after = await ReadBackAsync(context);
        Assert.Equal(RowCount, after.Count);
        for (var i = 0; i < RowCount; i++)
        {
            var before = stored[$"r{i}"];
            var row = after[$"r{i}"];
            Assert.Equal(i + 1000.0, row.Value);
            Assert.Equal(before.Id, row.Id); // the incoming rows set no key: the stored key stays
            Assert.Equal(second[i].Priority == 0 ? before.Priority : second[i].Priority, row.Priority);
            Assert.Equal(second[i].Tags ?? before.Tags, row.Tags);
            Assert.Equal(second[i].Score == 0 ? before.Score : second[i].Score, row.Score);
        }
    }

    [Fact]
    public async Task Upsert_of_new_rows_with_a_key_repeated_across_column_sets_keeps_the_last_row()
    {
        await using var context = await NewTablesAsync();
        var rows = Make(SentinelRows.None, KeyRows.NotSet).Take(10)
            .Concat(Make(SentinelRows.All, KeyRows.NotSet, valueOffset: 500).Take(5))
            .Concat(Make(SentinelRows.SomeAlternating, KeyRows.NotSet, valueOffset: 900).Take(3))
            .ToList();

        var result = await context.BulkUpsertAsync(rows, c => c.On(r => new { r.Code, r.Time }));

        Assert.Equal(10, result.Inserted + result.Updated);
        Assert.Equal(8, result.Skipped);
        var stored = await ReadBackAsync(context);
        Assert.Equal(10, stored.Count);
        // r0..r2: the third block's row wins; r3, r4: the second block's (all defaults); r5..r9: the first.
        Assert.Equal([900, 901, 902, 503, 504, 5, 6, 7, 8, 9], Enumerable.Range(0, 10).Select(i => stored[$"r{i}"].Value));
        Assert.Equal(5, stored["r0"].Priority);          // third block, row 0: sentinel
        Assert.Equal(101, stored["r1"].Priority);        // third block, row 1: set
        Assert.Equal("{}", stored["r3"].Tags);
        Assert.Equal(42.5, stored["r4"].Score);
        Assert.Equal("{\"row\": 7}", stored["r7"].Tags);
    }

    [Fact]
    public async Task Upsert_without_updating_leaves_existing_rows_for_every_column_set()
    {
        await using var context = await NewTablesAsync();
        await context.BulkUpsertAsync(Make(SentinelRows.None, KeyRows.NotSet).Take(30), c => c.On(r => new { r.Code, r.Time }));

        var result = await context.BulkUpsertAsync(Make(SentinelRows.SomeAlternating, KeyRows.NotSet, valueOffset: 7), c => c.On(r => new { r.Code, r.Time }).DoNothing());

        Assert.Equal(new BulkUpsertResult(30, 0, 30), result);
        var stored = await ReadBackAsync(context);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (double)i).Concat(Enumerable.Range(30, 30).Select(i => i + 7.0)), Enumerable.Range(0, 60).Select(i => stored[$"r{i}"].Value));
        Assert.Equal(5, stored["r30"].Priority);
        Assert.Equal(131, stored["r31"].Priority);
    }

    [Fact]
    public async Task A_generated_always_identity_numbers_rows_and_refuses_a_set_value_before_anything_is_written()
    {
        await using var context = await NewTablesAsync();
        var rows = Enumerable.Range(0, 20).Select(i => new AlwaysNumbered { Time = Rows.Start.AddHours(i), Code = $"n{i}" }).ToList();

        Assert.Equal(20, await context.BulkInsertAsync(rows));
        Assert.Equal(new BulkUpsertResult(0, 0, 20), await context.BulkUpsertAsync(rows, c => c.On(r => new { r.Code, r.Time }).DoNothing()));

        var ids = await context.Numbered.OrderBy(r => r.Time).Select(r => r.Id).ToListAsync();
        Assert.Equal(20, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(id > 0));

        var withKey = Enumerable.Range(0, 10).Select(i => new AlwaysNumbered { Id = i == 7 ? 99 : 0, Time = Rows.Start.AddDays(5).AddHours(i), Code = $"m{i}" }).ToList();
        var insert = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkInsertAsync(withKey));
        var upsert = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(withKey, c => c.On(r => new { r.Code, r.Time })));

        foreach (var error in new[] { insert, upsert })
        {
            Assert.Equal(7, error.RowIndex);
            Assert.Equal(nameof(AlwaysNumbered.Id), error.Property);
            Assert.Contains("GENERATED ALWAYS AS IDENTITY", error.Message, StringComparison.Ordinal);
            Assert.Contains("UseIdentityByDefaultColumn()", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(20, await context.Numbered.CountAsync());

        var onGeneratedKey = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows));
        var updateGenerated = await Assert.ThrowsAsync<BulkIngestException>(() => context.BulkUpsertAsync(rows, c => c.On(r => new { r.Code, r.Time }).DoUpdate(r => r.Id)));
        Assert.StartsWith("AlwaysNumbered.Id is part of the conflict target but its value is always generated by the server", onGeneratedKey.Message, StringComparison.Ordinal);
        Assert.StartsWith("AlwaysNumbered.Id is always generated by the server", updateGenerated.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(AlwaysNumbered.Id), updateGenerated.Property);
    }
}

public sealed class ServerDefaultHypertableTests(TimescaleDatabaseFixture fixture)
    : ServerDefaultTests(fixture.Database), IClassFixture<TimescaleDatabaseFixture>
{
    protected override bool Hypertables => true;
}

public sealed class ServerDefaultTimescalePlainTableTests(TimescaleDatabaseFixture fixture)
    : ServerDefaultTests(fixture.Database), IClassFixture<TimescaleDatabaseFixture>
{
    protected override bool Hypertables => false;
}

public sealed class ServerDefaultPostgresTests(PostgresDatabaseFixture fixture)
    : ServerDefaultTests(fixture.Database), IClassFixture<PostgresDatabaseFixture>
{
    protected override bool Hypertables => false;
}
