using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MacroTrading.Migrations
{
    /// <inheritdoc />
    public partial class Columnstore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.SetColumnstore(
                table: "curves",
                schema: "macro",
                segmentBy: "curve_id",
                orderBy: "curve_date DESC");

            migrationBuilder.SetColumnstore(
                table: "fiscal_data",
                schema: "macro",
                segmentBy: "series_id",
                orderBy: "observation_date DESC");

            migrationBuilder.SetColumnstore(
                table: "flow_data",
                schema: "macro",
                segmentBy: "series_id",
                orderBy: "observation_date DESC");

            migrationBuilder.SetColumnstore(
                table: "macro_series",
                schema: "macro",
                segmentBy: "series_id",
                orderBy: "observation_date DESC");

            migrationBuilder.SetColumnstore(
                table: "market_data",
                schema: "macro",
                segmentBy: "instrument_id",
                orderBy: "timestamp DESC");

            migrationBuilder.SetColumnstore(
                table: "signals",
                schema: "macro",
                segmentBy: "signal_type",
                orderBy: "signal_date DESC");

            migrationBuilder.SetColumnstore(
                table: "vol_surfaces",
                schema: "macro",
                segmentBy: "instrument_id",
                orderBy: "surface_date DESC");

            migrationBuilder.AddColumnstorePolicy(
                table: "curves",
                schema: "macro",
                after: "90 days");

            migrationBuilder.AddColumnstorePolicy(
                table: "fiscal_data",
                schema: "macro",
                after: "180 days");

            migrationBuilder.AddColumnstorePolicy(
                table: "flow_data",
                schema: "macro",
                after: "90 days");

            migrationBuilder.AddColumnstorePolicy(
                table: "macro_series",
                schema: "macro",
                after: "90 days");

            migrationBuilder.AddColumnstorePolicy(
                table: "market_data",
                schema: "macro",
                after: "30 days");

            migrationBuilder.AddColumnstorePolicy(
                table: "signals",
                schema: "macro",
                after: "90 days");

            migrationBuilder.AddColumnstorePolicy(
                table: "vol_surfaces",
                schema: "macro",
                after: "90 days");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RemoveColumnstorePolicy(
                table: "curves",
                schema: "macro");

            migrationBuilder.RemoveColumnstorePolicy(
                table: "fiscal_data",
                schema: "macro");

            migrationBuilder.RemoveColumnstorePolicy(
                table: "flow_data",
                schema: "macro");

            migrationBuilder.RemoveColumnstorePolicy(
                table: "macro_series",
                schema: "macro");

            migrationBuilder.RemoveColumnstorePolicy(
                table: "market_data",
                schema: "macro");

            migrationBuilder.RemoveColumnstorePolicy(
                table: "signals",
                schema: "macro");

            migrationBuilder.RemoveColumnstorePolicy(
                table: "vol_surfaces",
                schema: "macro");

            migrationBuilder.DisableColumnstore(
                table: "curves",
                schema: "macro");

            migrationBuilder.DisableColumnstore(
                table: "fiscal_data",
                schema: "macro");

            migrationBuilder.DisableColumnstore(
                table: "flow_data",
                schema: "macro");

            migrationBuilder.DisableColumnstore(
                table: "macro_series",
                schema: "macro");

            migrationBuilder.DisableColumnstore(
                table: "market_data",
                schema: "macro");

            migrationBuilder.DisableColumnstore(
                table: "signals",
                schema: "macro");

            migrationBuilder.DisableColumnstore(
                table: "vol_surfaces",
                schema: "macro");
        }
    }
}
