using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

namespace Hourglass.EntityFrameworkCore.Tests.Policies;

/// <summary>The columnstore policy's recompress_unordered (2.29+): set, changed in place, reset, scaffolded; gated before 2.29.</summary>
public class RecompressUnorderedTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private static Action<ModelBuilder> Model(string table, bool? recompress, string schema) => b =>
    {
        b.HasDefaultSchema(schema);
        Readings(table, h =>
        {
            h.WithColumnstore(c => c.SegmentBy(x => x.DeviceId)).WithColumnstorePolicy("7 days");
            if (recompress is { } value)
            {
                h.RecompressUnordered(value);
            }
        })(b);
    };

    private async Task<Version> ServerVersionAsync()
        => TimescaleServerTarget.ParseVersion(await Db.ScalarAsync<string>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))!;

    [Fact]
    public async Task Recompress_unordered_is_set_changed_in_place_reset_and_scaffolded_or_refused_before_2_29()
    {
        const string table = "ru_policy";
        await using var off = ModelContext.Create(Db.ConnectionString, Model(table, false, Db.Schema));
        var create = off.DiffFrom(null);
        Assert.False(Assert.Single(create.OfType<SetColumnstorePolicyRecompressUnorderedOperation>()).RecompressUnordered);

        if (await ServerVersionAsync() < PolicyOptions.RecompressUnordered)
        {
            await using var strict = ModelContext.Create(Db.ConnectionString, Model(table, false, Db.Schema), t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict));
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => strict.ApplyAsync(strict.DiffFrom(null)));
            Assert.Contains($"recompress_unordered = false of the columnstore policy of \"{Db.Schema}\".\"{table}\" needs TimescaleDB 2.29 or later; this server is {await ServerVersionAsync()}", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, await Db.ScalarAsync<long>($"SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{table}'"));

            var logs = new CollectingLoggerProvider();
            using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
            await using var degrade = ModelContext.Create(Db.ConnectionString, Model(table, false, Db.Schema), loggerFactory: loggerFactory);
            await MigrateAsync(null, degrade);
            var warning = Assert.Single(logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("too old", StringComparison.Ordinal)).Message;
            Assert.Contains("recompress_unordered = false", warning, StringComparison.Ordinal);
            Assert.Contains("2.29", warning, StringComparison.Ordinal);
            Assert.DoesNotContain("recompress_unordered", await JobConfigAsync(Db, table, "policy_compression") ?? "", StringComparison.Ordinal);
            return;
        }

        await off.ApplyAsync(create);
        Assert.Contains("\"recompress_unordered\": false", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
        Assert.Empty(off.DiffFrom(off));
        var id = await JobIdAsync(Db, table, "policy_compression");

        await using var on = ModelContext.Create(Db.ConnectionString, Model(table, true, Db.Schema));
        var change = on.DiffFrom(off);
        Assert.True(Assert.IsType<SetColumnstorePolicyRecompressUnorderedOperation>(Assert.Single(change)).RecompressUnordered);
        await on.ApplyAsync(change);
        Assert.Contains("\"recompress_unordered\": true", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
        Assert.Equal(id, await JobIdAsync(Db, table, "policy_compression"));

        // Not set is TimescaleDB's default: the key goes.
        await using var unset = ModelContext.Create(Db.ConnectionString, Model(table, null, Db.Schema));
        var reset = unset.DiffFrom(on);
        Assert.Null(Assert.IsType<SetColumnstorePolicyRecompressUnorderedOperation>(Assert.Single(reset)).RecompressUnordered);
        await unset.ApplyAsync(reset);
        Assert.DoesNotContain("recompress_unordered", await JobConfigAsync(Db, table, "policy_compression"), StringComparison.Ordinal);
        Assert.Equal(id, await JobIdAsync(Db, table, "policy_compression"));

        // Down of the reset, then scaffolding reads it back and the scaffolded model diffs empty.
        await on.ApplyAsync(on.DiffFrom(unset));
        await off.ApplyAsync(off.DiffFrom(on));
        var scaffolded = DesignTime.Scaffold(DesignTime.Services(off), Db.ConnectionString, Db.Schema);
        Assert.Matches(@"\.WithColumnstorePolicy\(""7 days""\)\s*\.RecompressUnordered\(false\)", scaffolded.ContextFile.Code);
        await using var scaffoldedContext = DesignTime.Compile(Db.ConnectionString, scaffolded);
        var scaffoldedModel = scaffoldedContext.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model.GetRelationalModel();
        Assert.DoesNotContain(off.GetService<IMigrationsModelDiffer>().GetDifferences(off.DesignModel.GetRelationalModel(), scaffoldedModel), o => o is TimescaleMigrationOperation);
    }

    [Fact]
    public void Migration_files_call_the_typed_operation_and_the_model_refuses_the_option_without_a_policy()
    {
        using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Model("conditions", false, "public"));
        var migration = DesignTime.Services(context).GetRequiredService<Microsoft.EntityFrameworkCore.Migrations.Design.IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
        var code = migration.MigrationCode.ReplaceLineEndings("\n");
        Assert.Contains("migrationBuilder.SetColumnstorePolicyRecompressUnordered(", code, StringComparison.Ordinal);
        Assert.Contains("recompressUnordered: false", code, StringComparison.Ordinal);
        Assert.True(code.IndexOf("AddColumnstorePolicy(", StringComparison.Ordinal) < code.IndexOf("SetColumnstorePolicyRecompressUnordered(", StringComparison.Ordinal));
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:PolicyRecompressUnordered\", false)", migration.SnapshotCode, StringComparison.Ordinal);
        var builder = new MigrationBuilder("Npgsql.EntityFrameworkCore.PostgreSQL");
        builder.SetColumnstorePolicyRecompressUnordered("conditions", recompressUnordered: false);
        Assert.False(Assert.IsType<SetColumnstorePolicyRecompressUnorderedOperation>(Assert.Single(builder.Operations)).RecompressUnordered);

        using var noPolicy = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("ru_none", h => h.WithColumnstore().RecompressUnordered(false)));
        var error = Assert.ThrowsAny<InvalidOperationException>(() => noPolicy.DesignModel).Message;
        Assert.Contains("Columnstore policy on entity 'Reading<DateTime>', property 'RecompressUnordered'", error, StringComparison.Ordinal);
        Assert.Contains("WithColumnstorePolicy(...).RecompressUnordered(false)", error, StringComparison.Ordinal);
    }
}
