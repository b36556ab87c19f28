using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HomeEnergy.Migrations
{
    /// <inheritdoc />
    public partial class SeedJsonDefaults : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "tags",
                schema: "aetherlens",
                table: "metrics",
                type: "jsonb",
                nullable: true,
                defaultValueSql: "'{}'",
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "location",
                schema: "aetherlens",
                table: "devices",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'{}'",
                oldClrType: typeof(string),
                oldType: "jsonb");

            migrationBuilder.AlterColumn<string>(
                name: "configuration",
                schema: "aetherlens",
                table: "devices",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'{}'",
                oldClrType: typeof(string),
                oldType: "jsonb");

            migrationBuilder.AlterColumn<string[]>(
                name: "capabilities",
                schema: "aetherlens",
                table: "devices",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'",
                oldClrType: typeof(string[]),
                oldType: "text[]");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "tags",
                schema: "aetherlens",
                table: "metrics",
                type: "jsonb",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true,
                oldDefaultValueSql: "'{}'");

            migrationBuilder.AlterColumn<string>(
                name: "location",
                schema: "aetherlens",
                table: "devices",
                type: "jsonb",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldDefaultValueSql: "'{}'");

            migrationBuilder.AlterColumn<string>(
                name: "configuration",
                schema: "aetherlens",
                table: "devices",
                type: "jsonb",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldDefaultValueSql: "'{}'");

            migrationBuilder.AlterColumn<string[]>(
                name: "capabilities",
                schema: "aetherlens",
                table: "devices",
                type: "text[]",
                nullable: false,
                oldClrType: typeof(string[]),
                oldType: "text[]",
                oldDefaultValueSql: "'{}'");
        }
    }
}
