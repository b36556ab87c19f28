using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Tablespaces;

// Next to IsHypertable, in EF's namespace, so the calls are found without a using.
// ReSharper disable once CheckNamespace
namespace Microsoft.EntityFrameworkCore
{
    /// <summary>Tablespaces of a hypertable: where TimescaleDB places its new chunks.</summary>
    public static class TablespaceHypertableBuilderExtensions
    {
        /// <summary>
        /// Attaches these tablespaces to the hypertable (<c>attach_tablespace</c>): TimescaleDB places new chunks across
        /// them, so a hypertable can grow over several disks; chunks already created stay where they are (move old ones
        /// with <c>hourglass chunks TABLE --move-to TABLESPACE --older-than 30d</c> or <c>TimescaleClient.MoveChunksAsync</c>).
        /// The tablespaces must exist (<c>CREATE TABLESPACE</c>, outside the EF model, like roles). Removing one from the
        /// list detaches it (<c>detach_tablespace</c>): new chunks no longer go there, and chunks in it stay. Calls add to the list.
        /// </summary>
        /// <param name="hypertable">The hypertable builder.</param>
        /// <param name="tablespaces">Tablespace names, e.g. <c>"fast", "archive"</c>.</param>
        /// <returns>The hypertable builder, for chaining.</returns>
        public static HypertableBuilder WithTablespaces(this HypertableBuilder hypertable, params string[] tablespaces)
        {
            ArgumentNullException.ThrowIfNull(hypertable);
            ArgumentNullException.ThrowIfNull(tablespaces);
            hypertable.EntityType.SetAnnotation(TablespaceAnnotation.Name, TablespaceAnnotation.Add(hypertable.EntityType, tablespaces));
            return hypertable;
        }

        /// <inheritdoc cref="WithTablespaces(HypertableBuilder, string[])"/>
        public static HypertableBuilder<TEntity> WithTablespaces<TEntity>(this HypertableBuilder<TEntity> hypertable, params string[] tablespaces)
            where TEntity : class
            => (HypertableBuilder<TEntity>)WithTablespaces((HypertableBuilder)hypertable, tablespaces);
    }
}

namespace Microsoft.EntityFrameworkCore.Migrations
{
    /// <summary>Tablespace operations for migration files.</summary>
    public static class TablespaceMigrationBuilderExtensions
    {
        /// <summary>Attaches a tablespace to a hypertable: <c>attach_tablespace(tablespace, table)</c>.</summary>
        /// <param name="migrationBuilder">The migration builder.</param>
        /// <param name="table">The hypertable.</param>
        /// <param name="tablespace">The tablespace, which must exist.</param>
        /// <param name="schema">The table's schema.</param>
        public static Operations.Builders.OperationBuilder<AttachTablespaceOperation> AttachTablespace(this MigrationBuilder migrationBuilder, string table, string tablespace, string? schema = null)
            => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new AttachTablespaceOperation { Table = table, Schema = schema, Tablespace = tablespace });

        /// <summary>Detaches a tablespace from a hypertable: <c>detach_tablespace(tablespace, table)</c>; its chunks stay there.</summary>
        /// <param name="migrationBuilder">The migration builder.</param>
        /// <param name="table">The hypertable.</param>
        /// <param name="tablespace">The tablespace.</param>
        /// <param name="schema">The table's schema.</param>
        public static Operations.Builders.OperationBuilder<DetachTablespaceOperation> DetachTablespace(this MigrationBuilder migrationBuilder, string table, string tablespace, string? schema = null)
            => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new DetachTablespaceOperation { Table = table, Schema = schema, Tablespace = tablespace });
    }
}

namespace Hourglass.EntityFrameworkCore.Tablespaces
{
    /// <summary>Attaches a tablespace to a hypertable: <c>attach_tablespace(tablespace, table)</c>.</summary>
    public sealed class AttachTablespaceOperation : TimescaleMigrationOperation
    {
        /// <summary>The tablespace.</summary>
        public string Tablespace { get; set; } = "";

        /// <inheritdoc />
        public override string Describe() => $"tablespace \"{Tablespace}\" attached to hypertable {DisplayTable}";
    }

    /// <summary>Detaches a tablespace from a hypertable: <c>detach_tablespace(tablespace, table)</c>.</summary>
    public sealed class DetachTablespaceOperation : TimescaleMigrationOperation
    {
        /// <summary>The tablespace.</summary>
        public string Tablespace { get; set; } = "";

        /// <inheritdoc />
        public override string Describe() => $"detaching tablespace \"{Tablespace}\" from hypertable {DisplayTable}";
    }

    /// <summary>
    /// Attaches these tablespaces to the entity's hypertable, like <c>WithTablespaces</c> (<c>attach_tablespace</c>): new
    /// chunks are placed across them. The entity also needs <see cref="HypertableAttribute"/> or <c>IsHypertable</c>, and
    /// the tablespaces must exist.
    /// </summary>
    /// <param name="tablespaces">Tablespace names.</param>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = true)]
    public sealed class HypertableTablespacesAttribute(params string[] tablespaces) : Attribute, ITimescaleModelAttribute
    {
        string ITimescaleModelAttribute.Feature => "Tablespaces";

        string? ITimescaleModelAttribute.Property => null;

        /// <summary>The tablespace names.</summary>
        public IReadOnlyList<string> Tablespaces { get; } = tablespaces ?? [];
    }

    /// <summary>The annotation: a JSON array of tablespace names, in the order they are attached.</summary>
    internal static class TablespaceAnnotation
    {
        public const string Name = "Hourglass:Tablespaces";

        public static List<string> Read(Microsoft.EntityFrameworkCore.Infrastructure.IReadOnlyAnnotatable annotatable)
            => annotatable.FindAnnotation(Name)?.Value is string json ? AnnotationJson.Deserialize<List<string>>(json) : [];

        /// <summary>The annotation's value with these tablespaces added after the ones already there (names kept as written, so the check sees them).</summary>
        public static string Add(Microsoft.EntityFrameworkCore.Infrastructure.IReadOnlyAnnotatable annotatable, IEnumerable<string> tablespaces)
        {
            var list = Read(annotatable);
            foreach (var tablespace in tablespaces)
            {
                if (!list.Contains(tablespace ?? ""))
                {
                    list.Add(tablespace ?? "");
                }
            }

            return AnnotationJson.Serialize(list);
        }
    }
}
