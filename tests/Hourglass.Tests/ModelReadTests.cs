using Hourglass.Infrastructure;
using NpgsqlTypes;
using Xunit;

namespace Hourglass.Tests;

/// <summary>
/// The typed reads the EF Core plugin scaffolds from (layouts, job settings, aggregate definitions, chunk names), each
/// checked against hand-written catalog SQL on the fixture's known contents.
/// </summary>
public sealed class ModelReadTests(CatalogFixture db) : IClassFixture<CatalogFixture>
{
    private async Task<T> ReadAsync<T>(Func<Npgsql.NpgsqlConnection, ServerCatalog, Task<T>> read)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return await read(connection, await ServerCatalog.ReadAsync(connection, default));
    }

    [Fact]
    public async Task Layouts_have_typed_dimensions_and_columnstore_columns()
    {
        var layouts = await ReadAsync((c, s) => TimescaleClient.ReadLayoutsAsync(c, s, default));

        var metrics = layouts.Single(h => h.Schema == db.A && h.Name == "metrics");
        Assert.Equal(["time", "device"], metrics.Dimensions.Select(d => d.Column));
        Assert.Equal(TimeSpan.FromDays(1), metrics.Dimensions[0].Interval);
        Assert.Equal(2, metrics.Dimensions[1].Partitions);
        Assert.True(metrics.ColumnstoreEnabled);
        Assert.Equal(["device"], metrics.Columnstore!.SegmentBy);
        var order = Assert.Single(metrics.Columnstore.OrderBy);
        // NULLS FIRST is PostgreSQL's default for DESC: left out, so equal orders compare equal.
        Assert.Equal(new ColumnstoreOrder("time", Descending: true, NullsFirst: null), order);

        var counters = layouts.Single(h => h.Schema == db.B && h.Name == "counters");
        Assert.Equal(1000L, Assert.Single(counters.Dimensions).IntegerInterval);
        Assert.Null(counters.Dimensions[0].Interval);
        Assert.False(counters.ColumnstoreEnabled);
        Assert.Null(counters.Columnstore);

        var expected = await db.RowsAsync($"SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema IN ('{db.A}', '{db.B}')");
        Assert.Equal((long)expected[0][0]!, layouts.Count(h => h.Schema == db.A || h.Schema == db.B));
    }

    [Fact]
    public async Task Job_settings_have_typed_schedules_and_config_values()
    {
        var jobs = await ReadAsync((c, s) => TimescaleClient.ReadJobSettingsAsync(c, s, default));

        var retention = jobs.Single(j => j.Kind == JobKind.Retention && j.RelationSchema == db.A && j.RelationName == "metrics");
        Assert.Equal(new NpgsqlInterval(0, 30, 0), retention.ConfigValues["drop_after"].Interval);
        Assert.Equal("30 days", retention.ConfigValues["drop_after"].Text);
        Assert.True(retention.IsTimescaleProcedure);

        var refresh = jobs.Single(j => j.Kind == JobKind.ContinuousAggregateRefresh && j.RelationSchema == db.A);
        Assert.Equal("metrics_hourly", refresh.RelationName);
        Assert.Equal(new NpgsqlInterval(0, 10, 0), refresh.ConfigValues["start_offset"].Interval);
        Assert.Equal(new NpgsqlInterval(0, 0, 3_600_000_000), refresh.ConfigValues["end_offset"].Interval);
        Assert.Equal(new NpgsqlInterval(0, 0, 3_600_000_000), refresh.ScheduleInterval);
        // mat_hypertable_id is a number: typed as an integer, never cast to an interval.
        Assert.NotNull(refresh.ConfigValues["mat_hypertable_id"].WholeNumber);
        Assert.Null(refresh.ConfigValues["mat_hypertable_id"].Interval);

        var noop = jobs.Single(j => j.ProcedureSchema == db.B && j.ProcedureName == "noop");
        Assert.False(noop.IsTimescaleProcedure);
        Assert.Equal(JobKind.Custom, noop.Kind);
        Assert.Equal(false, noop.Scheduled);
        Assert.Equal(7L, noop.ConfigValues["days"].WholeNumber);
        var row = (await db.RowsAsync($"SELECT schedule_interval::text, fixed_schedule, max_retries FROM timescaledb_information.jobs WHERE job_id = {noop.Id}"))[0];
        Assert.Equal("01:00:00", (string)row[0]!);
        Assert.Equal(new NpgsqlInterval(0, 0, 3_600_000_000), noop.ScheduleInterval);
        Assert.Equal((bool)row[1]!, noop.FixedSchedule);
        Assert.Equal((int)row[2]!, noop.MaxRetries);
    }

    [Fact]
    public async Task A_schedule_of_months_is_read_as_an_interval_with_months()
    {
        await db.Database.ExecuteAsync($"CREATE PROCEDURE {db.B}.monthly(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN END $$");
        await db.Database.ExecuteAsync($"SELECT add_job('{db.B}.monthly', interval '1 month', scheduled => false)");
        try
        {
            var jobs = await ReadAsync((c, s) => TimescaleClient.ReadJobSettingsAsync(c, s, default));
            var monthly = jobs.Single(j => j.ProcedureSchema == db.B && j.ProcedureName == "monthly");
            Assert.Equal(new NpgsqlInterval(1, 0, 0), monthly.ScheduleInterval);
            Assert.Empty(monthly.ConfigValues);
        }
        finally
        {
            await db.Database.ExecuteAsync($"SELECT delete_job(job_id) FROM timescaledb_information.jobs WHERE proc_schema = '{db.B}' AND proc_name = 'monthly'");
        }
    }

    [Fact]
    public async Task The_running_server_has_the_names_chosen_for_its_version()
    {
        var catalog = await ReadAsync((_, s) => Task.FromResult(s));
        var row = (await db.RowsAsync($"SELECT to_regclass('{catalog.JobTable}') IS NOT NULL, to_regclass('timescaledb_information.compression_settings') IS NOT NULL"))[0];
        Assert.True((bool)row[0]!, $"{catalog.JobTable} on TimescaleDB {catalog.TimescaleVersionText}");
        Assert.Equal((bool)row[1]!, catalog.ColumnstoreColumns == ColumnstoreColumnsSource.PerColumnView);
    }

    [Fact]
    public async Task Aggregate_definitions_and_chunk_names_match_the_catalog()
    {
        var aggregates = await ReadAsync((c, s) => TimescaleClient.ReadAggregateDefinitionsAsync(c, s, default));
        var hourly = aggregates.Single(a => a.Schema == db.A && a.Name == "metrics_hourly");
        Assert.True(hourly.MaterializedOnly);
        Assert.Contains("time_bucket", hourly.Definition, StringComparison.Ordinal);
        Assert.False(aggregates.Single(a => a.Schema == db.B && a.Name == "metrics_daily").MaterializedOnly);

        var chunks = await ReadAsync((c, s) => TimescaleClient.ReadChunkNamesAsync(c, s, default));
        var expected = await db.RowsAsync($"""
            SELECT n.nspname::text, c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.inhparent = '{db.A}.metrics'::regclass ORDER BY 1, 2
            """);
        Assert.NotEmpty(expected);
        Assert.All(expected, r => Assert.Contains(((string)r[0]!, (string)r[1]!), chunks));
    }
}

/// <summary>
/// Which catalog names each TimescaleDB version gets. Only 2.23 (embedded) and 2.28 (native) run here; the other versions'
/// choices are checked against the catalog shapes of TimescaleDB's own sql/ files for those tags (see docs/operations.md).
/// </summary>
public sealed class VersionChoiceTests
{
    [Theory]
    [InlineData("2.13.0", "_timescaledb_config.bgw_job")]
    [InlineData("2.18.2", "_timescaledb_config.bgw_job")]
    [InlineData("2.24.0", "_timescaledb_config.bgw_job")]
    [InlineData("2.25.0", "_timescaledb_catalog.bgw_job")]
    [InlineData("2.28.3", "_timescaledb_catalog.bgw_job")]
    public void The_job_table_moved_to_the_catalog_in_2_25(string version, string table)
        => Assert.Equal(table, ServerCatalog.JobTableFor(Version.Parse(version)));

    [Fact]
    public void Without_a_known_version_the_newest_names_are_used()
    {
        Assert.Equal("_timescaledb_catalog.bgw_job", ServerCatalog.JobTableFor(null));
        Assert.Equal("_timescaledb_functions", ServerCatalog.InternalSchemaFor(null));
    }

    [Theory]
    [InlineData("2.11.2", "_timescaledb_internal")]
    [InlineData("2.12.0", "_timescaledb_functions")]
    [InlineData("2.28.3", "_timescaledb_functions")]
    public void Internal_functions_moved_in_2_12(string version, string schema)
        => Assert.Equal(schema, ServerCatalog.InternalSchemaFor(Version.Parse(version)));

    [Fact]
    public void Columnstore_columns_come_from_the_per_column_view_and_else_from_the_catalog_arrays()
    {
        Assert.Equal(ColumnstoreColumnsSource.PerColumnView, ServerCatalog.ColumnstoreColumnsFor(hasPerColumnView: true));
        Assert.Equal(ColumnstoreColumnsSource.CatalogArrays, ServerCatalog.ColumnstoreColumnsFor(hasPerColumnView: false));
    }

    [Theory]
    [InlineData(true, "compression_enabled")]
    [InlineData(false, "columnstore_enabled")]
    public void The_hypertables_view_flag_follows_the_view(bool oldName, string column)
    {
        var catalog = new ServerCatalog(
            "15.18", 150018, "db", "user", "2.28.3", "public", "2.28.3", "timescale", "timescaledb", 16, 8, 8, 0, 0, 1, 1,
            new HashSet<string>(), new HashSet<string>(), new HashSet<string>(oldName ? ["compression_enabled"] : ["columnstore_enabled"]), true);
        Assert.Equal(column, catalog.HypertableColumnstoreColumn);
    }
}
