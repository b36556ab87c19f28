using System.Globalization;
using Hourglass;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// The refreshes that migrations ask for, which TimescaleDB runs only outside a transaction. While
/// <see cref="TimescaleMigrator"/> applies migrations, a refresh is recorded in <c>"__HourglassPendingRefreshes"</c>
/// (beside EF's history table) inside the migration's transaction, so it commits with the migration's history row;
/// once the migrations are applied, each recorded refresh runs and its row is deleted, and the table is dropped when
/// empty. A run that dies anywhere leaves either the migration unapplied (nothing recorded) or the migration applied
/// with its refresh recorded, which the next run performs with a <see cref="TimescaleEventId.PendingStepResumed"/>
/// warning. A refresh that fails stays recorded, and the error says so.
/// </summary>
internal sealed class PendingRefreshes(
    IRelationalConnection connection,
    IRawSqlCommandBuilder commands,
    ICurrentDbContext currentContext,
    IRelationalCommandDiagnosticsLogger commandLogger,
    IDbContextOptions options,
    ISqlGenerationHelper sql,
    TimescaleDiagnostics diagnostics) : ITimescaleMigrationCompletion
{
    // In the schema of EF's migration history table; the Hourglass library reads it too (GetPendingMigrationRefreshesAsync).
    private string Table => sql.DelimitIdentifier(PendingMigrationRefresh.TableName, RelationalOptionsExtension.Extract(options).MigrationsHistoryTableSchema);

    /// <summary>Records the refresh of <paramref name="regclass"/> in the migration's transaction.</summary>
    public void AppendRecord(MigrationCommandListBuilder builder, string regclass)
    {
        builder
            .AppendLine($"CREATE TABLE IF NOT EXISTS {Table} (")
            .AppendLine("    view_schema name NOT NULL,")
            .AppendLine("    view_name name NOT NULL,")
            .AppendLine("    requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),")
            .AppendLine("    PRIMARY KEY (view_schema, view_name));")
            .EndCommand();
        builder
            .AppendLine($"INSERT INTO {Table} (view_schema, view_name)")
            .AppendLine("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace")
            .AppendLine($"WHERE c.oid = {regclass}::regclass")
            .AppendLine("ON CONFLICT DO NOTHING;")
            .EndCommand();
    }

    public async Task ReportLeftoversAsync(bool async, CancellationToken cancellationToken)
    {
        foreach (var pending in await ReadAsync(async, cancellationToken).ConfigureAwait(false))
        {
            diagnostics.PendingStepResumed(
                $"the refresh of continuous aggregate {pending.View}",
                pending.RequestedAt.ToString("u", CultureInfo.InvariantCulture));
        }
    }

    public async Task CompleteAsync(bool async, CancellationToken cancellationToken)
    {
        var pending = await ReadAsync(async, cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            return;
        }

        foreach (var refresh in pending)
        {
            var literal = TimescaleSqlContext.Literal(refresh.View);
            if (await ScalarAsync<bool>($"SELECT to_regclass({literal}) IS NOT NULL", async, cancellationToken).ConfigureAwait(false))
            {
                await RefreshAsync(refresh, literal, async, cancellationToken).ConfigureAwait(false);
            }

            // Also when the view is gone (dropped by a later migration of the same run): nothing is left to refresh.
            await ExecuteAsync(
                IfTableExists($"DELETE FROM {Table} WHERE view_schema = {TimescaleSqlContext.Literal(refresh.Schema)} AND view_name = {TimescaleSqlContext.Literal(refresh.Name)};"),
                async,
                cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(IfTableExists($"IF NOT EXISTS (SELECT FROM {Table}) THEN DROP TABLE {Table}; END IF;"), async, cancellationToken).ConfigureAwait(false);
    }

    // Where the session lock does not exclude a second migrating client (the embedded engine's one session holds every
    // client's advisory locks), that client may finish the same refreshes and drop the table first. Each statement is
    // one DO block, and PL/pgSQL plans the inner statement only when it runs.
    private string IfTableExists(string statement)
        => $"DO $hourglass$ BEGIN IF to_regclass({TimescaleSqlContext.Literal(Table)}) IS NOT NULL THEN {statement} END IF; END $hourglass$;";

    private async Task RefreshAsync(PendingRefresh refresh, string literal, bool async, CancellationToken cancellationToken)
    {
        var subject = $"Continuous aggregate {refresh.View}";
        try
        {
            await ConcurrentRefreshes.WaitOutAsync(
                () => ExecuteAsync($"CALL refresh_continuous_aggregate({literal}, NULL, NULL);", async, cancellationToken),
                connection.CommandTimeout ?? (connection.DbConnection as NpgsqlConnection)?.CommandTimeout ?? 30,
                subject,
                "Fix: run the migrations again later (the refresh stays pending until it has run), or raise the command timeout.",
                async,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not (OperationCanceledException or TimeoutException))
        {
            var fix = failure.InnerException is TimeoutException
                ? "Fix: a first refresh over much data can outlast the command timeout; raise it (UseNpgsql(..., o => o.CommandTimeout(seconds)), "
                    + "or context.Database.SetCommandTimeout before migrating) and run the migrations again."
                : "Fix: correct the cause above (the server's error) and run the migrations again, or refresh the aggregate yourself and delete its row.";
            throw new InvalidOperationException(
                $"The migrations were applied and recorded, but the refresh of continuous aggregate {refresh.View} that one of them asked for failed: "
                + $"{failure.Message} The aggregate exists and stays empty for the windows it has not materialized; the refresh stays recorded in {Table}, "
                + $"and the next Migrate(), MigrateAsync() or `dotnet ef database update` runs it again. {fix}",
                failure);
        }
    }

    private async Task<IReadOnlyList<PendingRefresh>> ReadAsync(bool async, CancellationToken cancellationToken)
    {
        if (!await ScalarAsync<bool>($"SELECT to_regclass({TimescaleSqlContext.Literal(Table)}) IS NOT NULL", async, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        var found = new List<PendingRefresh>();
        var command = commands.Build($"SELECT view_schema::text, view_name::text, requested_at FROM {Table} ORDER BY requested_at, view_schema, view_name;");
        RelationalDataReader reader;
        try
        {
            reader = async
                ? await command.ExecuteReaderAsync(Parameters, cancellationToken).ConfigureAwait(false)
                : command.ExecuteReader(Parameters);
        }
        catch (PostgresException gone) when (gone.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return []; // another client finished the refreshes and dropped the table since the check above
        }

        await using (reader.ConfigureAwait(false))
        {
            while (async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read())
            {
                var schema = reader.DbDataReader.GetString(0);
                var name = reader.DbDataReader.GetString(1);
                found.Add(new PendingRefresh(schema, name, sql.DelimitIdentifier(name, schema), reader.DbDataReader.GetFieldValue<DateTimeOffset>(2)));
            }
        }

        return found;
    }

    private async Task<T> ScalarAsync<T>(string text, bool async, CancellationToken cancellationToken)
    {
        var command = commands.Build(text);
        var value = async
            ? await command.ExecuteScalarAsync(Parameters, cancellationToken).ConfigureAwait(false)
            : command.ExecuteScalar(Parameters);
        return (T)value!;
    }

    private async Task ExecuteAsync(string text, bool async, CancellationToken cancellationToken)
    {
        var command = commands.Build(text);
        if (async)
        {
            await command.ExecuteNonQueryAsync(Parameters, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            command.ExecuteNonQuery(Parameters);
        }
    }

    // Through EF's command pipeline, so the statements are logged and intercepted like the migrations' own.
    private RelationalCommandParameterObject Parameters
        => new(connection, null, null, currentContext.Context, commandLogger, CommandSource.Migrations);

    private sealed record PendingRefresh(string Schema, string Name, string View, DateTimeOffset RequestedAt);
}
