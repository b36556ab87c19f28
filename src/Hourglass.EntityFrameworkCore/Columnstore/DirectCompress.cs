using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Microsoft.EntityFrameworkCore.Migrations
{
    /// <summary>Direct compress for migration files.</summary>
    public static class DirectCompressMigrationBuilderExtensions
    {
        /// <summary>
        /// Turns direct compress of a hypertable on or off: <c>ALTER TABLE ... SET (timescaledb.direct_compress = true|false)</c>
        /// (TimescaleDB 2.29+).
        /// </summary>
        /// <param name="migrationBuilder">The migration builder.</param>
        /// <param name="table">The hypertable.</param>
        /// <param name="enabled">On or off.</param>
        /// <param name="schema">The table's schema.</param>
        public static Operations.Builders.OperationBuilder<SetDirectCompressOperation> SetDirectCompress(this MigrationBuilder migrationBuilder, string table, bool enabled, string? schema = null)
            => JobScheduleMigrationBuilderExtensions.AddUnscheduled(migrationBuilder, new SetDirectCompressOperation { Table = table, Schema = schema, Enabled = enabled });
    }
}

namespace Hourglass.EntityFrameworkCore.Columnstore
{
    /// <summary>Turns direct compress on or off: <c>ALTER TABLE ... SET (timescaledb.direct_compress = ...)</c>, TimescaleDB 2.29+.</summary>
    public sealed class SetDirectCompressOperation : TimescaleMigrationOperation
    {
        /// <summary>On or off.</summary>
        public bool Enabled { get; set; }

        /// <inheritdoc />
        public override bool RequiresCommunityFeatures => true;

        /// <inheritdoc />
        public override string Describe() => $"direct compress {(Enabled ? "on" : "off")} for hypertable {DisplayTable}";
    }

    /// <summary>The annotation <c>ColumnstoreBuilder.DirectCompress()</c> sets.</summary>
    internal static class DirectCompressAnnotation
    {
        public const string Name = ColumnstoreAnnotationNames.Prefix + "DirectCompress";

        /// <summary>Whether the entity's columnstore has direct compress (false without a columnstore).</summary>
        public static bool IsOn(IReadOnlyAnnotatable entityType)
            => entityType.FindAnnotation(Name)?.Value is true && ColumnstoreDefinition.Find(entityType) is not null;
    }

    /// <summary>
    /// Direct compress turned on after the columnstore is enabled, off before EF's operations. Turning the columnstore off
    /// clears it (TimescaleDB does), so nothing is written then; a hypertable created by the migration starts without it.
    /// </summary>
    internal sealed class DirectCompressModelDiffer : ITimescaleModelDiffer
    {
        public void AddDifferences(IRelationalModel? source, IRelationalModel? target, IReadOnlyList<MigrationOperation> efOperations, List<MigrationOperation> before, List<MigrationOperation> after)
        {
            foreach (var pair in HypertableFeaturePair.All(source, target, efOperations, after))
            {
                if (pair.Target is null)
                {
                    continue;
                }

                var existing = pair.Source is not null && DirectCompressAnnotation.IsOn(pair.Source);
                var wanted = DirectCompressAnnotation.IsOn(pair.Target);
                if (wanted && !existing)
                {
                    after.Add(new SetDirectCompressOperation { Schema = pair.Schema, Table = pair.Table, Enabled = true });
                }
                else if (existing && !wanted && ColumnstoreDefinition.Find(pair.Target) is not null)
                {
                    before.Add(new SetDirectCompressOperation { Schema = pair.SourceSchema, Table = pair.SourceTable, Enabled = false });
                }
            }
        }
    }

    /// <summary>The SQL, version-gated: before 2.29 refused under Strict, skipped with a warning naming 2.29 under Degrade.</summary>
    internal sealed class DirectCompressSqlGenerator(TimescaleVersionGate gate) : ITimescaleOperationSqlGenerator
    {
        public bool TryGenerate(MigrationOperation operation, IModel? model, TimescaleSqlContext context, MigrationCommandListBuilder builder)
        {
            if (operation is not SetDirectCompressOperation set)
            {
                return false;
            }

            // Before 2.29 TimescaleDB has only the session settings timescaledb.enable_direct_compress_copy/_insert.
            if (!gate.Allows(context.Target.Version, DirectCompressHypertable.Since, set.Describe(), "remove DirectCompress() from WithColumnstore(...)"))
            {
                return true;
            }

            builder.Append($"ALTER TABLE {context.Sql.DelimitIdentifier(set.Table, set.Schema)} SET ({DirectCompressHypertable.StorageParameter} = {(set.Enabled ? "true" : "false")})")
                .AppendLine(";").EndCommand();
            return true;
        }
    }

    /// <summary>Writes <c>migrationBuilder.SetDirectCompress(...)</c>.</summary>
    internal sealed class DirectCompressCSharpGenerator : ITimescaleOperationCSharpGenerator
    {
        public bool TryGenerate(MigrationOperation operation, ICSharpHelper code, IndentedStringBuilder builder)
            => operation is SetDirectCompressOperation set
                && TableOperationCall.Write(builder, code, "SetDirectCompress", set, ("enabled", code.Literal(set.Enabled)));
    }

    /// <summary>
    /// Checks direct compress once the model is complete: on a hypertable (not a continuous aggregate), and without a
    /// columnstore policy of the model's own, since TimescaleDB replaces that policy with its own and removes it with the option.
    /// </summary>
    internal sealed class DirectCompressConvention : IModelFinalizingConvention
    {
        public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
        {
            foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
            {
                if (!DirectCompressAnnotation.IsOn(entityType))
                {
                    continue;
                }

                if (HypertableDefinition.Find(entityType) is null)
                {
                    throw TimescaleModelError.Create(
                        "Columnstore", entityType, "DirectCompress",
                        "direct compress is a hypertable option, and TimescaleDB has none for a continuous aggregate",
                        "remove DirectCompress() from the aggregate's WithColumnstore(...)");
                }

                // TimescaleDB (2.29) turns direct compress off at every COPY/INSERT into such a table, with only a warning.
                var unique = entityType.GetKeys().Select(k => string.Join(", ", k.Properties.Select(p => p.Name)))
                    .Concat(entityType.GetIndexes().Where(i => i.IsUnique).Select(i => string.Join(", ", i.Properties.Select(p => p.Name))))
                    .FirstOrDefault();
                if (unique is not null)
                {
                    throw TimescaleModelError.Create(
                        "Columnstore", entityType, unique,
                        "direct compress writes nothing to the columnstore while the table has a primary key or a unique index (TimescaleDB turns it off at every COPY and INSERT, with only a warning)",
                        "make the entity keyless (HasNoKey(), or [Keyless]) without unique indexes, which bulk ingest (BulkInsertAsync) supports, or remove DirectCompress()");
                }

                if (ColumnstorePolicy.Kind.Find(entityType) is not null)
                {
                    throw TimescaleModelError.Create(
                        "Columnstore", entityType, "DirectCompress",
                        "with direct compress TimescaleDB runs a columnstore policy of its own (converting after one chunk interval, every minute, beside a compaction policy), replaces an existing one and removes both when the option is turned off, so the model's columnstore policy would be lost",
                        "remove WithColumnstorePolicy(...) (or the attribute's PolicyAfter) from this hypertable, or remove DirectCompress()");
                }
            }
        }
    }

    /// <summary>Adds <see cref="DirectCompressConvention"/>.</summary>
    internal sealed class DirectCompressConventionSetPlugin : IConventionSetPlugin
    {
        public ConventionSet ModifyConventions(ConventionSet conventionSet)
        {
            ArgumentNullException.ThrowIfNull(conventionSet);
            conventionSet.ModelFinalizingConventions.Add(new DirectCompressConvention());
            return conventionSet;
        }
    }
}
