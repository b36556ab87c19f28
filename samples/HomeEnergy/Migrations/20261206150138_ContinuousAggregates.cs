using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HomeEnergy.Migrations
{
    /// <inheritdoc />
    public partial class ContinuousAggregates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "aetherlens");

            migrationBuilder.CreateContinuousAggregate(
                // Created empty; RefreshContinuousAggregate below (or the refresh policy) computes its rows.
                name: "metrics_daily",
                schema: "aetherlens",
                sql: "SELECT time_bucket(INTERVAL '1 00:00:00', m.time) AS day, m.device_id, m.metric_type, avg(m.value) AS avg_value, min(m.value) AS min_value, max(m.value) AS max_value, COALESCE(sum(CASE\n    WHEN m.metric_type = 'energy' THEN m.value\n    ELSE 0.0\nEND), 0.0) AS total_energy, percentile_cont(0.5 ) WITHIN GROUP (ORDER BY m.value) AS median_value\nFROM aetherlens.metrics AS m\nGROUP BY time_bucket(INTERVAL '1 00:00:00', m.time), m.device_id, m.metric_type",
                materializedOnly: true);

            migrationBuilder.AddContinuousAggregatePolicy(
                name: "metrics_daily",
                schema: "aetherlens",
                startOffset: "3 days",
                endOffset: "1 day",
                scheduleInterval: "1 day");

            migrationBuilder.AddRetentionPolicy(
                table: "metrics_daily",
                schema: "aetherlens",
                dropAfter: "60 months");

            migrationBuilder.RefreshContinuousAggregate(
                // Computes every bucket from the source rows; runs outside the migration's transaction (TimescaleDB requires it).
                name: "metrics_daily",
                schema: "aetherlens");

            migrationBuilder.CreateContinuousAggregate(
                // Created empty; RefreshContinuousAggregate below (or the refresh policy) computes its rows.
                name: "metrics_hourly",
                schema: "aetherlens",
                sql: "SELECT time_bucket(INTERVAL '01:00:00', m.time) AS hour, m.device_id, m.metric_type, avg(m.value) AS avg_value, min(m.value) AS min_value, max(m.value) AS max_value, count(*) AS sample_count, COALESCE(sum(CASE\n    WHEN m.metric_type = 'energy' THEN m.value\n    ELSE 0.0\nEND), 0.0) AS total_energy, percentile_cont(0.94999999999999996 ) WITHIN GROUP (ORDER BY m.value) AS p95_value\nFROM aetherlens.metrics AS m\nGROUP BY time_bucket(INTERVAL '01:00:00', m.time), m.device_id, m.metric_type",
                materializedOnly: true);

            migrationBuilder.AddContinuousAggregatePolicy(
                name: "metrics_hourly",
                schema: "aetherlens",
                startOffset: "3 hours",
                endOffset: "1 hour",
                scheduleInterval: "1 hour");

            migrationBuilder.AddRetentionPolicy(
                table: "metrics_hourly",
                schema: "aetherlens",
                dropAfter: "12 months");

            migrationBuilder.RefreshContinuousAggregate(
                // Computes every bucket from the source rows; runs outside the migration's transaction (TimescaleDB requires it).
                name: "metrics_hourly",
                schema: "aetherlens");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropContinuousAggregate(
                // Discards the materialized rows; a view created again recomputes them from the source table.
                name: "metrics_hourly",
                schema: "aetherlens");

            migrationBuilder.DropContinuousAggregate(
                // Discards the materialized rows; a view created again recomputes them from the source table.
                name: "metrics_daily",
                schema: "aetherlens");
        }
    }
}
