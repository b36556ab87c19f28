using System.Text.RegularExpressions;
using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>Refresh policy offsets in calendar months, from the model to the server and back, and the windows TimescaleDB refuses.</summary>
public class ContinuousAggregateOffsetTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task A_start_offset_of_3_months_round_trips_through_migration_catalog_and_scaffolding()
    {
        Action<ModelBuilder> model = b =>
        {
            CaggModels.Model("off_source", "off_hourly", c => c.WithRefreshPolicy("3 months", "1 day", "1 day").WithNoData())(b);
            // Unbounded offsets with a monthly schedule: scaffolded as WithRefreshPolicy(null, null, "1 month"), which must compile.
            b.Entity<DailyMetric>(e => e.HasNoKey()
                .IsContinuousAggregate("off_daily", "SELECT time_bucket('1 day', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM off_source GROUP BY 1, 2")
                .WithRefreshPolicy(null, null, "1 month")
                .WithNoData());
        };
        await using var context = CaggModels.Context(Db.ConnectionString, model);
        var create = context.DiffFrom(null);

        var policy = Assert.Single(create.OfType<AddContinuousAggregatePolicyOperation>(), o => o.Table == "off_hourly");
        Assert.Equal(("3 months", "1 day", "1 day"), (policy.StartOffset, policy.EndOffset, policy.ScheduleInterval));
        var code = MigrationCode(context, create);
        Assert.Contains("startOffset: \"3 months\"", code, StringComparison.Ordinal);
        Assert.Contains("endOffset: \"1 day\"", code, StringComparison.Ordinal);
        Assert.Contains("start_offset => INTERVAL '3 months', end_offset => INTERVAL '1 day'", context.Sql(create), StringComparison.Ordinal);

        await context.ApplyAsync(create);
        Assert.Equal("3 mons|1 day", await ConfigAsync("off_hourly"));
        Assert.Equal("|", await ConfigAsync("off_daily"));
        Assert.Empty(context.DiffFrom(context));

        var scaffolded = DesignTime.Scaffold(DesignTime.Services(context), Db.ConnectionString, Db.Schema);
        var scaffoldedCode = Regex.Replace(scaffolded.ContextFile.Code, @"\s+", "");
        Assert.Contains(".WithRefreshPolicy(\"3months\",\"1day\",\"1day\")", scaffoldedCode, StringComparison.Ordinal);
        Assert.Contains(".WithRefreshPolicy(null,null,\"1month\")", scaffoldedCode, StringComparison.Ordinal);

        // The scaffolded views' queries are PostgreSQL's spelling of them, so the policies are compared, not the whole models.
        await using var scaffoldedContext = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var scaffoldedModel = scaffoldedContext.GetService<IDesignTimeModel>().Model;
        foreach (var view in new[] { "off_hourly", "off_daily" })
        {
            Assert.Equal(Policy(context.DesignModel, view), Policy(scaffoldedModel, view));
        }

        Assert.Equal(TimescaleInterval.FromMonths(3), Policy(scaffoldedModel, "off_hourly")!.StartOffset);

        await using var none = ModelContext.Create(Db.ConnectionString, _ => { });
        await none.ApplyAsync(none.DiffFrom(context));
    }

    [Fact]
    public async Task The_model_refuses_exactly_the_refresh_windows_TimescaleDB_refuses()
    {
        await Db.ExecuteAsync("""
            CREATE TABLE win_source (time timestamptz NOT NULL, device_id int NOT NULL, value double precision NOT NULL);
            SELECT create_hypertable('win_source', by_range('time'));
            """);
        foreach (var width in Widths)
        {
            await Db.ExecuteAsync($"CREATE MATERIALIZED VIEW win_{width.Replace(' ', '_')} WITH (timescaledb.continuous) AS {Sql(width)} WITH NO DATA;");
        }

        (string Bucket, string? Start, string? End)[] cases =
        [
            ("1 hour", "3 hours", "1 hour"),
            ("1 hour", "2 hours", "0 seconds"),
            ("1 hour", "3 hours", "2 hours"),
            ("1 hour", "3 months", "1 day"),
            ("1 hour", "1 month 2 hours", "30 days"),
            ("1 hour", "1 month 1 hour", "30 days"),
            ("1 hour", "1 month", "30 days"),
            ("1 hour", "1 month", "31 days"),
            ("1 hour", "1 month -1 day", "1 day"),
            ("1 hour", "-1 month", "-2 months"),
            ("1 day", "1 year", "11 months 28 days"),
            ("1 day", "1 year", "11 months 29 days"),
            ("1 month", "3 months", "1 month"),
            ("1 month", "2 months", "1 month"),
            ("1 month", "60 days", "0 seconds"),
            ("1 month", "59 days", "0 seconds"),
            ("1 month", "40 days", null),
            ("1 month", null, "1 month"),
        ];
        var verdicts = new List<string>();
        foreach (var (bucket, start, end) in cases)
        {
            verdicts.Add(await VerdictAsync(
                $"{bucket} buckets, start {start ?? "null"}, end {end ?? "null"}",
                CaggModels.Model("win_source", "win", c => c.WithRefreshPolicy(start, end, "1 day"), sql: Sql(bucket).Replace("win_source", "{0}", StringComparison.Ordinal)),
                $"SELECT add_continuous_aggregate_policy('win_{bucket.Replace(' ', '_')}', start_offset => {Literal(start)}, end_offset => {Literal(end)}, schedule_interval => INTERVAL '1 day')"));
        }

        // Integer time: offsets in the column's units, the same two-bucket rule.
        await Db.ExecuteAsync("""
            CREATE TABLE win_int_source (t bigint NOT NULL, device_id int NOT NULL, value double precision NOT NULL);
            SELECT create_hypertable('win_int_source', by_range('t', 1000));
            CREATE FUNCTION win_int_now() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 100000::bigint $$;
            SELECT set_integer_now_func('win_int_source', 'win_int_now');
            CREATE MATERIALIZED VIEW win_int WITH (timescaledb.continuous) AS SELECT time_bucket(10, t) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM win_int_source GROUP BY 1, 2 WITH NO DATA;
            """);
        (long? Start, long? End)[] integerCases = [(30, 10), (29, 10), (20, 0), (10, 30), (5, null), (-10, -40)];
        foreach (var (start, end) in integerCases)
        {
            verdicts.Add(await VerdictAsync(
                $"buckets of 10, start {start?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}, end {end?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}",
                CaggModels.Model("win_int_source", "win", c => c.WithRefreshPolicy(start, end, "1 day"), sql: "SELECT time_bucket(10, device_id) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM {0} GROUP BY 1, 2"),
                FormattableString.Invariant($"SELECT add_continuous_aggregate_policy('win_int', start_offset => {(object?)start ?? "NULL"}, end_offset => {(object?)end ?? "NULL"}, schedule_interval => INTERVAL '1 day')")));
        }

        // Every verdict agrees, and both kinds occur (the check is not vacuous).
        Assert.All(verdicts, v => Assert.True(v.Contains("model accepts, server accepts", StringComparison.Ordinal) || v.Contains("model refuses, server policy refresh window too small", StringComparison.Ordinal), v));
        Assert.Contains(verdicts, v => v.Contains("model refuses", StringComparison.Ordinal));
        Assert.Contains(verdicts, v => v.Contains("model accepts", StringComparison.Ordinal));
        await Db.ExecuteAsync("DROP TABLE win_source CASCADE; DROP TABLE win_int_source CASCADE; DROP FUNCTION win_int_now();");
    }

    [Fact]
    public async Task Integer_offsets_round_trip_and_scaffold_as_numbers()
    {
        await Db.ExecuteAsync("CREATE FUNCTION off_int_now() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 100000::bigint $$");
        Action<ModelBuilder> model = b =>
        {
            b.Entity<Reading<long>>(e =>
            {
                e.ToTable("off_int_source");
                e.HasKey(x => new { x.Time, x.DeviceId });
                e.IsHypertable(x => x.Time).WithChunkInterval(1000).WithIntegerNowFunction("off_int_now");
            });
            b.Entity<IntegerBucket>(e => e.HasNoKey()
                .IsContinuousAggregate("off_int_agg", "SELECT time_bucket(10, time) AS bucket, device_id, avg(value) AS avg_value FROM off_int_source GROUP BY 1, 2")
                .WithRefreshPolicy(100, 10, "1 hour")
                .WithNoData());
        };
        await using var context = CaggModels.Context(Db.ConnectionString, model);
        var create = context.DiffFrom(null);
        Assert.Contains("startOffset: \"100\"", MigrationCode(context, create), StringComparison.Ordinal);
        Assert.Contains("start_offset => 100, end_offset => 10,", context.Sql(create), StringComparison.Ordinal);

        await context.ApplyAsync(create);
        Assert.Equal("100|10", await ConfigAsync("off_int_agg"));
        Assert.Empty(context.DiffFrom(context));

        var scaffolded = DesignTime.Scaffold(DesignTime.Services(context), Db.ConnectionString, Db.Schema);
        Assert.Contains(".WithRefreshPolicy(100L,10L,\"1hour\")", Regex.Replace(scaffolded.ContextFile.Code, @"\s+", ""), StringComparison.Ordinal);
        await using var scaffoldedContext = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var read = Policy(scaffoldedContext.GetService<IDesignTimeModel>().Model, "off_int_agg");
        Assert.Equal(Policy(context.DesignModel, "off_int_agg"), read);
        Assert.Equal(TimescaleInterval.FromInteger(100), read!.StartOffset);

        await using var none = ModelContext.Create(Db.ConnectionString, _ => { });
        await none.ApplyAsync(none.DiffFrom(context));
        await Db.ExecuteAsync("DROP FUNCTION off_int_now()");
    }

    /// <summary>"case: model accepts|refuses, server accepts|its error", the policy removed again when the server took it.</summary>
    private async Task<string> VerdictAsync(string description, Action<ModelBuilder> model, string addPolicy)
    {
        using var context = CaggModels.Context(NoServer, model);
        var modelError = Record.Exception(() => context.Model);
        Assert.True(modelError is null or InvalidOperationException, modelError?.ToString());
        if (modelError is not null)
        {
            Assert.Contains("property 'startOffset'", modelError.Message, StringComparison.Ordinal);
        }

        string? serverError = null;
        try
        {
            await Db.ExecuteAsync(addPolicy);
            await Db.ExecuteAsync($"SELECT remove_continuous_aggregate_policy('{addPolicy.Split('\'')[1]}')");
        }
        catch (PostgresException e)
        {
            serverError = e.MessageText;
        }

        return $"{description}: model {(modelError is null ? "accepts" : "refuses")}, server {serverError ?? "accepts"}";
    }

    private static readonly string[] Widths = ["1 hour", "1 day", "1 month"];

    private static string Sql(string width) => $"SELECT time_bucket('{width}', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM win_source GROUP BY 1, 2";

    private static string Literal(string? interval) => interval is null ? "NULL" : $"INTERVAL '{interval}'";

    private static ContinuousAggregatePolicy? Policy(IModel model, string view)
        => ContinuousAggregateDefinition.Find(model.GetEntityTypes().Single(e => e.GetViewName() == view))!.Policy;

    /// <summary>"start_offset|end_offset" of the aggregate's refresh policy as the job's config holds them (empty for null).</summary>
    private Task<string> ConfigAsync(string view)
        => Db.ScalarAsync<string>($"""
            SELECT concat(j.config ->> 'start_offset', '|', j.config ->> 'end_offset') FROM timescaledb_information.jobs j
            JOIN _timescaledb_catalog.continuous_agg c ON c.mat_hypertable_id = (j.config ->> 'mat_hypertable_id')::int
            WHERE c.user_view_schema = current_schema() AND c.user_view_name = '{view}'
            """);

    private static string MigrationCode(ModelContext context, IReadOnlyList<MigrationOperation> operations)
    {
        var builder = new IndentedStringBuilder();
        DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.ICSharpMigrationOperationGenerator>().Generate("migrationBuilder", operations, builder);
        return builder.ToString();
    }
}

/// <summary>A bucket of an integer-time aggregate.</summary>
public class IntegerBucket
{
    public long Bucket { get; set; }

    public int DeviceId { get; set; }

    public double AvgValue { get; set; }
}
