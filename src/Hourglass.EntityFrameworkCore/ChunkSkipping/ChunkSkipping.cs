using System.Linq.Expressions;
using Hourglass.EntityFrameworkCore.ChunkSkipping;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;

// Next to IsHypertable, in EF's namespace, so the calls are found without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore
{
    /// <summary>Chunk skipping of a hypertable: per-chunk ranges of a column, so queries filtering on it skip chunks.</summary>
    public static class ChunkSkippingHypertableBuilderExtensions
    {
        /// <summary>
        /// Keeps per-chunk ranges of these columns (<c>enable_chunk_skipping(table, column)</c>, TimescaleDB 2.16+), so a
        /// query filtering on one skips the chunks whose range cannot match, e.g. an id that grows with time. TimescaleDB
        /// computes a chunk's range when it is converted to the columnstore. Both the migration and the querying sessions
        /// need <c>timescaledb.enable_chunk_skipping = on</c>: the migration sets it for itself; set it for your
        /// application (<c>ALTER DATABASE ... SET timescaledb.enable_chunk_skipping = on</c>, or <c>Options=-c
        /// timescaledb.enable_chunk_skipping=on</c> in the connection string). Calls add to the list.
        /// </summary>
        /// <param name="hypertable">The hypertable builder.</param>
        /// <param name="properties">Property names of the entity.</param>
        /// <returns>The hypertable builder, for chaining.</returns>
        public static HypertableBuilder WithChunkSkipping(this HypertableBuilder hypertable, params string[] properties)
        {
            ArgumentNullException.ThrowIfNull(hypertable);
            ArgumentNullException.ThrowIfNull(properties);
            hypertable.EntityType.SetAnnotation(ChunkSkippingAnnotation.Name, ChunkSkippingAnnotation.Add(hypertable.EntityType, properties));
            return hypertable;
        }

        /// <inheritdoc cref="WithChunkSkipping(HypertableBuilder, string[])"/>
        public static HypertableBuilder<TEntity> WithChunkSkipping<TEntity>(this HypertableBuilder<TEntity> hypertable, params string[] properties)
            where TEntity : class
            => (HypertableBuilder<TEntity>)WithChunkSkipping((HypertableBuilder)hypertable, properties);

        /// <summary>Keeps per-chunk ranges of a column (<c>enable_chunk_skipping</c>), e.g. <c>x =&gt; x.Sequence</c>; see the string overload.</summary>
        /// <param name="hypertable">The hypertable builder.</param>
        /// <param name="property">The property.</param>
        /// <returns>The hypertable builder, for chaining.</returns>
        public static HypertableBuilder<TEntity> WithChunkSkipping<TEntity, TProperty>(this HypertableBuilder<TEntity> hypertable, Expression<Func<TEntity, TProperty>> property)
            where TEntity : class
            => WithChunkSkipping(hypertable, HypertableBuilder.PropertyName(property));
    }
}

namespace Microsoft.EntityFrameworkCore.Migrations
{
    /// <summary>Chunk skipping operations for migration files.</summary>
    public static class ChunkSkippingMigrationBuilderExtensions
    {
        /// <summary>Keeps per-chunk ranges of a column: <c>enable_chunk_skipping(table, column)</c>.</summary>
        /// <param name="migrationBuilder">The migration builder.</param>
        /// <param name="table">The hypertable.</param>
        /// <param name="column">The column.</param>
        /// <param name="schema">The table's schema.</param>
        public static Operations.Builders.OperationBuilder<EnableChunkSkippingOperation> EnableChunkSkipping(this MigrationBuilder migrationBuilder, string table, string column, string? schema = null)
            => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new EnableChunkSkippingOperation { Table = table, Schema = schema, Column = column });

        /// <summary>Stops keeping per-chunk ranges of a column: <c>disable_chunk_skipping(table, column)</c>.</summary>
        /// <param name="migrationBuilder">The migration builder.</param>
        /// <param name="table">The hypertable.</param>
        /// <param name="column">The column.</param>
        /// <param name="schema">The table's schema.</param>
        public static Operations.Builders.OperationBuilder<DisableChunkSkippingOperation> DisableChunkSkipping(this MigrationBuilder migrationBuilder, string table, string column, string? schema = null)
            => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new DisableChunkSkippingOperation { Table = table, Schema = schema, Column = column });
    }
}

namespace Hourglass.EntityFrameworkCore.ChunkSkipping
{
    /// <summary>Enables chunk skipping on a column: <c>enable_chunk_skipping(table, column)</c> (TimescaleDB 2.16+).</summary>
    public sealed class EnableChunkSkippingOperation : TimescaleMigrationOperation
    {
        /// <summary>The column.</summary>
        public string Column { get; set; } = "";

        /// <inheritdoc />
        public override string Describe() => $"chunk skipping on column \"{Column}\" of hypertable {DisplayTable}";
    }

    /// <summary>Disables chunk skipping on a column: <c>disable_chunk_skipping(table, column)</c>.</summary>
    public sealed class DisableChunkSkippingOperation : TimescaleMigrationOperation
    {
        /// <summary>The column.</summary>
        public string Column { get; set; } = "";

        /// <inheritdoc />
        public override string Describe() => $"disabling chunk skipping on column \"{Column}\" of hypertable {DisplayTable}";
    }

    /// <summary>
    /// Keeps per-chunk ranges of these properties' columns, like <c>WithChunkSkipping</c> (<c>enable_chunk_skipping</c>,
    /// TimescaleDB 2.16+), e.g. <c>[ChunkSkipping(nameof(Sequence))]</c>; the entity also needs
    /// <see cref="Hypertables.HypertableAttribute"/> or <c>IsHypertable</c>. The columns must be stored as smallint, integer,
    /// bigint, date, timestamp or timestamptz.
    /// </summary>
    /// <param name="properties">Property names of the entity.</param>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
    public sealed class ChunkSkippingAttribute(params string[] properties) : Attribute, ITimescaleModelAttribute
    {
        string ITimescaleModelAttribute.Feature => "Chunk skipping";

        string? ITimescaleModelAttribute.Property => Properties.Count > 0 ? Properties[0] : null;

        /// <summary>The property names.</summary>
        public IReadOnlyList<string> Properties { get; } = properties ?? [];
    }

    /// <summary>The annotation: a JSON array of property names.</summary>
    internal static class ChunkSkippingAnnotation
    {
        public const string Name = "Hourglass:ChunkSkipping:Columns";

        public static List<string> Read(Microsoft.EntityFrameworkCore.Infrastructure.IReadOnlyAnnotatable annotatable)
            => annotatable.FindAnnotation(Name)?.Value is string json ? AnnotationJson.Deserialize<List<string>>(json) : [];

        /// <summary>The annotation's value with these properties added after the ones already there.</summary>
        public static string Add(Microsoft.EntityFrameworkCore.Infrastructure.IReadOnlyAnnotatable annotatable, IEnumerable<string> properties)
        {
            var list = Read(annotatable);
            foreach (var property in properties.Select(p => p.Trim()))
            {
                if (property.Length > 0 && !list.Contains(property))
                {
                    list.Add(property);
                }
            }

            return AnnotationJson.Serialize(list);
        }
    }
}
