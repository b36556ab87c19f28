using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Quickstart.Migrations
{
    /// <inheritdoc />
    public partial class CreateReadings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "quickstart_readings",
                columns: table => new
                {
                    time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    device_id = table.Column<int>(type: "integer", nullable: false),
                    temperature = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_quickstart_readings", x => new { x.device_id, x.time });
                });

            migrationBuilder.CreateHypertable(
                name: "quickstart_readings",
                timeColumn: "time",
                chunkInterval: "6 hours");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "quickstart_readings");
        }
    }
}
