using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Migrations;
using NodaTime;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>Migrations computed by the model differ and run against the embedded TimescaleDB.</summary>
public class HypertableMigrationTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private ModelContext Context(Action<ModelBuilder> build, bool snakeCase = false) => ModelContext.Create(Db.ConnectionString, build, snakeCase: snakeCase);

    private static Action<ModelBuilder> Readings<T>(string table, Action<HypertableBuilder<Reading<T>>>? hypertable = null, Action<EntityTypeBuilder<Reading<T>>>? entity = null)
        => b => b.Entity<Reading<T>>(e =>
        {
            e.ToTable(table);
            e.HasKey(x => new { x.Time, x.DeviceId });
            entity?.Invoke(e);
            if (hypertable is not null)
            {
                hypertable(e.IsHypertable(x => x.Time));
            }
        });

    private async Task<List<(string Column, string Type, string? Interval, long? IntegerInterval, int? Partitions)>> DimensionsAsync(string table, string? schema = null)
    {
        await using var connection = await Db.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT column_name::text, column_type::text, time_interval::text, integer_interval, num_partitions
            FROM timescaledb_information.dimensions
            WHERE hypertable_schema = {(schema is null ? "current_schema()" : $"'{schema}'")} AND hypertable_name = '{table}'
            ORDER BY dimension_number
            """;
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<(string, string, string?, long?, int?)>();
        while (await reader.ReadAsync())
        {
            result.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt16(4)));
        }

        return result;
    }

    private Task<long> HypertableCountAsync(string table)
        => Db.ScalarAsync<long>($"SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema() AND hypertable_name = '{table}'");

    private static async Task MigrateAsync(ModelContext? from, ModelContext to) => await to.ApplyAsync(to.DiffFrom(from));

    [Theory]
    [InlineData("datetime", "timestamp with time zone")]
    [InlineData("datetimeoffset", "timestamp with time zone")]
    [InlineData("dateonly", "date")]
    [InlineData("instant", "timestamp with time zone")]
    [InlineData("localdatetime", "timestamp without time zone")]
    [InlineData("localdate", "date")]
    [InlineData("int", "integer")]
    [InlineData("long", "bigint")]
    public async Task Each_time_column_type_becomes_a_hypertable(string kind, string columnType)
    {
        var table = "ty_" + kind;
        Action<ModelBuilder> model = kind switch
        {
            "datetime" => Readings<DateTime>(table, h => h.WithChunkInterval("1 day")),
            "datetimeoffset" => Readings<DateTimeOffset>(table, h => h.WithChunkInterval("1 day")),
            "dateonly" => Readings<DateOnly>(table, h => h.WithChunkInterval("1 day")),
            "instant" => Readings<Instant>(table, h => h.WithChunkInterval(TimeSpan.FromDays(1))),
            "localdatetime" => Readings<LocalDateTime>(table, h => h.WithChunkInterval("24 hours")),
            "localdate" => Readings<LocalDate>(table, h => h.WithChunkInterval("1 day")),
            "int" => Readings<int>(table, h => h.WithChunkInterval(1000)),
            _ => Readings<long>(table, h => h.WithChunkInterval(86_400_000)),
        };
        await using var context = Context(model);
        await MigrateAsync(null, context);

        var dimension = Assert.Single(await DimensionsAsync(table));
        Assert.Equal("Time", dimension.Column);
        Assert.Equal(columnType, dimension.Type);
        if (kind is "int" or "long")
        {
            Assert.Equal(kind == "int" ? 1000 : 86_400_000, dimension.IntegerInterval);
        }
        else
        {
            Assert.Equal("1 day", dimension.Interval);
        }
    }

    [Fact]
    public async Task Snake_case_names_and_a_custom_schema_are_used()
    {
        var schema = Db.Schema + "_x";
        await using var context = Context(
            b => b.Entity<Reading<Instant>>(e =>
            {
                e.ToTable("SensorReadings", schema);
                e.HasKey(x => new { x.Time, x.DeviceId });
                e.IsHypertable(x => x.Time).WithChunkInterval("6 hours").PartitionByHash(x => x.DeviceId, 3);
            }),
            snakeCase: true);
        try
        {
            var operations = context.DiffFrom(null);
            var create = Assert.Single(operations.OfType<CreateHypertableOperation>());
            Assert.Equal((schema, "SensorReadings", "time"), (create.Schema, create.Table, create.TimeColumn));
            await context.ApplyAsync(operations);
            var dimensions = await DimensionsAsync("SensorReadings", schema);
            Assert.Equal(2, dimensions.Count);
            Assert.Equal(("time", "06:00:00"), (dimensions[0].Column, dimensions[0].Interval));
            Assert.Equal(("device_id", (int?)3), (dimensions[1].Column, dimensions[1].Partitions));
        }
        finally
        {
            await Db.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }

    [Fact]
    public async Task Changing_the_interval_alters_the_hypertable()
    {
        await using var v1 = Context(Readings<DateTime>("interval_change", h => h.WithChunkInterval("1 day")));
        await using var v2 = Context(Readings<DateTime>("interval_change", h => h.WithChunkInterval("6 hours")));
        await MigrateAsync(null, v1);

        var operations = v2.DiffFrom(v1);
        var change = Assert.IsType<SetHypertableChunkIntervalOperation>(Assert.Single(operations));
        Assert.Contains("set_partitioning_interval(", v2.Sql(operations), StringComparison.Ordinal);
        await v2.ApplyAsync(operations);

        Assert.Equal("06:00:00", Assert.Single(await DimensionsAsync("interval_change")).Interval);
        Assert.Equal("6 hours", change.Interval);
        Assert.Empty(v1.DiffFrom(v1));
    }

    [Fact]
    public async Task Adding_dimensions_adds_them()
    {
        await using var v1 = Context(Readings<DateTime>("add_dimension", h => { }, e => e.HasKey(x => new { x.Time, x.DeviceId, x.Recorded })));
        await using var v2 = Context(Readings<DateTime>("add_dimension", h => h.PartitionByHash(x => x.DeviceId, 2).PartitionByRange(x => x.Recorded, "30 days"), e => e.HasKey(x => new { x.Time, x.DeviceId, x.Recorded })));
        await MigrateAsync(null, v1);

        var operations = v2.DiffFrom(v1);
        Assert.Equal(2, operations.OfType<AddHypertableDimensionOperation>().Count());
        Assert.Contains("by_hash('DeviceId', 2)", v2.Sql(operations), StringComparison.Ordinal);
        await v2.ApplyAsync(operations);

        var dimensions = await DimensionsAsync("add_dimension");
        Assert.Equal(["Time", "DeviceId", "Recorded"], dimensions.Select(d => d.Column));
        Assert.Equal("30 days", dimensions[2].Interval);
    }

    [Fact]
    public async Task Hypertable_back_to_plain_table_keeps_rows_and_keys()
    {
        await using var v1 = Context(Readings<DateTime>("back_to_plain", h => h.WithChunkInterval("1 day").PartitionByHash(x => x.DeviceId, 2), e => e.HasIndex(x => x.Value)));
        await using var v2 = Context(Readings<DateTime>("back_to_plain", entity: e => e.AllowDataRewrite().HasIndex(x => x.Value)));
        await MigrateAsync(null, v1);
        await Db.ExecuteAsync("""INSERT INTO back_to_plain ("Time", "DeviceId", "Recorded", "Value") SELECT timestamptz '2026-01-01' + i * interval '1 hour', i % 5, now(), i FROM generate_series(1, 500) i""");

        var operations = v2.DiffFrom(v1);
        Assert.IsType<ConvertHypertableToTableOperation>(Assert.Single(operations));
        await v2.ApplyAsync(operations);

        Assert.Equal(0, await HypertableCountAsync("back_to_plain"));
        Assert.Equal(500, await Db.ScalarAsync<long>("SELECT count(*) FROM back_to_plain"));
        Assert.Equal(1, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_constraint WHERE conrelid = 'back_to_plain'::regclass AND contype = 'p' AND conname = 'PK_back_to_plain'"));
        Assert.Equal(1, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'IX_back_to_plain_Value'"));
        Assert.Equal(2, await Db.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'back_to_plain'"));
        Assert.Empty(v2.DiffFrom(v2));
    }

    [Fact]
    public async Task Changing_the_time_column_rebuilds_and_keeps_rows()
    {
        await using var v1 = Context(Readings<DateTime>("time_change", h => h.WithChunkInterval("1 day"), e => e.HasKey(x => new { x.Time, x.Recorded, x.DeviceId })));
        await using var v2 = Context(b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("time_change");
            e.HasKey(x => new { x.Time, x.Recorded, x.DeviceId });
            e.IsHypertable(x => x.Recorded).WithChunkInterval("7 days").AllowDataRewrite();
        }));
        await MigrateAsync(null, v1);
        await Db.ExecuteAsync("""INSERT INTO time_change ("Time", "DeviceId", "Recorded", "Value") SELECT timestamptz '2026-01-01' + i * interval '1 hour', i % 5, timestamptz '2025-01-01' + i * interval '1 day', i FROM generate_series(1, 300) i""");

        var operations = v2.DiffFrom(v1);
        Assert.IsType<ConvertHypertableToTableOperation>(operations[0]);
        var create = Assert.IsType<CreateHypertableOperation>(operations[^1]);
        Assert.True(create.MigrateData);
        await v2.ApplyAsync(operations);

        var dimension = Assert.Single(await DimensionsAsync("time_change"));
        Assert.Equal(("Recorded", "7 days"), (dimension.Column, dimension.Interval));
        Assert.Equal(300, await Db.ScalarAsync<long>("SELECT count(*) FROM time_change"));
    }

    [Fact]
    public async Task Migrate_data_keeps_ten_thousand_rows()
    {
        await using var plain = Context(Readings<DateTime>("migrate_data"));
        await using var hyper = Context(Readings<DateTime>("migrate_data", h => h.WithChunkInterval("7 days").MigrateData()));
        await MigrateAsync(null, plain);
        await Db.ExecuteAsync("""INSERT INTO migrate_data ("Time", "DeviceId", "Recorded", "Value") SELECT timestamptz '2026-01-01' + i * interval '1 minute', i % 7, now(), i FROM generate_series(1, 10000) i""");

        var operations = hyper.DiffFrom(plain);
        Assert.True(Assert.IsType<CreateHypertableOperation>(Assert.Single(operations)).MigrateData);
        await hyper.ApplyAsync(operations);

        Assert.Equal(1, await HypertableCountAsync("migrate_data"));
        Assert.Equal(10_000, await Db.ScalarAsync<long>("SELECT count(*) FROM migrate_data"));
        Assert.True(await Db.ScalarAsync<long>("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = 'migrate_data'") >= 1);
    }

    [Fact]
    public async Task Ensure_created_and_create_script_make_hypertables()
    {
        var schema = Db.Schema + "_ec";
        await using var context = Context(b =>
        {
            b.HasDefaultSchema(schema);
            Readings<DateTime>("ensure_created", h => h.WithChunkInterval("2 days").PartitionByHash(x => x.DeviceId, 2))(b);
        });
        try
        {
            var script = context.Database.GenerateCreateScript();
            Assert.Contains("SELECT create_hypertable(", script, StringComparison.Ordinal);
            Assert.Contains("ensure_created', by_range('Time', INTERVAL '2 days'));", script, StringComparison.Ordinal);
            Assert.Contains("by_hash('DeviceId', 2)", script, StringComparison.Ordinal);

            // The database exists, so EnsureCreated would skip; create the tables as EnsureCreated does.
            var creator = (Microsoft.EntityFrameworkCore.Storage.RelationalDatabaseCreator)context.GetService<Microsoft.EntityFrameworkCore.Storage.IDatabaseCreator>();
            await creator.CreateTablesAsync();
            var dimensions = await DimensionsAsync("ensure_created", schema);
            Assert.Equal(["Time", "DeviceId"], dimensions.Select(d => d.Column));
            Assert.Equal("2 days", dimensions[0].Interval);
        }
        finally
        {
            await Db.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }

    [Fact]
    public async Task Idempotent_scripts_use_perform_inside_do_blocks()
    {
        await using var context = Context(Readings<DateTime>("idempotent", h => h.WithChunkInterval("1 day")));
        var sql = context.Sql(context.DiffFrom(null), MigrationsSqlGenerationOptions.Idempotent);
        Assert.Contains("PERFORM create_hypertable(", sql, StringComparison.Ordinal);
        await Db.ExecuteAsync("DO $EF$ BEGIN " + sql + " END $EF$;");
        Assert.Equal(1, await HypertableCountAsync("idempotent"));
    }

    [Fact]
    public async Task Fixed_old_version_generates_the_older_api()
    {
        await using var context = ModelContext.Create(Db.ConnectionString, Readings<DateTime>("old_api", h => h.WithChunkInterval("1 day").PartitionByHash(x => x.DeviceId, 2)), t => t.TargetVersion(new Version(2, 11)));
        var sql = context.Sql(context.DiffFrom(null));
        Assert.Contains("SELECT create_hypertable('old_api', 'Time', chunk_time_interval => INTERVAL '1 day');", sql, StringComparison.Ordinal);
        Assert.Contains("SELECT add_dimension('old_api', 'DeviceId', number_partitions => 2);", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("by_range", sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Integer_time_column_gets_its_integer_now_function()
    {
        await Db.ExecuteAsync("CREATE FUNCTION unix_now_ms() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$");
        await using var context = Context(Readings<long>("integer_now", h => h.WithChunkInterval(86_400_000).WithIntegerNowFunction("unix_now_ms")));
        var operations = context.DiffFrom(null);
        Assert.Contains("set_integer_now_func(", context.Sql(operations), StringComparison.Ordinal);
        await context.ApplyAsync(operations);

        Assert.Equal("unix_now_ms", await Db.ScalarAsync<string>("SELECT integer_now_func::text FROM timescaledb_information.dimensions WHERE hypertable_schema = current_schema() AND hypertable_name = 'integer_now'"));
        Assert.Equal(86_400_000, Assert.Single(await DimensionsAsync("integer_now")).IntegerInterval);
    }

    [Fact]
    public async Task The_server_version_and_edition_are_detected()
    {
        await using var context = Context(Readings<DateTime>("detected"));
        var target = context.GetService<Hourglass.EntityFrameworkCore.Infrastructure.TimescaleServerDetector>().Resolve([]);

        Assert.True(target.IsAvailable);
        Assert.Equal("server", target.Source);
        Assert.True(target.Version >= new Version(2, 13), $"version {target.Version}");
        Assert.Contains(target.License, new[] { "timescale", "apache" });
        Assert.True(target.SupportsDimensionBuilders);
        if (!TestServers.UsingExternalTimescale)
        {
            // The embedded server is the community edition.
            Assert.Equal("timescale", target.License);
            Assert.True(target.HasCommunityFeatures);
        }
    }

    [Fact]
    public async Task MigrateAsync_asks_the_server_asynchronously_before_the_run_and_the_generator_uses_that_answer()
    {
        await using var context = Context(Readings<DateTime>("detected_async"));
        Assert.IsType<Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrator>(context.GetService<IMigrator>());
        var detector = context.GetService<Hourglass.EntityFrameworkCore.Infrastructure.TimescaleServerDetector>();
        await detector.PrepareAsync(CancellationToken.None);

        // Unreachable from here on: only the answer read ahead can say which TimescaleDB this is.
        context.Database.SetConnectionString("Host=127.0.0.1;Port=1;Database=none;Username=none;Timeout=1");
        var target = detector.Resolve([]);

        Assert.Equal("server", target.Source);
        Assert.True(target.IsAvailable);
        Assert.True(target.Version >= new Version(2, 13), $"version {target.Version}");
        Assert.Contains(target.License, new[] { "timescale", "apache" });
        // Once installed the answer is kept for the run.
        Assert.Same(target, detector.Resolve([]));
    }
}
