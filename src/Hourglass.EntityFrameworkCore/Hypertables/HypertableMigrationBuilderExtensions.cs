using Hourglass.EntityFrameworkCore.Hypertables;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// Migration files always import this namespace, so generated calls compile without extra usings.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore.Migrations;

/// <summary>Hypertable operations for migration files.</summary>
public static class HypertableMigrationBuilderExtensions
{
    /// <summary>Turns a table into a hypertable partitioned by <paramref name="timeColumn"/>.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The table.</param>
    /// <param name="timeColumn">The time column.</param>
    /// <param name="schema">The table's schema; null for the search path.</param>
    /// <param name="chunkInterval">Interval text such as "1 day" (digits for integer columns); null for TimescaleDB's default.</param>
    /// <param name="createDefaultIndexes">Whether TimescaleDB creates its default indexes.</param>
    /// <param name="migrateData">Whether existing rows move into chunks.</param>
    /// <param name="integerNowFunction">The integer-now function of an integer time column.</param>
    /// <param name="uuidV7">Whether the time column is a <c>uuid</c> of UUIDv7 keys, partitioned by their timestamp (TimescaleDB 2.22+).</param>
    public static OperationBuilder<CreateHypertableOperation> CreateHypertable(
        this MigrationBuilder migrationBuilder,
        string name,
        string timeColumn,
        string? schema = null,
        string? chunkInterval = null,
        bool createDefaultIndexes = true,
        bool migrateData = false,
        string? integerNowFunction = null,
        bool uuidV7 = false)
        => Add(migrationBuilder, new CreateHypertableOperation
        {
            Table = name,
            Schema = schema,
            TimeColumn = timeColumn,
            ChunkInterval = chunkInterval,
            CreateDefaultIndexes = createDefaultIndexes,
            MigrateData = migrateData,
            IntegerNowFunction = integerNowFunction,
            UuidV7 = uuidV7,
        });

    /// <summary>Adds a hash dimension (give <paramref name="numberOfPartitions"/>) or a range dimension (give <paramref name="interval"/> or neither).</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="column">The dimension column.</param>
    /// <param name="schema">The table's schema.</param>
    /// <param name="numberOfPartitions">Hash partitions, for a hash dimension.</param>
    /// <param name="interval">The range interval, for a range dimension.</param>
    /// <param name="uuidV7">Whether the column is a <c>uuid</c> of UUIDv7 keys, partitioned by their timestamp (TimescaleDB 2.22+).</param>
    public static OperationBuilder<AddHypertableDimensionOperation> AddHypertableDimension(
        this MigrationBuilder migrationBuilder,
        string table,
        string column,
        string? schema = null,
        int? numberOfPartitions = null,
        string? interval = null,
        bool uuidV7 = false)
        => Add(migrationBuilder, new AddHypertableDimensionOperation
        {
            Table = table,
            Schema = schema,
            Column = column,
            NumberOfPartitions = numberOfPartitions,
            Interval = interval,
            UuidV7 = uuidV7,
        });

    /// <summary>Changes the chunk interval of new chunks.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="interval">The new interval.</param>
    /// <param name="schema">The table's schema.</param>
    /// <param name="column">A range dimension's column; null for the time column.</param>
    public static OperationBuilder<SetHypertableChunkIntervalOperation> SetHypertableChunkInterval(
        this MigrationBuilder migrationBuilder,
        string table,
        string interval,
        string? schema = null,
        string? column = null)
        => Add(migrationBuilder, new SetHypertableChunkIntervalOperation { Table = table, Schema = schema, Interval = interval, Column = column });

    /// <summary>Changes a hash dimension's number of partitions.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="column">The hash dimension's column.</param>
    /// <param name="numberOfPartitions">The new number of partitions.</param>
    /// <param name="schema">The table's schema.</param>
    public static OperationBuilder<SetHypertablePartitionsOperation> SetHypertablePartitions(
        this MigrationBuilder migrationBuilder,
        string table,
        string column,
        int numberOfPartitions,
        string? schema = null)
        => Add(migrationBuilder, new SetHypertablePartitionsOperation { Table = table, Schema = schema, Column = column, NumberOfPartitions = numberOfPartitions });

    /// <summary>Sets the integer-now function of an integer hypertable.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="table">The hypertable.</param>
    /// <param name="function">The function name.</param>
    /// <param name="schema">The table's schema.</param>
    public static OperationBuilder<SetHypertableIntegerNowFunctionOperation> SetHypertableIntegerNowFunction(
        this MigrationBuilder migrationBuilder,
        string table,
        string function,
        string? schema = null)
        => Add(migrationBuilder, new SetHypertableIntegerNowFunctionOperation { Table = table, Schema = schema, Function = function });

    /// <summary>Turns a hypertable back into a plain table, keeping its rows.</summary>
    /// <param name="migrationBuilder">The migration builder.</param>
    /// <param name="name">The hypertable.</param>
    /// <param name="schema">The table's schema.</param>
    /// <param name="timeColumn">The time column, whose TimescaleDB default index is dropped.</param>
    public static OperationBuilder<ConvertHypertableToTableOperation> ConvertHypertableToTable(
        this MigrationBuilder migrationBuilder,
        string name,
        string? schema = null,
        string? timeColumn = null)
        => Add(migrationBuilder, new ConvertHypertableToTableOperation { Table = name, Schema = schema, TimeColumn = timeColumn });

    private static OperationBuilder<T> Add<T>(MigrationBuilder migrationBuilder, T operation)
        where T : Hourglass.EntityFrameworkCore.Infrastructure.TimescaleMigrationOperation
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<T>(operation);
    }
}
