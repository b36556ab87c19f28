using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef dbcontext scaffold` runs it

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>`dbcontext scaffold` of a TimescaleDB database: hypertables come back as IsHypertable, TimescaleDB's own objects stay out.</summary>
public class ScaffoldingTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    [Fact]
    public async Task Scaffolding_reads_hypertables_back_and_leaves_out_chunks_and_default_indexes()
    {
        var db = fixture.Database;
        await using var context = ModelContext.Create(db.ConnectionString, b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("scaffold_readings");
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithChunkInterval("1 day").PartitionByHash(x => x.DeviceId, 2);
        }));
        await context.ApplyAsync(context.DiffFrom(null));
        await db.ExecuteAsync("""INSERT INTO scaffold_readings ("Time", "DeviceId", "Recorded", "Value") SELECT timestamptz '2026-01-01' + i * interval '6 hours', i % 3, now(), i FROM generate_series(1, 40) i""");
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'scaffold_readings_Time_idx'") == 1);

        var services = DesignTime.Services(context);
        var scaffolded = DesignTime.Scaffold(services, db.ConnectionString, db.Schema, "_timescaledb_internal");

        var code = scaffolded.ContextFile.Code;
        Assert.Contains(".IsHypertable(\"Time\")", code, StringComparison.Ordinal);
        Assert.Contains(".WithChunkInterval(\"1 day\")", code, StringComparison.Ordinal);
        Assert.Contains(".PartitionByHash(\"DeviceId\", 2)", code, StringComparison.Ordinal);
        Assert.DoesNotContain("_idx", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Hourglass:Scaffold", code, StringComparison.Ordinal);
        var entity = Assert.Single(scaffolded.AdditionalFiles);
        Assert.Equal("ScaffoldReading.cs", entity.Path);
        Assert.DoesNotContain("_hyper_", code, StringComparison.Ordinal);
    }
}

/// <summary>`dbcontext scaffold` of PostgreSQL without TimescaleDB: the catalog library says so, and the tables come back plain.</summary>
public class ScaffoldingWithoutTimescaleTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Scaffolding_plain_PostgreSQL_reads_tables_and_adds_no_TimescaleDB_calls()
    {
        var db = fixture.Database;
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'"));
        await db.ExecuteAsync("CREATE TABLE plain_readings (\"Time\" timestamptz NOT NULL, \"Value\" double precision, PRIMARY KEY (\"Time\"))");
        await using var context = ModelContext.Create(db.ConnectionString, b => b.Entity<Reading<DateTime>>(e => e.ToTable("unused").HasKey(x => new { x.Time, x.DeviceId })));

        var services = DesignTime.Services(context);
        var scaffolded = DesignTime.Scaffold(services, db.ConnectionString, db.Schema);

        var code = scaffolded.ContextFile.Code;
        Assert.Contains("plain_readings", code, StringComparison.Ordinal);
        Assert.DoesNotContain("IsHypertable", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Hourglass:Scaffold", code, StringComparison.Ordinal);
        Assert.Equal("PlainReading.cs", Assert.Single(scaffolded.AdditionalFiles).Path);
    }
}
