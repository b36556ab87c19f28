using Hourglass.EntityFrameworkCore.DataRewrites;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.Columnstore;

/// <summary>
/// Compares the columnstore settings of each hypertable. New settings come after <c>create_hypertable</c> and EF's column
/// and index changes; disabling comes before everything else. The columnstore policy is compared with the other
/// policies (Policies/), whose differ runs after this one: its removal goes before the disabling, its addition after the settings.
/// </summary>
internal sealed class ColumnstoreModelDiffer : ITimescaleModelDiffer
{
    public void AddDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        List<MigrationOperation> before,
        List<MigrationOperation> after)
    {
        var removals = new List<MigrationOperation>();
        foreach (var pair in HypertableFeaturePair.All(source, target, efOperations, after))
        {
            var existing = ResolvedColumnstore.Resolve(pair.Source, pair.SourceColumn);
            var wanted = ResolvedColumnstore.Resolve(pair.Target, p => pair.TargetColumn(p));
            if (pair.Target is null)
            {
                // The table stays but stops being a hypertable; rebuilding it leaves the columnstore behind anyway.
                continue;
            }

            if (wanted is not null && (existing is null || existing != wanted))
            {
                after.Add(new SetColumnstoreOperation
                {
                    Schema = pair.Schema,
                    Table = pair.Table,
                    SegmentBy = wanted.SegmentBy.Count == 0 ? null : string.Join(", ", wanted.SegmentBy),
                    OrderBy = wanted.OrderBy.Count == 0 ? null : ColumnstoreOrder.Format(wanted.OrderBy),
                    SparseIndexes = wanted.SparseIndexes is null ? null : SparseIndex.Format(wanted.SparseIndexes),
                    MergedChunkInterval = wanted.MergedChunkInterval?.ToString(),
                    ResetUnset = existing is not null,
                });
            }

            if (existing is not null && wanted is null)
            {
                removals.Add(new DisableColumnstoreOperation
                {
                    Schema = pair.SourceSchema,
                    Table = pair.SourceTable,
                    DataRewrite = new DataRewrite(
                        pair.Target,
                        $"turns the columnstore of hypertable {DataRewrite.Display(pair.Schema, pair.Table)} off",
                        "converts every columnstore chunk back to rowstore (decompresses every chunk) first",
                        "keep WithColumnstore(...) on the hypertable"),
                });
            }
        }

        before.InsertRange(0, removals);
    }
}
