using Hourglass.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Hourglass.EntityFrameworkCore.Tests.Columnstore.PolicyTestSupport;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef` runs it

namespace Hourglass.EntityFrameworkCore.Tests.Columnstore;

/// <summary>Migration files, snapshots and `dbcontext scaffold` for columnstore, retention and reorder policies.</summary>
public class PolicyDesignTimeTests(TimescaleDatabaseFixture fixture) : IClassFixture<TimescaleDatabaseFixture>
{

    private static Action<ModelBuilder> FullModel(string table) => Readings(table, h => h
        .WithColumnstore(c => c.SegmentBy(x => x.DeviceId).OrderBy("Time DESC"))
        .WithColumnstorePolicy(after: TimeSpan.FromDays(7))
        .WithRetentionPolicy(dropAfter: TimeSpan.FromDays(90))
        .WithReorderPolicy("ix_" + table + "_device_time"));

    [Fact]
    public void Migration_files_call_typed_policy_operations_and_the_snapshot_keeps_the_annotations()
    {
        using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", FullModel("conditions"));
        var provider = DesignTime.Services(context);

        var migration = provider.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");

        Assert.Contains(
            """
                        migrationBuilder.SetColumnstore(
                            table: "conditions",
                            segmentBy: "DeviceId",
                            orderBy: "Time DESC");

                        migrationBuilder.AddColumnstorePolicy(
                            table: "conditions",
                            after: "7 days");

                        migrationBuilder.AddRetentionPolicy(
                            table: "conditions",
                            dropAfter: "90 days");

                        migrationBuilder.AddReorderPolicy(
                            table: "conditions",
                            indexName: "ix_conditions_device_time");
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);
        Assert.True(
            migration.MigrationCode.IndexOf("migrationBuilder.CreateIndex(", StringComparison.Ordinal) < migration.MigrationCode.IndexOf("migrationBuilder.AddReorderPolicy(", StringComparison.Ordinal),
            "the reorder policy must come after its index is created");
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:Enabled\", true)", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:SegmentBy\", \"[\\\"DeviceId\\\"]\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:OrderBy\", \"[{\\\"Name\\\":\\\"Time\\\",\\\"Descending\\\":true}]\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Columnstore:PolicyAfter\", \"7 days\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Retention:DropAfter\", \"90 days\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Reorder:Index\", \"ix_conditions_device_time\")", migration.SnapshotCode, StringComparison.Ordinal);
    }

    [Fact]
    public void Removal_migration_files_remove_policies_and_disable_the_columnstore()
    {
        using var full = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", FullModel("conditions"));
        using var bare = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", Readings("conditions", h => h.AllowDataRewrite()));
        var provider = DesignTime.Services(bare);
        var generator = provider.GetRequiredService<IMigrationsCodeGenerator>();

        var up = bare.DiffFrom(full);
        var code = generator.GenerateMigration("App", "Remove", up, full.DiffFrom(bare));

        Assert.Contains("migrationBuilder.RemoveReorderPolicy(\n                table: \"conditions\");", code.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.RemoveRetentionPolicy(", code, StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.RemoveColumnstorePolicy(", code, StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.DisableColumnstore(", code, StringComparison.Ordinal);
        Assert.Contains("// Data rewrite: turns the columnstore of hypertable \"conditions\" off", code, StringComparison.Ordinal);
        Assert.True(code.IndexOf("RemoveColumnstorePolicy(", StringComparison.Ordinal) < code.IndexOf("DisableColumnstore(", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scaffolding_reads_settings_and_policies_back_as_fluent_calls_that_compile_to_the_same_model()
    {
        var db = fixture.Database;
        await using var context = ModelContext.Create(db.ConnectionString, b =>
        {
            b.HasDefaultSchema(db.Schema);
            FullModel("scaffold_policies")(b);
        });
        await MigrateAsync(null, context);

        var services = DesignTime.Services(context);
        var scaffolded = DesignTime.Scaffold(services, db.ConnectionString, db.Schema);

        var code = scaffolded.ContextFile.Code.ReplaceLineEndings("\n");
        Assert.Contains(".IsHypertable(\"Time\")", code, StringComparison.Ordinal);
        Assert.Matches(
            @"\.IsHypertable\(""Time""\)\s*\.WithColumnstore\(c => c\s*\.SegmentBy\(""DeviceId""\)\s*\.OrderBy\(""Time DESC""\)\)\s*\.WithColumnstorePolicy\(""7 days""\)\s*\.WithRetentionPolicy\(""90 days""\)\s*\.WithReorderPolicy\(""ix_scaffold_policies_device_time""\);",
            code);
        Assert.DoesNotContain("Hourglass:Scaffold", code, StringComparison.Ordinal);

        // Round trip: the scaffolded code compiles, and its model makes no TimescaleDB migration from the original.
        await using var scaffoldedContext = DesignTime.Compile(db.ConnectionString, scaffolded);
        var scaffoldedModel = scaffoldedContext.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model.GetRelationalModel();
        var differences = context.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrationsModelDiffer>()
            .GetDifferences(context.DesignModel.GetRelationalModel(), scaffoldedModel);
        Assert.DoesNotContain(differences, o => o is Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation);
        // EF scaffolds the default schema ("public") as no schema at all.
        Assert.Contains(scaffoldedModel.FindTable("scaffold_policies", db.Schema == "public" ? null : db.Schema)!.EntityTypeMappings, m => m.TypeBase.FindAnnotation("Hourglass:Retention:DropAfter")?.Value is "90 days");
    }
}
