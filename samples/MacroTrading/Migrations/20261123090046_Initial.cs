using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace MacroTrading.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "macro");

            migrationBuilder.CreateTable(
                name: "curves",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    curve_date = table.Column<DateOnly>(type: "date", nullable: false),
                    curve_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    tenor_days = table.Column<int>(type: "integer", nullable: false),
                    tenor_label = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    rate = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_curves", x => new { x.id, x.curve_date });
                });

            migrationBuilder.CreateTable(
                name: "data_sources",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "text", nullable: false),
                    base_url = table.Column<string>(type: "text", nullable: false),
                    auth_type = table.Column<string>(type: "text", nullable: false),
                    rate_limit_per_minute = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_sources", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "instruments",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ticker = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    asset_class = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    country = table.Column<string>(type: "character varying(2)", maxLength: 2, nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_instruments", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "series_metadata",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    source_id = table.Column<int>(type: "integer", nullable: false),
                    series_code = table.Column<string>(type: "text", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    frequency = table.Column<string>(type: "text", nullable: false),
                    unit = table.Column<string>(type: "text", nullable: false),
                    country = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_series_metadata", x => x.id);
                    table.ForeignKey(
                        name: "fk_series_metadata_data_sources_source_id",
                        column: x => x.source_id,
                        principalSchema: "macro",
                        principalTable: "data_sources",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "market_data",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    instrument_id = table.Column<int>(type: "integer", nullable: false),
                    frequency = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    open = table.Column<double>(type: "double precision", nullable: false),
                    high = table.Column<double>(type: "double precision", nullable: false),
                    low = table.Column<double>(type: "double precision", nullable: false),
                    close = table.Column<double>(type: "double precision", nullable: false),
                    volume = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_market_data", x => new { x.id, x.timestamp });
                    table.ForeignKey(
                        name: "fk_market_data_instruments_instrument_id",
                        column: x => x.instrument_id,
                        principalSchema: "macro",
                        principalTable: "instruments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "vol_surfaces",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    surface_date = table.Column<DateOnly>(type: "date", nullable: false),
                    instrument_id = table.Column<int>(type: "integer", nullable: false),
                    delta = table.Column<double>(type: "double precision", nullable: false),
                    tenor_days = table.Column<int>(type: "integer", nullable: false),
                    implied_vol = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_vol_surfaces", x => new { x.id, x.surface_date });
                    table.ForeignKey(
                        name: "fk_vol_surfaces_instruments_instrument_id",
                        column: x => x.instrument_id,
                        principalSchema: "macro",
                        principalTable: "instruments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "fiscal_data",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    observation_date = table.Column<DateOnly>(type: "date", nullable: false),
                    series_id = table.Column<int>(type: "integer", nullable: false),
                    fiscal_metric = table.Column<string>(type: "text", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    unit = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_fiscal_data", x => new { x.id, x.observation_date });
                    table.ForeignKey(
                        name: "fk_fiscal_data_series_metadata_series_id",
                        column: x => x.series_id,
                        principalSchema: "macro",
                        principalTable: "series_metadata",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "flow_data",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    observation_date = table.Column<DateOnly>(type: "date", nullable: false),
                    series_id = table.Column<int>(type: "integer", nullable: false),
                    flow_type = table.Column<string>(type: "text", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    unit = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_flow_data", x => new { x.id, x.observation_date });
                    table.ForeignKey(
                        name: "fk_flow_data_series_metadata_series_id",
                        column: x => x.series_id,
                        principalSchema: "macro",
                        principalTable: "series_metadata",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "macro_series",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    observation_date = table.Column<DateOnly>(type: "date", nullable: false),
                    series_id = table.Column<int>(type: "integer", nullable: false),
                    release_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_macro_series", x => new { x.id, x.observation_date });
                    table.ForeignKey(
                        name: "fk_macro_series_series_metadata_series_id",
                        column: x => x.series_id,
                        principalSchema: "macro",
                        principalTable: "series_metadata",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "signals",
                schema: "macro",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    signal_date = table.Column<DateOnly>(type: "date", nullable: false),
                    signal_type = table.Column<string>(type: "text", nullable: false),
                    instrument_id = table.Column<int>(type: "integer", nullable: true),
                    series_id = table.Column<int>(type: "integer", nullable: true),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    confidence = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_signals", x => new { x.id, x.signal_date });
                    table.ForeignKey(
                        name: "fk_signals_instruments_instrument_id",
                        column: x => x.instrument_id,
                        principalSchema: "macro",
                        principalTable: "instruments",
                        principalColumn: "id");
                    table.ForeignKey(
                        name: "fk_signals_series_metadata_series_id",
                        column: x => x.series_id,
                        principalSchema: "macro",
                        principalTable: "series_metadata",
                        principalColumn: "id");
                });

            migrationBuilder.CreateIndex(
                name: "ix_curves_curve_id_curve_date_tenor_days",
                schema: "macro",
                table: "curves",
                columns: new[] { "curve_id", "curve_date", "tenor_days" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_data_sources_name",
                schema: "macro",
                table: "data_sources",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_fiscal_data_series_id_observation_date_fiscal_metric",
                schema: "macro",
                table: "fiscal_data",
                columns: new[] { "series_id", "observation_date", "fiscal_metric" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_flow_data_series_id_observation_date_flow_type",
                schema: "macro",
                table: "flow_data",
                columns: new[] { "series_id", "observation_date", "flow_type" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_instruments_ticker",
                schema: "macro",
                table: "instruments",
                column: "ticker",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_macro_series_series_id_observation_date_release_time",
                schema: "macro",
                table: "macro_series",
                columns: new[] { "series_id", "observation_date", "release_time" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_market_data_instrument_id_timestamp_frequency",
                schema: "macro",
                table: "market_data",
                columns: new[] { "instrument_id", "timestamp", "frequency" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_series_metadata_source_id_series_code",
                schema: "macro",
                table: "series_metadata",
                columns: new[] { "source_id", "series_code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_signals_instrument_id",
                schema: "macro",
                table: "signals",
                column: "instrument_id");

            migrationBuilder.CreateIndex(
                name: "ix_signals_series_id",
                schema: "macro",
                table: "signals",
                column: "series_id");

            migrationBuilder.CreateIndex(
                name: "ix_signals_signal_type_signal_date_instrument_id_series_id",
                schema: "macro",
                table: "signals",
                columns: new[] { "signal_type", "signal_date", "instrument_id", "series_id" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.CreateIndex(
                name: "ix_vol_surfaces_instrument_id_surface_date_delta_tenor_days",
                schema: "macro",
                table: "vol_surfaces",
                columns: new[] { "instrument_id", "surface_date", "delta", "tenor_days" },
                unique: true);

            migrationBuilder.CreateHypertable(
                name: "curves",
                schema: "macro",
                timeColumn: "curve_date",
                chunkInterval: "30 days");

            migrationBuilder.CreateHypertable(
                name: "fiscal_data",
                schema: "macro",
                timeColumn: "observation_date",
                chunkInterval: "365 days");

            migrationBuilder.CreateHypertable(
                name: "flow_data",
                schema: "macro",
                timeColumn: "observation_date",
                chunkInterval: "90 days");

            migrationBuilder.CreateHypertable(
                name: "macro_series",
                schema: "macro",
                timeColumn: "observation_date",
                chunkInterval: "365 days");

            migrationBuilder.CreateHypertable(
                name: "market_data",
                schema: "macro",
                timeColumn: "timestamp",
                chunkInterval: "30 days");

            migrationBuilder.CreateHypertable(
                name: "signals",
                schema: "macro",
                timeColumn: "signal_date",
                chunkInterval: "30 days");

            migrationBuilder.CreateHypertable(
                name: "vol_surfaces",
                schema: "macro",
                timeColumn: "surface_date",
                chunkInterval: "30 days");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "curves",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "fiscal_data",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "flow_data",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "macro_series",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "market_data",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "signals",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "vol_surfaces",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "series_metadata",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "instruments",
                schema: "macro");

            migrationBuilder.DropTable(
                name: "data_sources",
                schema: "macro");
        }
    }
}
