using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Xunit;

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>
/// A database configured by hand, in SQL as TimescaleDB's docs show it, scaffolded with the services `dotnet ef dbcontext
/// scaffold` uses; a migration generated from the scaffolded model recreates the same catalog.
/// </summary>
public class HandConfiguredDatabaseTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private Task<string> CatalogAsync() => CatalogAsync(Db);

    /// <summary>Jobs and their configs, columnstore settings, dimensions and aggregate options of the database's schema, one line each, sorted.</summary>
    internal static Task<string> CatalogAsync(TestDatabase db) => db.ScalarAsync<string>("""
        SELECT string_agg(x, E'\n' ORDER BY x) FROM (
            SELECT format('job %s %s %s every=%s max_runtime=%s retries=%s retry=%s fixed=%s', coalesce(ca.user_view_name, j.hypertable_name), j.proc_name,
                          (j.config - 'mat_hypertable_id' - 'hypertable_id')::text, j.schedule_interval, j.max_runtime, j.max_retries, j.retry_period, j.fixed_schedule) AS x
            FROM timescaledb_information.jobs j
            LEFT JOIN _timescaledb_catalog.hypertable mh ON mh.schema_name = j.hypertable_schema AND mh.table_name = j.hypertable_name
            LEFT JOIN _timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = mh.id
            WHERE coalesce(ca.user_view_schema, j.hypertable_schema) = current_schema()
            UNION ALL
            SELECT format('columnstore %s segmentby=%s orderby=%s index=%s merged=%s', coalesce(ca.user_view_name, h.table_name), s.segmentby, s.orderby, s.index, s.compress_interval_length)
            FROM timescaledb_information.hypertable_columnstore_settings s
            JOIN _timescaledb_catalog.hypertable h ON s.hypertable = format('%I.%I', h.schema_name, h.table_name)::regclass
            LEFT JOIN _timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = h.id
            WHERE coalesce(ca.user_view_schema, h.schema_name) = current_schema()
            UNION ALL
            SELECT format('chunk skipping %s %s', h.table_name, s.column_name)
            FROM _timescaledb_catalog.chunk_column_stats s
            JOIN _timescaledb_catalog.hypertable h ON h.id = s.hypertable_id
            WHERE s.chunk_id IS NULL AND h.schema_name = current_schema()
            UNION ALL
            SELECT format('dimension %s %s %s', coalesce(ca.user_view_name, h.table_name), d.column_name, d.interval_length)
            FROM _timescaledb_catalog.dimension d
            JOIN _timescaledb_catalog.hypertable h ON h.id = d.hypertable_id
            LEFT JOIN _timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = h.id
            WHERE coalesce(ca.user_view_schema, h.schema_name) = current_schema()
            UNION ALL
            SELECT format('aggregate %s materialized_only=%s columnstore=%s multi_column_indexes=%s', ca.user_view_name, ca.materialized_only, info.compression_enabled,
                          (SELECT count(*) FROM pg_index i WHERE i.indrelid = format('%I.%I', h.schema_name, h.table_name)::regclass AND i.indnatts > 1))
            FROM _timescaledb_catalog.continuous_agg ca
            JOIN _timescaledb_catalog.hypertable h ON h.id = ca.mat_hypertable_id
            JOIN timescaledb_information.continuous_aggregates info ON info.view_schema = ca.user_view_schema AND info.view_name = ca.user_view_name
            WHERE ca.user_view_schema = current_schema()
            UNION ALL
            SELECT format('tablespaces %s %s', hypertable_name, array_to_string(tablespaces, ','))
            FROM timescaledb_information.hypertables
            WHERE hypertable_schema = current_schema() AND tablespaces IS NOT NULL) t
        """);

    [Fact]
    public async Task A_hand_configured_database_scaffolds_into_a_model_whose_migration_recreates_the_same_catalog()
    {
        var (version, tablespace) = await ConfigureByHandAsync(Db);
        try
        {
            var handMade = await CatalogAsync();

            await using var probe = ModelContext.Create(Db.ConnectionString, _ => { });
            var scaffolded = DesignTime.Scaffold(DesignTime.Services(probe), Db.ConnectionString, Db.Schema);
            await using var context = DesignTime.Compile(Db.ConnectionString, scaffolded);

            await DropHandMadeAsync(Db);
            var model = context.GetService<IDesignTimeModel>().Model;
            var operations = context.GetService<IMigrationsModelDiffer>().GetDifferences(null, model.GetRelationalModel());
            var commands = context.GetService<IMigrationsSqlGenerator>().Generate(operations, model);
            await context.GetService<IMigrationCommandExecutor>().ExecuteNonQueryAsync(commands, context.GetService<IRelationalConnection>());

            Assert.Equal(handMade, await CatalogAsync());
            AssertHandMade(handMade, version, tablespace);
            Assert.Empty(context.GetService<IMigrationsModelDiffer>().GetDifferences(model.GetRelationalModel(), model.GetRelationalModel()));
        }
        finally
        {
            await CleanUpAsync(Db, tablespace);
        }
    }

    /// <summary>Drops what <see cref="ConfigureByHandAsync"/> created, except the tablespace.</summary>
    internal static Task DropHandMadeAsync(TestDatabase db)
        => db.ExecuteAsync("DROP MATERIALIZED VIEW hand_daily; DROP MATERIALIZED VIEW hand_hourly; DROP TABLE hand_metrics; DROP TABLE hand_created; DROP TABLE IF EXISTS hand_direct;");

    /// <summary>Drops whatever of the hand-made objects is left, then the tablespace (which must be empty by then).</summary>
    internal static async Task CleanUpAsync(TestDatabase db, string tablespace)
    {
        await db.ExecuteAsync("DROP MATERIALIZED VIEW IF EXISTS hand_daily; DROP MATERIALIZED VIEW IF EXISTS hand_hourly; DROP TABLE IF EXISTS hand_metrics; DROP TABLE IF EXISTS hand_created; DROP TABLE IF EXISTS hand_direct;");
        await db.ExecuteAsync($"DROP TABLESPACE IF EXISTS {tablespace}");
    }

    /// <summary>The options the hand-made catalog must show, so that an empty comparison cannot pass.</summary>
    internal static void AssertHandMade(string handMade, Version version, string tablespace)
    {
        Assert.Contains($"tablespaces hand_metrics {tablespace}", handMade, StringComparison.Ordinal);
        if (version >= DirectCompressHypertable.Since)
        {
            Assert.Contains("job hand_direct policy_compaction", handMade, StringComparison.Ordinal);
        }

        Assert.Contains("job hand_hourly policy_refresh_continuous_aggregate", handMade, StringComparison.Ordinal);
        Assert.Contains("\"buckets_per_batch\": 5", handMade, StringComparison.Ordinal);
        Assert.Contains(
            version >= Hourglass.PolicyOptions.RecompressUnordered
                ? "job hand_created policy_compression {\"recompress_unordered\": false, \"compress_created_before\": \"7 days\"}"
                : "job hand_created policy_compression {\"compress_created_before\": \"7 days\"}",
            handMade,
            StringComparison.Ordinal);
        Assert.Contains("job hand_daily policy_retention {\"drop_after\": \"5 years\"}", handMade, StringComparison.Ordinal);
        Assert.Contains("aggregate hand_hourly materialized_only=t columnstore=t multi_column_indexes=0", handMade, StringComparison.Ordinal);
        Assert.Contains("columnstore hand_metrics segmentby=device_id orderby=\"time\" DESC,seq NULLS FIRST index=[{\"type\": \"bloom\", \"column\": \"tag\", \"source\": \"config\"}, {\"type\": \"minmax\", \"column\": \"value\", \"source\": \"config\"}", handMade, StringComparison.Ordinal);
        Assert.Contains("merged=2 days", handMade, StringComparison.Ordinal);
        Assert.Contains("chunk skipping hand_metrics seq", handMade, StringComparison.Ordinal);
    }

    /// <summary>
    /// Configures the database's schema by hand, as TimescaleDB's docs show it; returns the server's TimescaleDB version
    /// and the tablespace created for it (an in-place one, the kind every engine can create; drop it with <see cref="CleanUpAsync"/>).
    /// </summary>
    internal static async Task<(Version Version, string Tablespace)> ConfigureByHandAsync(TestDatabase db)
    {
        // What a new user writes from TimescaleDB's docs: a compressed hypertable with retention, and an hourly and a
        // daily aggregate kept 1 and 5 years, their old buckets in the columnstore, the refresh in small batches.
        var version = TimescaleServerTargetVersion(await db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"));
        var chunkInterval = version >= new Version(2, 20)
            ? "ALTER MATERIALIZED VIEW hand_hourly SET (timescaledb.chunk_interval = '20 days');"
            : "SELECT set_chunk_time_interval(format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass, INTERVAL '20 days') FROM timescaledb_information.continuous_aggregates WHERE view_name = 'hand_hourly';";
        // Sparse indexes as the server has them: bloom and minmax (2.22+), a composite bloom (2.26+), firstlast (2.28+).
        var sparseIndexes = "bloom(tag), minmax(value)"
            + (version >= new Version(2, 26) ? ", bloom(tag, seq)" : "")
            + (version >= new Version(2, 28) ? ", firstlast(seq)" : "");
        // Policies by creation time (2.13+); a retention policy by creation time fails at every run before 2.26.3, so
        // a user of an older server has none (Hourglass refuses it there, tested in CreatedBeforePolicyTests).
        var createdBefore = version >= Hourglass.PolicyOptions.RetentionCreatedBefore
            ? "SELECT add_retention_policy('hand_created', drop_created_before => INTERVAL '90 days');"
            : "";
        // recompress_unordered is read by the columnstore policy from 2.29 on (older servers ignore the key; Hourglass refuses it there).
        var recompressUnordered = version >= Hourglass.PolicyOptions.RecompressUnordered
            ? "SELECT alter_job(job_id, config => config || '{\"recompress_unordered\": false}') FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema() AND hypertable_name = 'hand_created' AND proc_name = 'policy_compression';"
            : "";
        await db.ExecuteAsync($"""
            CREATE TABLE hand_created (time timestamptz NOT NULL, device_id int NOT NULL, value double precision NOT NULL);
            SELECT create_hypertable('hand_created', by_range('time', INTERVAL '1 day'));
            ALTER TABLE hand_created SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'device_id');
            CALL add_columnstore_policy('hand_created', created_before => INTERVAL '7 days');
            {createdBefore}
            {recompressUnordered}

            CREATE TABLE hand_metrics (time timestamptz NOT NULL, device_id int NOT NULL, value double precision NOT NULL, tag text, seq bigint);
            SELECT create_hypertable('hand_metrics', by_range('time', INTERVAL '1 day'));
            ALTER TABLE hand_metrics SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'device_id', timescaledb.orderby = 'time DESC, seq NULLS FIRST',
                timescaledb.sparse_index = '{sparseIndexes}', timescaledb.compress_chunk_time_interval = '2 days');
            SET timescaledb.enable_chunk_skipping = on;
            SELECT enable_chunk_skipping('hand_metrics', 'seq');
            CALL add_columnstore_policy('hand_metrics', after => INTERVAL '7 days');
            SELECT add_retention_policy('hand_metrics', drop_after => INTERVAL '90 days');

            CREATE MATERIALIZED VIEW hand_hourly WITH (timescaledb.continuous, timescaledb.create_group_indexes = false) AS
                SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value
                FROM hand_metrics GROUP BY 1, 2 WITH NO DATA;
            {chunkInterval}
            SELECT add_continuous_aggregate_policy('hand_hourly', start_offset => INTERVAL '3 hours', end_offset => INTERVAL '1 hour',
                schedule_interval => INTERVAL '1 hour', buckets_per_batch => 5, max_batches_per_execution => 2, refresh_newest_first => false);
            ALTER MATERIALIZED VIEW hand_hourly SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'device_id', timescaledb.orderby = 'bucket DESC');
            CALL add_columnstore_policy('hand_hourly', after => INTERVAL '30 days');
            SELECT add_retention_policy('hand_hourly', drop_after => INTERVAL '1 year');

            CREATE MATERIALIZED VIEW hand_daily WITH (timescaledb.continuous) AS
                SELECT time_bucket('1 day', time) AS bucket, device_id, avg(value) AS avg_value
                FROM hand_metrics GROUP BY 1, 2 WITH NO DATA;
            SELECT add_continuous_aggregate_policy('hand_daily', INTERVAL '3 days', INTERVAL '1 day', INTERVAL '1 day');
            ALTER MATERIALIZED VIEW hand_daily SET (timescaledb.enable_columnstore = true);
            CALL add_columnstore_policy('hand_daily', after => INTERVAL '90 days');
            SELECT add_retention_policy('hand_daily', drop_after => INTERVAL '5 years');
            """);

        // Keeping new chunks on another disk: a tablespace attached to the hypertable.
        var tablespace = $"hg_hand_{Guid.NewGuid():N}"[..20];
        await using (var connection = await db.OpenAsync())
        {
            // CREATE TABLESPACE refuses to run in a transaction, so each statement alone.
            foreach (var sql in new[] { "SET allow_in_place_tablespaces = on", $"CREATE TABLESPACE {tablespace} LOCATION ''" })
            {
                await using var command = new Npgsql.NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        await db.ExecuteAsync($"SELECT attach_tablespace('{tablespace}', 'hand_metrics');");

        // Direct compress (2.29+), on a table without keys as TimescaleDB requires.
        if (version >= DirectCompressHypertable.Since)
        {
            await db.ExecuteAsync("""
                CREATE TABLE hand_direct (time timestamptz NOT NULL, device_id int NOT NULL, value double precision);
                SELECT create_hypertable('hand_direct', by_range('time', INTERVAL '1 day'));
                ALTER TABLE hand_direct SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'device_id', timescaledb.orderby = 'time DESC', timescaledb.direct_compress);
                """);
        }

        return (version, tablespace);
    }

    private static Version TimescaleServerTargetVersion(string text)
        => Hourglass.EntityFrameworkCore.Infrastructure.TimescaleServerTarget.ParseVersion(text) ?? throw new InvalidOperationException($"unreadable TimescaleDB version {text}");
}
