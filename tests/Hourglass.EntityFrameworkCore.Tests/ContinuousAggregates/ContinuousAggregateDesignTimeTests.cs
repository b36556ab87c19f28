using Hourglass.EntityFrameworkCore.ContinuousAggregates;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Internal;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef` runs it

namespace Hourglass.EntityFrameworkCore.Tests.ContinuousAggregates;

/// <summary>Migration files and snapshots of continuous aggregates, scaffolded in process with the services `dotnet ef` uses.</summary>
public class ContinuousAggregateDesignTimeTests
{
    private static ScaffoldedMigration Scaffold(Action<Microsoft.EntityFrameworkCore.ModelBuilder> model)
    {
        using var context = CaggModels.Context("Host=127.0.0.1;Port=1;Username=nobody", model);
        var provider = DesignTime.Services(context);
        return provider.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");
    }

    [Fact]
    public void The_migration_compiles_and_its_snapshot_has_no_differences_from_the_model()
    {
        var model = CaggModels.Model("metrics", "hourly_metrics", c => c
            .WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: null, scheduleInterval: TimeSpan.FromMinutes(30))
            .MaterializedOnly(false));
        using var context = CaggModels.Context("Host=127.0.0.1;Port=1;Username=nobody", model);
        var provider = DesignTime.Services(context);
        var migration = provider.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");

        // What `migrations add` does next time: read the snapshot's model and diff it with the current one.
        // The migration itself compiles too (its calls carry comments inside the argument lists).
        var compiled = Compile(migration.SnapshotCode, migration.MigrationCode, migration.MetadataCode);
        Assert.Single(compiled.GetTypes(), t => t.IsSubclassOf(typeof(Migration)));
        var snapshot = (ModelSnapshot)Activator.CreateInstance(compiled.GetTypes().Single(t => t.IsSubclassOf(typeof(ModelSnapshot))))!;
        var lastModel = provider.GetRequiredService<ISnapshotModelProcessor>().Process(snapshot.Model)!;
        var differ = provider.GetRequiredService<IMigrationsModelDiffer>();
        var snapshotView = Assert.Single(lastModel.GetRelationalModel().Views);
        Assert.Equal("hourly_metrics", snapshotView.Name);
        Assert.DoesNotContain(lastModel.GetRelationalModel().Tables, t => t.Name == "hourly_metrics");

        Assert.Empty(differ.GetDifferences(lastModel.GetRelationalModel(), context.DesignModel.GetRelationalModel()));

        using var changed = CaggModels.Context("Host=127.0.0.1;Port=1;Username=nobody", CaggModels.Model("metrics", "hourly_metrics", c => c.WithNoData()));
        Assert.Contains("RefreshContinuousAggregate(", migration.MigrationCode, StringComparison.Ordinal);
        var operations = differ.GetDifferences(lastModel.GetRelationalModel(), changed.DesignModel.GetRelationalModel());
        Assert.Equal(
            [nameof(SetContinuousAggregateMaterializedOnlyOperation), nameof(RemoveContinuousAggregatePolicyOperation)],
            operations.Select(o => o.GetType().Name));
    }

    private static System.Reflection.Assembly Compile(params string[] code)
    {
        var references = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && !string.IsNullOrEmpty(a.Location))
            .Select(a => MetadataReference.CreateFromFile(a.Location));
        var compilation = CSharpCompilation.Create(
            "Snapshot" + Guid.NewGuid().ToString("N"),
            code.Select(c => CSharpSyntaxTree.ParseText(c)),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return System.Reflection.Assembly.Load(stream.ToArray());
    }

    [Fact]
    public void Migration_files_call_readable_continuous_aggregate_operations_and_the_snapshot_keeps_the_aggregate()
    {
        var migration = Scaffold(CaggModels.Model("metrics", "hourly_metrics", c => c
            .WithRefreshPolicy(startOffset: TimeSpan.FromDays(3), endOffset: TimeSpan.FromHours(1), scheduleInterval: TimeSpan.FromHours(1))
            .MaterializedOnly(false)));
        var code = migration.MigrationCode;

        Assert.Contains(
            """
                        migrationBuilder.CreateContinuousAggregate(
                            // Created empty; RefreshContinuousAggregate below (or the refresh policy) computes its rows.
                            name: "hourly_metrics",
                            sql: "SELECT time_bucket('1 hour', time) AS bucket, device_id, avg(value) AS avg_value, max(value) AS max_value FROM metrics GROUP BY 1, 2",
                            materializedOnly: false);
            """,
            code,
            StringComparison.Ordinal);
        Assert.Contains(
            """
                        migrationBuilder.AddContinuousAggregatePolicy(
                            name: "hourly_metrics",
                            startOffset: "3 days",
                            endOffset: "1 hour",
                            scheduleInterval: "1 hour");
            """,
            code,
            StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.RefreshContinuousAggregate(", code, StringComparison.Ordinal);
        Assert.DoesNotContain("name: \"hourly_metrics\",\n                columns:", code, StringComparison.Ordinal);
        Assert.True(code.IndexOf("CreateHypertable(", StringComparison.Ordinal) < code.IndexOf("CreateContinuousAggregate(", StringComparison.Ordinal));

        // Down: the view goes before the table.
        var down = code[code.IndexOf("protected override void Down", StringComparison.Ordinal)..];
        Assert.True(down.IndexOf("DropContinuousAggregate(", StringComparison.Ordinal) < down.IndexOf("DropTable(", StringComparison.Ordinal));
        Assert.Contains("// Discards the materialized rows", down, StringComparison.Ordinal);

        var snapshot = migration.SnapshotCode;
        Assert.Contains("b.ToView(\"hourly_metrics\"", snapshot, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:ContinuousAggregate:Sql\", \"SELECT time_bucket('1 hour', time) AS bucket", snapshot, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:ContinuousAggregate:MaterializedOnly\", false)", snapshot, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:ContinuousAggregate:RefreshPolicy\", \"start=3 days; end=1 hour; schedule=1 hour\")", snapshot, StringComparison.Ordinal);
    }

    [Fact]
    public void Offsets_in_months_are_written_as_text_and_the_snapshot_compares_equal()
    {
        var model = CaggModels.Model("metrics", "hourly_metrics", c => c.WithRefreshPolicy("3 months", "1 month", "1 day"));
        using var context = CaggModels.Context("Host=127.0.0.1;Port=1;Username=nobody", model);
        var provider = DesignTime.Services(context);
        var migration = provider.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");

        Assert.Contains(
            """
                        migrationBuilder.AddContinuousAggregatePolicy(
                            name: "hourly_metrics",
                            startOffset: "3 months",
                            endOffset: "1 month",
                            scheduleInterval: "1 day");
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);
        // The annotation keeps its format, with the months in it.
        Assert.Contains(".HasAnnotation(\"Hourglass:ContinuousAggregate:RefreshPolicy\", \"start=3 months; end=1 month; schedule=1 day\")", migration.SnapshotCode, StringComparison.Ordinal);

        var compiled = Compile(migration.SnapshotCode, migration.MigrationCode, migration.MetadataCode);
        var snapshot = (ModelSnapshot)Activator.CreateInstance(compiled.GetTypes().Single(t => t.IsSubclassOf(typeof(ModelSnapshot))))!;
        var lastModel = provider.GetRequiredService<ISnapshotModelProcessor>().Process(snapshot.Model)!;
        var differ = provider.GetRequiredService<IMigrationsModelDiffer>();
        Assert.Empty(differ.GetDifferences(lastModel.GetRelationalModel(), context.DesignModel.GetRelationalModel()));

        // 3 months is not 90 days: changing one into the other is a change of policy.
        using var days = CaggModels.Context("Host=127.0.0.1;Port=1;Username=nobody", CaggModels.Model("metrics", "hourly_metrics", c => c.WithRefreshPolicy(TimeSpan.FromDays(90), TimeSpan.FromDays(30), TimeSpan.FromDays(1))));
        Assert.Equal(
            [nameof(RemoveContinuousAggregatePolicyOperation), nameof(AddContinuousAggregatePolicyOperation)],
            differ.GetDifferences(lastModel.GetRelationalModel(), days.DesignModel.GetRelationalModel()).Select(o => o.GetType().Name));
    }

    [Fact]
    public void Without_data_the_migration_does_not_refresh()
    {
        var code = Scaffold(CaggModels.Model("metrics", "hourly_metrics", c => c.WithNoData())).MigrationCode;

        Assert.Contains("migrationBuilder.CreateContinuousAggregate(", code, StringComparison.Ordinal);
        Assert.DoesNotContain("RefreshContinuousAggregate(", code, StringComparison.Ordinal);
        Assert.DoesNotContain("AddContinuousAggregatePolicy(", code, StringComparison.Ordinal);
    }
}
