using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HomeEnergy.Migrations
{
    /// <inheritdoc />
    public partial class ColumnstoreAndRetention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.SetColumnstore(
                table: "metrics",
                schema: "aetherlens",
                segmentBy: "device_id, metric_type",
                orderBy: "time DESC");

            migrationBuilder.AddColumnstorePolicy(
                table: "metrics",
                schema: "aetherlens",
                after: "7 days");

            migrationBuilder.AddRetentionPolicy(
                table: "metrics",
                schema: "aetherlens",
                dropAfter: "90 days");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RemoveColumnstorePolicy(
                table: "metrics",
                schema: "aetherlens");

            migrationBuilder.RemoveRetentionPolicy(
                table: "metrics",
                schema: "aetherlens");

            migrationBuilder.DisableColumnstore(
                table: "metrics",
                schema: "aetherlens");
        }
    }
}
