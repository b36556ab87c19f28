using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Prism.Migrations
{
    /// <inheritdoc />
    public partial class CreateDataPoints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "prism");

            migrationBuilder.CreateTable(
                name: "datapoint",
                schema: "prism",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    source = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    metadata = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_datapoint", x => new { x.id, x.timestamp });
                });

            migrationBuilder.CreateIndex(
                name: "ix_datapoint_source_timestamp",
                schema: "prism",
                table: "datapoint",
                columns: new[] { "source", "timestamp" });

            migrationBuilder.CreateHypertable(
                name: "datapoint",
                schema: "prism",
                timeColumn: "timestamp",
                chunkInterval: "7 days");

            migrationBuilder.SetColumnstore(
                table: "datapoint",
                schema: "prism",
                segmentBy: "source",
                orderBy: "timestamp DESC");

            migrationBuilder.AddColumnstorePolicy(
                table: "datapoint",
                schema: "prism",
                after: "1 month");

            migrationBuilder.AddRetentionPolicy(
                table: "datapoint",
                schema: "prism",
                dropAfter: "12 months");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "datapoint",
                schema: "prism");
        }
    }
}
