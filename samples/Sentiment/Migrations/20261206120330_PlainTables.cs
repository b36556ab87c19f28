using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Sentiment.Migrations
{
    /// <inheritdoc />
    public partial class PlainTables : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "sentiment");

            migrationBuilder.CreateTable(
                name: "entities",
                schema: "sentiment",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    category = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_entities", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "articles",
                schema: "sentiment",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    external_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    entity_id = table.Column<int>(type: "integer", nullable: false),
                    title = table.Column<string>(type: "text", nullable: false),
                    source = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    sentiment_score = table.Column<double>(type: "double precision", nullable: false),
                    published_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_articles", x => x.id);
                    table.CheckConstraint("ck_articles_sentiment_score", "sentiment_score BETWEEN -1 AND 1");
                    table.ForeignKey(
                        name: "fk_articles_entities_entity_id",
                        column: x => x.entity_id,
                        principalSchema: "sentiment",
                        principalTable: "entities",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sentiment_timeseries",
                schema: "sentiment",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    entity_id = table.Column<int>(type: "integer", nullable: false),
                    timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    avg_sentiment = table.Column<double>(type: "double precision", nullable: false),
                    min_sentiment = table.Column<double>(type: "double precision", nullable: false),
                    max_sentiment = table.Column<double>(type: "double precision", nullable: false),
                    article_count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sentiment_timeseries", x => x.id);
                    table.CheckConstraint("ck_sentiment_timeseries_avg", "avg_sentiment BETWEEN -1 AND 1");
                    table.CheckConstraint("ck_sentiment_timeseries_max", "max_sentiment BETWEEN -1 AND 1");
                    table.CheckConstraint("ck_sentiment_timeseries_min", "min_sentiment BETWEEN -1 AND 1");
                    table.ForeignKey(
                        name: "fk_sentiment_timeseries_entities_entity_id",
                        column: x => x.entity_id,
                        principalSchema: "sentiment",
                        principalTable: "entities",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_articles_entity_id",
                schema: "sentiment",
                table: "articles",
                column: "entity_id");

            migrationBuilder.CreateIndex(
                name: "ix_articles_external_id",
                schema: "sentiment",
                table: "articles",
                column: "external_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_articles_published_at",
                schema: "sentiment",
                table: "articles",
                column: "published_at");

            migrationBuilder.CreateIndex(
                name: "ix_entities_name",
                schema: "sentiment",
                table: "entities",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sentiment_timeseries_entity_timestamp",
                schema: "sentiment",
                table: "sentiment_timeseries",
                columns: new[] { "entity_id", "timestamp" },
                unique: true,
                descending: new[] { false, true });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "articles",
                schema: "sentiment");

            migrationBuilder.DropTable(
                name: "sentiment_timeseries",
                schema: "sentiment");

            migrationBuilder.DropTable(
                name: "entities",
                schema: "sentiment");
        }
    }
}
