using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Xunit;

#pragma warning disable EF1001 // EF's design-time services builder, as `dotnet ef` runs it

namespace Hourglass.EntityFrameworkCore.Tests;

/// <summary>Migration files and snapshots, scaffolded in process with the services `dotnet ef` uses.</summary>
public class DesignTimeTests
{
    [Fact]
    public void Migration_files_call_typed_hypertable_operations_and_the_snapshot_keeps_the_hypertable()
    {
        using var context = ModelContext.Create("Host=127.0.0.1;Port=1;Username=nobody", b => b.Entity<Reading<DateTime>>(e =>
        {
            e.ToTable("conditions");
            e.HasKey(x => new { x.Time, x.DeviceId });
            e.IsHypertable(x => x.Time).WithChunkInterval("1 week").PartitionByHash(x => x.DeviceId, 4).WithoutDefaultIndexes();
        }));
        // The builder `dotnet ef` uses: it finds TimescaleDesignTimeServices through the [DesignTimeServicesReference]
        // that Hourglass's build targets wrote into this test assembly.
        var provider = DesignTime.Services(context);

        var migration = provider.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Initial", "App");

        Assert.Contains(
            """
                        migrationBuilder.CreateHypertable(
                            name: "conditions",
                            timeColumn: "Time",
                            chunkInterval: "7 days",
                            createDefaultIndexes: false);
            """,
            migration.MigrationCode,
            StringComparison.Ordinal);
        Assert.Contains("migrationBuilder.AddHypertableDimension(", migration.MigrationCode, StringComparison.Ordinal);
        Assert.Contains("numberOfPartitions: 4);", migration.MigrationCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Hypertable:TimeProperty\", \"Time\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Hypertable:ChunkInterval\", \"7 days\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Hypertable:Dimensions\", \"[{\\\"Property\\\":\\\"DeviceId\\\",\\\"Partitions\\\":4}]\")", migration.SnapshotCode, StringComparison.Ordinal);
        Assert.Contains(".HasAnnotation(\"Hourglass:Hypertable:CreateDefaultIndexes\", false)", migration.SnapshotCode, StringComparison.Ordinal);
    }
}
