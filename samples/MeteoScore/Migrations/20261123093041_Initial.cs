using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace MeteoScore.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "meteo");

            migrationBuilder.CreateTable(
                name: "models",
                schema: "meteo",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    source = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_models", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "parameters",
                schema: "meteo",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    unit = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_parameters", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sites",
                schema: "meteo",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    latitude = table.Column<decimal>(type: "numeric(9,6)", precision: 9, scale: 6, nullable: false),
                    longitude = table.Column<decimal>(type: "numeric(9,6)", precision: 9, scale: 6, nullable: false),
                    altitude = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sites", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "deviations",
                schema: "meteo",
                columns: table => new
                {
                    timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    site_id = table.Column<int>(type: "integer", nullable: false),
                    model_id = table.Column<int>(type: "integer", nullable: false),
                    parameter_id = table.Column<int>(type: "integer", nullable: false),
                    horizon = table.Column<int>(type: "integer", nullable: false),
                    forecast_value = table.Column<decimal>(type: "numeric(10,2)", precision: 10, scale: 2, nullable: false),
                    observed_value = table.Column<decimal>(type: "numeric(10,2)", precision: 10, scale: 2, nullable: false),
                    deviation = table.Column<decimal>(type: "numeric(10,2)", precision: 10, scale: 2, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_deviations", x => new { x.timestamp, x.site_id, x.model_id, x.parameter_id, x.horizon });
                    table.ForeignKey(
                        name: "fk_deviations_models_model_id",
                        column: x => x.model_id,
                        principalSchema: "meteo",
                        principalTable: "models",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_deviations_parameters_parameter_id",
                        column: x => x.parameter_id,
                        principalSchema: "meteo",
                        principalTable: "parameters",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_deviations_sites_site_id",
                        column: x => x.site_id,
                        principalSchema: "meteo",
                        principalTable: "sites",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "idx_deviations_parameter",
                schema: "meteo",
                table: "deviations",
                column: "parameter_id");

            migrationBuilder.CreateIndex(
                name: "idx_deviations_site_model",
                schema: "meteo",
                table: "deviations",
                columns: new[] { "site_id", "model_id" });

            migrationBuilder.CreateIndex(
                name: "idx_deviations_timestamp",
                schema: "meteo",
                table: "deviations",
                column: "timestamp",
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ix_deviations_model_id",
                schema: "meteo",
                table: "deviations",
                column: "model_id");

            migrationBuilder.CreateIndex(
                name: "ix_models_name",
                schema: "meteo",
                table: "models",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_parameters_name",
                schema: "meteo",
                table: "parameters",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sites_name",
                schema: "meteo",
                table: "sites",
                column: "name",
                unique: true);

            migrationBuilder.CreateHypertable(
                name: "deviations",
                schema: "meteo",
                timeColumn: "timestamp",
                chunkInterval: "7 days",
                createDefaultIndexes: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "deviations",
                schema: "meteo");

            migrationBuilder.DropTable(
                name: "models",
                schema: "meteo");

            migrationBuilder.DropTable(
                name: "parameters",
                schema: "meteo");

            migrationBuilder.DropTable(
                name: "sites",
                schema: "meteo");
        }
    }
}
