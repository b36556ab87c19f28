using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Hyperfunctions;

/// <summary>
/// Hyperfunctions on native PostgreSQL 15 without TimescaleDB under Strict: the server refuses, and the error says why.
/// (Under Degrade, the default, they translate to plain PostgreSQL: <see cref="PlainPostgresEquivalenceTests"/>.)
/// </summary>
public sealed class WithoutTimescaleTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Under_Strict_time_bucket_fails_with_undefined_function_naming_TimescaleDB()
    {
        await using var db = new HyperfunctionContext(new DbContextOptionsBuilder<HyperfunctionContext>()
            .UseNpgsql(fixture.Database.ConnectionString, o => o.UseNodaTime().UseTimescale(t => t.WhenTimescaleMissing(Infrastructure.TimescaleMissingBehavior.Strict)))
            .Options);
        await db.Database.ExecuteSqlRawAsync(db.Database.GenerateCreateScript());
        db.Measurements.Add(new Measurement { Id = 1, DeviceId = 1, TimeUtc = HyperfunctionData.Start, TimeLocal = DateTime.SpecifyKind(HyperfunctionData.Start, DateTimeKind.Unspecified) });
        await db.SaveChangesAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Measurements
            .GroupBy(m => EF.Functions.TimeBucket(TimeSpan.FromHours(1), m.TimeUtc))
            .Select(g => new { g.Key, Count = g.Count() })
            .ToListAsync());

        Assert.Equal(PostgresErrorCodes.UndefinedFunction, error.SqlState);
        Assert.Contains("function time_bucket(interval, timestamp with time zone) does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("TimescaleDB hyperfunction", error.Message, StringComparison.Ordinal);
        Assert.Contains("CREATE EXTENSION timescaledb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_undefined_functions_keep_PostgreSQL_s_own_error()
    {
        await using var db = HyperfunctionContext.Create(fixture.Database.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("SELECT no_such_function(1)"));
        Assert.Equal(PostgresErrorCodes.UndefinedFunction, error.SqlState);
        Assert.DoesNotContain("TimescaleDB", error.Message, StringComparison.Ordinal);
    }
}
