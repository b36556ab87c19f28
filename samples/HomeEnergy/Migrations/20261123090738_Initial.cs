using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HomeEnergy.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "aetherlens");

            migrationBuilder.CreateTable(
                name: "devices",
                schema: "aetherlens",
                columns: table => new
                {
                    device_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    type = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    manufacturer = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    model = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    location = table.Column<string>(type: "jsonb", nullable: false),
                    capabilities = table.Column<string[]>(type: "text[]", nullable: false),
                    configuration = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_devices", x => x.device_id);
                });

            migrationBuilder.CreateTable(
                name: "rate_schedules",
                schema: "aetherlens",
                columns: table => new
                {
                    rate_id = table.Column<string>(type: "text", nullable: false),
                    provider = table.Column<string>(type: "text", nullable: false),
                    plan_name = table.Column<string>(type: "text", nullable: false),
                    effective_date = table.Column<DateOnly>(type: "date", nullable: false),
                    currency = table.Column<string>(type: "text", nullable: false),
                    time_zone = table.Column<string>(type: "text", nullable: false),
                    rate_structure = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rate_schedules", x => x.rate_id);
                });

            migrationBuilder.CreateTable(
                name: "users",
                schema: "aetherlens",
                columns: table => new
                {
                    user_id = table.Column<string>(type: "text", nullable: false),
                    username = table.Column<string>(type: "text", nullable: false),
                    email = table.Column<string>(type: "text", nullable: false),
                    role = table.Column<string>(type: "text", nullable: false),
                    preferences = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.user_id);
                });

            migrationBuilder.CreateTable(
                name: "metrics",
                schema: "aetherlens",
                columns: table => new
                {
                    time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    device_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    metric_type = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    unit = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    tags = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.ForeignKey(
                        name: "fk_metrics_device",
                        column: x => x.device_id,
                        principalSchema: "aetherlens",
                        principalTable: "devices",
                        principalColumn: "device_id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "idx_devices_location",
                schema: "aetherlens",
                table: "devices",
                column: "location")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "idx_devices_type",
                schema: "aetherlens",
                table: "devices",
                column: "type");

            migrationBuilder.CreateIndex(
                name: "idx_metrics_device_time",
                schema: "aetherlens",
                table: "metrics",
                columns: new[] { "device_id", "time" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "idx_metrics_tags",
                schema: "aetherlens",
                table: "metrics",
                column: "tags")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "idx_metrics_type_time",
                schema: "aetherlens",
                table: "metrics",
                columns: new[] { "metric_type", "time" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "uq_metrics_device_type_time",
                schema: "aetherlens",
                table: "metrics",
                columns: new[] { "device_id", "metric_type", "time" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_username",
                schema: "aetherlens",
                table: "users",
                column: "username",
                unique: true);

            migrationBuilder.CreateHypertable(
                name: "metrics",
                schema: "aetherlens",
                timeColumn: "time",
                chunkInterval: "7 days");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "metrics",
                schema: "aetherlens");

            migrationBuilder.DropTable(
                name: "rate_schedules",
                schema: "aetherlens");

            migrationBuilder.DropTable(
                name: "users",
                schema: "aetherlens");

            migrationBuilder.DropTable(
                name: "devices",
                schema: "aetherlens");
        }
    }
}
