using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Sentiment.Migrations
{
    /// <inheritdoc />
    public partial class SentimentHypertable : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_sentiment_timeseries",
                schema: "sentiment",
                table: "sentiment_timeseries");

            migrationBuilder.AddPrimaryKey(
                name: "pk_sentiment_timeseries",
                schema: "sentiment",
                table: "sentiment_timeseries",
                columns: new[] { "id", "timestamp" });

            migrationBuilder.CreateHypertable(
                name: "sentiment_timeseries",
                schema: "sentiment",
                timeColumn: "timestamp",
                chunkInterval: "7 days",
                migrateData: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.ConvertHypertableToTable(
                name: "sentiment_timeseries",
                schema: "sentiment",
                timeColumn: "timestamp");

            migrationBuilder.DropPrimaryKey(
                name: "pk_sentiment_timeseries",
                schema: "sentiment",
                table: "sentiment_timeseries");

            migrationBuilder.AddPrimaryKey(
                name: "pk_sentiment_timeseries",
                schema: "sentiment",
                table: "sentiment_timeseries",
                column: "id");
        }
    }
}
