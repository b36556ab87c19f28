using Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.Newcomer;

/// <summary>
/// A continuous aggregate's SQL against the model, checked when the model is built: relations named with another
/// casing or naming convention than the model's, entity columns the query does not output, and keyless by default.
/// </summary>
public class AggregateQueryCheckTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private const string Hourly = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM qc_metrics GROUP BY 1, 2";

    private static Action<ModelBuilder> Model(string table, string sql, Action<Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<HourlyMetric>>? aggregate = null) => b =>
    {
        b.Entity<Metric>(e =>
        {
            e.ToTable(table);
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time);
        });
        b.Entity<HourlyMetric>(e =>
        {
            e.IsContinuousAggregate("qc_hourly", sql);
            aggregate?.Invoke(e);
        });
    };

    private static string ErrorOf(Action<ModelBuilder> build, bool snakeCase)
    {
        using var context = ModelContext.Create(NoServer, build, snakeCase: snakeCase);
        return Assert.Throws<InvalidOperationException>(() => context.Model).Message;
    }

    [Fact]
    public void An_aggregate_entity_is_keyless_unless_a_key_is_configured()
    {
        using var keyless = ModelContext.Create(NoServer, Model("qc_metrics", Hourly), snakeCase: true);
        var entity = keyless.Model.FindEntityType(typeof(HourlyMetric))!;
        Assert.Null(entity.FindPrimaryKey());
        Assert.True(entity.FindAnnotation("Hourglass:ContinuousAggregate:Sql") is not null && !entity.GetKeys().Any());

        using var keyed = ModelContext.Create(NoServer, Model("qc_metrics", Hourly, e => e.HasKey(x => new { x.Bucket, x.DeviceId })), snakeCase: true);
        Assert.Equal(["Bucket", "DeviceId"], keyed.Model.FindEntityType(typeof(HourlyMetric))!.FindPrimaryKey()!.Properties.Select(p => p.Name));
    }

    [Fact]
    public void Snake_case_SQL_without_the_naming_convention_is_an_error_with_the_hint()
    {
        // The docs' SQL on a model without EFCore.NamingConventions: the table is "Metrics", its columns "Time", "DeviceId".
        var message = ErrorOf(Model("Metrics", "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM metrics GROUP BY 1, 2"), snakeCase: false);
        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'Sql'", message, StringComparison.Ordinal);
        Assert.Contains("reads relation \"metrics\", which is not a table or view of the model; the model's table is \"Metrics\"", message, StringComparison.Ordinal);
        Assert.Contains("UseSnakeCaseNamingConvention()", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_column_the_query_does_not_output_is_an_error_naming_the_property()
    {
        var message = ErrorOf(Model("qc_metrics", "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value FROM qc_metrics GROUP BY 1, 2"), snakeCase: true);
        Assert.Contains("Continuous aggregate on entity 'HourlyMetric', property 'MaxValue'", message, StringComparison.Ordinal);
        Assert.Contains("column \"max_value\", but the query of view 'qc_hourly' has no such output column (it has \"bucket\", \"device_id\", \"avg_value\")", message, StringComparison.Ordinal);
        Assert.Contains("Ignore(x => x.MaxValue)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_that_differs_only_in_casing_is_an_error_with_the_hint()
    {
        var message = ErrorOf(Model("Metrics", "SELECT time_bucket('1 hour', \"Time\") AS bucket, \"DeviceId\", avg(\"Value\") AS avg_value, max(\"Value\") AS \"MaxValue\" FROM \"Metrics\" GROUP BY 1, 2"), snakeCase: false);
        Assert.Contains("property 'AvgValue'", message, StringComparison.Ordinal);
        Assert.Contains("column \"AvgValue\", but the query of view 'qc_hourly' names it \"avg_value\": only the casing or the naming convention differs", message, StringComparison.Ordinal);
        Assert.Contains("Fix: name the output as the model does (AS \"AvgValue\"), or map the property with HasColumnName(\"avg_value\")", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value), max(value) AS max_value FROM qc_metrics GROUP BY 1, 2")] // an unnamed output: not judged
    [InlineData("SELECT * FROM qc_metrics")]
    [InlineData("SELECT time_bucket('1 hour', m.time) AS bucket, m.device_id, avg(m.value) AS avg_value, max(m.value) AS max_value FROM public.qc_metrics m GROUP BY 1, 2")]
    [InlineData("SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(extract(epoch FROM time)) AS avg_value, max(value) AS max_value FROM qc_metrics GROUP BY 1, 2")]
    [InlineData("SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM other_source GROUP BY 1, 2")] // unknown to the model: not judged
    public void What_cannot_be_told_for_certain_is_not_an_error(string sql)
    {
        using var context = ModelContext.Create(NoServer, Model("qc_metrics", sql), snakeCase: true);
        Assert.NotNull(context.Model.FindEntityType(typeof(HourlyMetric)));
    }

    /// <summary>What the check refuses, the server refuses too: the same SQL on the real server, with and without the convention.</summary>
    [Fact]
    public async Task The_server_agrees_with_the_check()
    {
        var sql = "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM qc_metrics GROUP BY 1, 2";
        using (var snake = ModelContext.Create(fixture.Database.ConnectionString, Model("qc_metrics", sql), snakeCase: true))
        {
            await snake.ApplyAsync(snake.DiffFrom(null));
            await snake.Set<Metric>().AddAsync(new Metric { Time = new DateTime(2026, 1, 1, 0, 10, 0, DateTimeKind.Utc), DeviceId = 1, Value = 2 });
            await snake.SaveChangesAsync();
            Assert.Empty(await snake.Set<HourlyMetric>().ToListAsync()); // materialized only, not refreshed: readable, empty
        }

        // Without the convention the same text reads a relation the model names "QcMetrics": the server says 42P01.
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("CREATE TABLE \"QcMetrics\" (\"Time\" timestamptz NOT NULL, \"DeviceId\" int NOT NULL, \"Value\" double precision NOT NULL); SELECT * FROM qcmetrics", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        Assert.Contains("reads relation \"qcmetrics\", which is not a table or view of the model; the model's table is \"QcMetrics\"",
            ErrorOf(Model("QcMetrics", sql.Replace("qc_metrics", "qcmetrics", StringComparison.Ordinal)), snakeCase: false), StringComparison.Ordinal);
    }
}
