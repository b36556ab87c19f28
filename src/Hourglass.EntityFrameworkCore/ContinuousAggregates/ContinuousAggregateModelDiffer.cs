using Hourglass;
using Hourglass.EntityFrameworkCore.Columnstore;
using Hourglass.EntityFrameworkCore.DataRewrites;
using Hourglass.EntityFrameworkCore.Hypertables;
using Hourglass.EntityFrameworkCore.Policies;
using Hourglass.EntityFrameworkCore.Infrastructure;
using Hourglass.EntityFrameworkCore.Scheduling;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Hourglass.EntityFrameworkCore.ContinuousAggregates;

/// <summary>
/// Compares the continuous aggregates of two models (by view name) and emits typed operations. Creation runs after EF's
/// operations and after the hypertables are created; removal runs first, before EF drops or alters a source table and
/// before a hypertable is rebuilt. A changed query, or a change to a table the query reads, drops and creates the view
/// again (TimescaleDB cannot alter a continuous aggregate's query), so its data is recomputed; a changed policy is
/// removed and added; a changed materialized_only is altered in place.
/// </summary>
internal sealed class ContinuousAggregateModelDiffer(ContinuousAggregateQueryCompiler queries) : ITimescaleModelDiffer
{
    public void AddDifferences(
        IRelationalModel? source,
        IRelationalModel? target,
        IReadOnlyList<MigrationOperation> efOperations,
        List<MigrationOperation> before,
        List<MigrationOperation> after)
    {
        // LINQ-defined aggregates get their SQL from the context's query pipeline first.
        queries.Prepare(target);
        queries.Prepare(source);
        var sourceViews = ResolvedContinuousAggregate.All(source);
        var targetViews = ResolvedContinuousAggregate.All(target);
        if (sourceViews.Count == 0 && targetViews.Count == 0)
        {
            return;
        }

        var changedTables = ChangedTables(efOperations.Concat(before));
        var drops = new List<ResolvedContinuousAggregate>();
        var creations = new List<ResolvedContinuousAggregate>();
        var columnAdditions = new List<(ResolvedContinuousAggregate Existing, ResolvedContinuousAggregate Wanted, AddContinuousAggregateColumnsOperation Add)>();
        var recreatedBecause = new Dictionary<ResolvedContinuousAggregate, string>();

        // Whether an aggregate can change without being created again: TimescaleDB takes create_group_indexes only
        // when it creates the view, and a changed table it reads recreates it.
        bool CanChangeInPlace(ResolvedContinuousAggregate existing, ResolvedContinuousAggregate wanted) =>
            existing.Storage.CreateGroupIndexes == wanted.Storage.CreateGroupIndexes
            && !changedTables.Any(t => ContinuousAggregateSql.References(existing.Definition.Sql, t));

        // The columns an aggregate renames in place, when that is all that changes in it.
        List<RenameContinuousAggregateColumnOperation>? InPlaceRenames(ResolvedContinuousAggregate existing, ResolvedContinuousAggregate wanted) =>
            CanChangeInPlace(existing, wanted) ? RenamedColumns(existing, wanted) : null;

        // The renames an aggregate this one reads is getting in place (old name to new name).
        Dictionary<string, string> InPlaceRenamesOfWhatItReads(ResolvedContinuousAggregate reader)
        {
            var renames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, parent) in sourceViews)
            {
                if (parent == reader || !ContinuousAggregateSql.References(reader.Definition.Sql, parent.View)
                    || !targetViews.TryGetValue(key, out var parentWanted)
                    || InPlaceRenames(parent, parentWanted) is not { } parentRenames)
                {
                    continue;
                }

                foreach (var rename in parentRenames)
                {
                    renames[rename.Name] = rename.NewName;
                }
            }

            return renames;
        }

        foreach (var (key, wanted) in targetViews)
        {
            if (!sourceViews.TryGetValue(key, out var existing))
            {
                creations.Add(wanted);
                continue;
            }

            // TimescaleDB takes create_group_indexes only when it creates the view.
            var queryChanged = ContinuousAggregateSql.Normalize(existing.Definition.Sql) != ContinuousAggregateSql.Normalize(wanted.Definition.Sql)
                || existing.Storage.CreateGroupIndexes != wanted.Storage.CreateGroupIndexes;
            var changedTable = changedTables.FirstOrDefault(t => ContinuousAggregateSql.References(existing.Definition.Sql, t));
            if (queryChanged || changedTable is not null)
            {
                if (InPlaceRenames(existing, wanted) is { } renames)
                {
                    after.AddRange(renames);
                    continue;
                }

                if (CanChangeInPlace(existing, wanted) && ReadsOnlyRenamedColumns(existing, wanted, InPlaceRenamesOfWhatItReads(existing)))
                {
                    // PostgreSQL rewrote this aggregate's stored query when the columns it reads were renamed.
                    continue;
                }

                if (changedTable is null
                    && !sourceViews.Values.Any(r => r != existing && ContinuousAggregateSql.References(r.Definition.Sql, existing.View))
                    && AddedColumns(existing, wanted) is { } add)
                {
                    columnAdditions.Add((existing, wanted, add));
                    continue;
                }

                drops.Add(existing);
                creations.Add(wanted);
                recreatedBecause[existing] = queryChanged
                    ? existing.Storage.CreateGroupIndexes != wanted.Storage.CreateGroupIndexes && ContinuousAggregateSql.Normalize(existing.Definition.Sql) == ContinuousAggregateSql.Normalize(wanted.Definition.Sql)
                        ? "its create_group_indexes setting changed (TimescaleDB takes it only when it creates the aggregate)"
                        : "its query changed (TimescaleDB cannot alter the query of a continuous aggregate)"
                    : $"the table {DataRewrite.Display(null, changedTable!)} it reads changes";
            }
        }

        drops.AddRange(sourceViews.Where(s => !targetViews.ContainsKey(s.Key)).Select(s => s.Value));

        // Aggregates on aggregates: an aggregate reading a dropped one must be dropped (and created again) too.
        for (var added = true; added;)
        {
            added = false;
            foreach (var (key, existing) in sourceViews)
            {
                if (!drops.Contains(existing) && drops.Any(d => ContinuousAggregateSql.References(existing.Definition.Sql, d.View)))
                {
                    drops.Add(existing);
                    if (targetViews.TryGetValue(key, out var wanted))
                    {
                        creations.Add(wanted);
                        var read = drops.First(d => d != existing && ContinuousAggregateSql.References(existing.Definition.Sql, d.View));
                        recreatedBecause[existing] = $"the continuous aggregate {DataRewrite.Display(read.Schema, read.View)} it reads is dropped";
                    }

                    added = true;
                }
            }
        }

        foreach (var (key, wanted) in targetViews)
        {
            if (creations.Contains(wanted) || columnAdditions.Any(a => a.Wanted == wanted) || !sourceViews.TryGetValue(key, out var existing))
            {
                continue;
            }

            if (existing.Definition.MaterializedOnly != wanted.Definition.MaterializedOnly)
            {
                after.Add(new SetContinuousAggregateMaterializedOnlyOperation { Schema = wanted.Schema, Table = wanted.View, MaterializedOnly = wanted.Definition.MaterializedOnly });
            }

            if (existing.Definition.Policy is { } old && wanted.Definition.Policy is { } policyWanted
                && old.StartOffset == policyWanted.StartOffset && old.EndOffset == policyWanted.EndOffset
                && JobScheduleComparison.InPlace(old.FullSchedule, policyWanted.FullSchedule, JobKind.ContinuousAggregateRefresh.Defaults()) is { } settings)
            {
                if (!settings.IsEmpty)
                {
                    var alter = new AlterPolicyScheduleOperation { Policy = JobKind.ContinuousAggregateRefresh, Schema = wanted.Schema, Table = wanted.View };
                    ((IScheduledOperation)alter).Schedule = settings;
                    after.Add(alter);
                }

                if (existing.Definition.RefreshOptions != wanted.Definition.RefreshOptions)
                {
                    var options = wanted.Definition.RefreshOptions;
                    after.Add(new AlterContinuousAggregatePolicyOptionsOperation
                    {
                        Schema = wanted.Schema,
                        Table = wanted.View,
                        BucketsPerBatch = options.BucketsPerBatch,
                        MaxBatchesPerExecution = options.MaxBatchesPerExecution,
                        RefreshNewestFirst = options.RefreshNewestFirst,
                        IncludeTieredData = options.IncludeTieredData,
                    });
                }
            }
            else if (existing.Definition.Policy != wanted.Definition.Policy || existing.Definition.RefreshOptions != wanted.Definition.RefreshOptions)
            {
                if (existing.Definition.Policy is not null)
                {
                    after.Add(new RemoveContinuousAggregatePolicyOperation { Schema = wanted.Schema, Table = wanted.View });
                }

                if (wanted.Definition.Policy is { } policy)
                {
                    after.Add(Policy(wanted, policy));
                }
            }

            AddStorageChanges(existing, wanted, after, target);
        }

        // EF ensures the schemas of tables only; a view's schema may be used by nothing else.
        var ensuredSchemas = efOperations.OfType<EnsureSchemaOperation>().Select(o => o.Name).ToHashSet();
        foreach (var schema in creations.Select(c => c.Schema).OfType<string>().Distinct().Where(s => !ensuredSchemas.Contains(s)))
        {
            after.Add(new EnsureSchemaOperation { Name = schema });
        }

        foreach (var view in DependenciesFirst(creations))
        {
            AddCreation(view, after);
        }

        // In place from TimescaleDB 2.28; before it, the same migration drops the aggregate and creates it again.
        var gate = AddContinuousAggregateColumnsOperation.InPlaceSince.ToString(2);
        foreach (var (existing, wanted, add) in columnAdditions)
        {
            var drop = Drop(existing);
            drop.OnlyBeforeTimescale = gate;
            before.Insert(0, drop);
            after.Add(add);
            var recreate = new List<MigrationOperation>();
            AddCreation(wanted, recreate);
            foreach (var operation in recreate.OfType<TimescaleMigrationOperation>())
            {
                operation.OnlyBeforeTimescale = gate;
            }

            after.AddRange(recreate);
        }

        // Ahead of everything else, readers before what they read: EF's table drops and column changes, and hypertable
        // rebuilds, fail (or cascade the view away) while a continuous aggregate still reads the table.
        var dropsFirst = DependenciesFirst(drops);
        dropsFirst.Reverse();
        before.InsertRange(0, dropsFirst.Select(view => recreatedBecause.TryGetValue(view, out var reason) ? Recreation(view, reason, target) : Drop(view)));
    }

    /// <summary>
    /// The drop of an aggregate that the migration creates again: its buckets are computed again from the source data,
    /// and the ones whose source rows are gone (retention keeps raw data shorter than its aggregates) are lost.
    /// </summary>
    private static DropContinuousAggregateOperation Recreation(ResolvedContinuousAggregate view, string reason, IRelationalModel? target)
    {
        var drop = Drop(view);
        drop.DataRewrite = new DataRewrite(
            DataRewrite.EntityOf(target, view.View, view.Schema),
            $"drops continuous aggregate {DataRewrite.Display(view.Schema, view.View)} and creates it again because {reason}",
            "throws its materialized buckets away and computes them again from the source data; buckets whose source rows are "
                + "already gone (dropped by a retention policy, or deleted) are lost for good",
            "keep the aggregate's query and the tables it reads as they are, or declare the new query as a new aggregate under "
                + "a new name and remove the old one once the new one holds what you need");
        return drop;
    }

    /// <summary>
    /// The in-place renames when the only change to the query is the output names of some items: the same expressions in
    /// the same order, the same FROM/GROUP BY; else null. A name given to another item of the aggregate (a swap) is left
    /// to the drop and create, which needs no order of renames.
    /// </summary>
    private static List<RenameContinuousAggregateColumnOperation>? RenamedColumns(ResolvedContinuousAggregate existing, ResolvedContinuousAggregate wanted)
    {
        if (ContinuousAggregateSql.SplitSelect(existing.Definition.Sql) is not { } was
            || ContinuousAggregateSql.SplitSelect(wanted.Definition.Sql) is not { } now
            || was.Items.Count != now.Items.Count
            || ContinuousAggregateSql.Normalize(was.Tail) != ContinuousAggregateSql.Normalize(now.Tail))
        {
            return null;
        }

        var renames = new List<RenameContinuousAggregateColumnOperation>();
        var oldNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < was.Items.Count; i++)
        {
            if (ContinuousAggregateSql.OutputColumn(was.Items[i]) is not { } before || ContinuousAggregateSql.OutputColumn(now.Items[i]) is not { } after
                || ContinuousAggregateSql.Normalize(before.Expression) != ContinuousAggregateSql.Normalize(after.Expression))
            {
                return null;
            }

            oldNames.Add(before.Name);
            if (before.Name != after.Name)
            {
                renames.Add(new RenameContinuousAggregateColumnOperation { Schema = wanted.Schema, Table = wanted.View, Name = before.Name, NewName = after.Name });
            }
        }

        return renames.Count == 0 || renames.Any(r => oldNames.Contains(r.NewName)) ? null : renames;
    }

    /// <summary>
    /// Whether the only change to an aggregate's query is the columns it reads from a renamed aggregate, renamed the same
    /// way (token by token, nothing else different, its own output names unchanged): PostgreSQL has then rewritten its
    /// stored query already, and it needs no operation (recreating it would lose its buckets for nothing).
    /// </summary>
    private static bool ReadsOnlyRenamedColumns(ResolvedContinuousAggregate existing, ResolvedContinuousAggregate wanted, Dictionary<string, string> renames)
    {
        if (renames.Count == 0
            || ContinuousAggregateSql.SplitSelect(existing.Definition.Sql) is not { } was
            || ContinuousAggregateSql.SplitSelect(wanted.Definition.Sql) is not { } now
            || was.Items.Count != now.Items.Count
            || was.Items.Zip(now.Items).Any(p => ContinuousAggregateSql.OutputColumn(p.First) is not { } before || ContinuousAggregateSql.OutputColumn(p.Second) is not { } after || before.Name != after.Name))
        {
            return false;
        }

        var old = ContinuousAggregateSql.Identifiers(ContinuousAggregateSql.Normalize(existing.Definition.Sql));
        var @new = ContinuousAggregateSql.Identifiers(ContinuousAggregateSql.Normalize(wanted.Definition.Sql));
        var renamed = false;
        if (old.Count != @new.Count || old.Separators.Zip(@new.Separators).Any(p => p.First != p.Second))
        {
            return false;
        }

        foreach (var (before, after) in old.Names.Zip(@new.Names))
        {
            if (before == after)
            {
                continue;
            }

            if (renames.GetValueOrDefault(before) != after)
            {
                return false;
            }

            renamed = true;
        }

        return renamed;
    }

    /// <summary>
    /// The in-place addition when the only change to the aggregate is new aggregate columns: the same SELECT items plus
    /// new <c>expression AS name</c> items, the same FROM/GROUP BY, and nothing else of the aggregate changed; else null.
    /// </summary>
    private static AddContinuousAggregateColumnsOperation? AddedColumns(ResolvedContinuousAggregate existing, ResolvedContinuousAggregate wanted)
    {
        if (existing.Definition.MaterializedOnly != wanted.Definition.MaterializedOnly
            || existing.Definition.Policy != wanted.Definition.Policy
            || existing.Definition.RefreshOptions != wanted.Definition.RefreshOptions
            || existing.Storage.CreateGroupIndexes != wanted.Storage.CreateGroupIndexes
            || existing.Storage.ChunkInterval != wanted.Storage.ChunkInterval
            || existing.Storage.Columnstore != wanted.Storage.Columnstore
            || ContinuousAggregateStorage.PolicyKinds.Any(k => existing.Storage.Policy(k) != wanted.Storage.Policy(k))
            || ContinuousAggregateSql.SplitSelect(existing.Definition.Sql) is not { } was
            || ContinuousAggregateSql.SplitSelect(wanted.Definition.Sql) is not { } now
            || ContinuousAggregateSql.Normalize(was.Tail) != ContinuousAggregateSql.Normalize(now.Tail))
        {
            return null;
        }

        var old = was.Items.Select(ContinuousAggregateSql.Normalize).ToList();
        var added = now.Items.Where(i => !old.Remove(ContinuousAggregateSql.Normalize(i))).ToList();
        if (old.Count > 0 || added.Count == 0)
        {
            return null;
        }

        var columns = new List<(string Expression, string Name, string Type)>();
        foreach (var item in added)
        {
            if (ContinuousAggregateSql.Aliased(item) is not { } aliased || !wanted.ColumnTypes.TryGetValue(aliased.Name, out var type))
            {
                return null;
            }

            columns.Add((aliased.Expression, aliased.Name, type));
        }

        return new AddContinuousAggregateColumnsOperation
        {
            Schema = wanted.Schema,
            Table = wanted.View,
            Columns = columns.Select(c => c.Name).ToArray(),
            ColumnTypes = columns.Select(c => c.Type).ToArray(),
            Expressions = columns.Select(c => c.Expression).ToArray(),
            BackfillWindow = wanted.AddedColumnsBackfill,
        };
    }

    /// <summary>The aggregates ordered so that one reading another comes after it (a stable order otherwise).</summary>
    private static List<ResolvedContinuousAggregate> DependenciesFirst(List<ResolvedContinuousAggregate> views)
    {
        var ordered = new List<ResolvedContinuousAggregate>();
        var pending = views.Distinct().ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(v => !pending.Any(o => o != v && ContinuousAggregateSql.References(v.Definition.Sql, o.View))) ?? pending[0];
            ordered.Add(next);
            pending.Remove(next);
        }

        return ordered;
    }

    /// <summary>Tables (by name) whose shape this migration changes, so views reading them are created again.</summary>
    private static HashSet<string> ChangedTables(IEnumerable<MigrationOperation> operations)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            var table = operation switch
            {
                DropTableOperation o => o.Name,
                RenameTableOperation o => o.Name,
                AlterColumnOperation o => o.Table,
                DropColumnOperation o => o.Table,
                RenameColumnOperation o => o.Table,
                ConvertHypertableToTableOperation o => o.Table,
                _ => null,
            };
            if (table is not null)
            {
                tables.Add(table);
            }
        }

        return tables;
    }

    private static DropContinuousAggregateOperation Drop(ResolvedContinuousAggregate view) => new() { Schema = view.Schema, Table = view.View };

    private static void AddCreation(ResolvedContinuousAggregate view, List<MigrationOperation> after)
    {
        after.Add(new CreateContinuousAggregateOperation
        {
            Schema = view.Schema,
            Table = view.View,
            Sql = view.Definition.Sql,
            MaterializedOnly = view.Definition.MaterializedOnly,
            CreateGroupIndexes = view.Storage.CreateGroupIndexes,
            ChunkInterval = view.Storage.ChunkInterval?.ToString(),
        });
        if (view.Storage.Columnstore is { } columnstore)
        {
            after.Add(SetColumnstore(view, columnstore));
        }

        // Filled before any of its jobs exists: in a SQL script the refresh is a plain CALL, and a refresh policy created
        // first could start its first run at that moment (TimescaleDB 2.27+ then refuses the script's refresh, 55P03).
        if (!view.Definition.WithNoData)
        {
            after.Add(new RefreshContinuousAggregateOperation { Schema = view.Schema, Table = view.View });
        }

        if (view.Definition.Policy is { } policy)
        {
            after.Add(Policy(view, policy));
        }

        foreach (var kind in ContinuousAggregateStorage.PolicyKinds)
        {
            if (view.Storage.Policy(kind) is { } added)
            {
                after.Add(AddPolicy(kind, view, added));
            }
        }
    }

    /// <summary>
    /// The aggregate's own hypertable: chunk interval and columnstore in place, and its columnstore and retention policies
    /// as the hypertable policies change (schedule in place, else removed and added). A policy's removal comes before
    /// the columnstore is disabled, its addition after the columnstore is enabled.
    /// </summary>
    private static void AddStorageChanges(ResolvedContinuousAggregate existing, ResolvedContinuousAggregate wanted, List<MigrationOperation> after, IRelationalModel? target)
    {
        var was = existing.Storage;
        var now = wanted.Storage;
        var additions = new List<MigrationOperation>();
        foreach (var kind in ContinuousAggregateStorage.PolicyKinds)
        {
            var old = was.Policy(kind);
            var added = now.Policy(kind);
            if (old == added)
            {
                continue;
            }

            if (old is not null && added is not null && old.SameArgument(added)
                && JobScheduleComparison.InPlace(old.Schedule, added.Schedule, kind.Defaults) is { } settings)
            {
                var alter = new AlterPolicyScheduleOperation { Policy = kind.Policy, Schema = wanted.Schema, Table = wanted.View };
                ((IScheduledOperation)alter).Schedule = settings;
                additions.Add(alter);
                continue;
            }

            if (old is not null)
            {
                var remove = kind.NewRemove();
                remove.Schema = wanted.Schema;
                remove.Table = wanted.View;
                after.Add(remove);
            }

            if (added is not null)
            {
                additions.Add(AddPolicy(kind, wanted, added));
            }
        }

        if (was.ChunkInterval != now.ChunkInterval)
        {
            after.Add(new SetContinuousAggregateChunkIntervalOperation { Schema = wanted.Schema, Table = wanted.View, ChunkInterval = now.ChunkInterval?.ToString() });
        }

        if (now.Columnstore is { } columnstore && (was.Columnstore is null || was.Columnstore != columnstore))
        {
            after.Add(SetColumnstore(wanted, columnstore));
        }
        else if (was.Columnstore is not null && now.Columnstore is null)
        {
            after.Add(new DisableContinuousAggregateColumnstoreOperation
            {
                Schema = wanted.Schema,
                Table = wanted.View,
                DataRewrite = new DataRewrite(
                    DataRewrite.EntityOf(target, wanted.View, wanted.Schema),
                    $"turns the columnstore of continuous aggregate {DataRewrite.Display(wanted.Schema, wanted.View)} off",
                    "converts every columnstore chunk of the aggregate back to rowstore (decompresses every chunk) first",
                    "keep WithColumnstore(...) on the aggregate"),
            });
        }

        after.AddRange(additions);
    }

    private static SetContinuousAggregateColumnstoreOperation SetColumnstore(ResolvedContinuousAggregate view, ColumnstoreSettings columnstore)
        => new()
        {
            Schema = view.Schema,
            Table = view.View,
            SegmentBy = columnstore.SegmentBy.Count == 0 ? null : string.Join(", ", columnstore.SegmentBy),
            OrderBy = columnstore.OrderBy.Count == 0 ? null : ColumnstoreOrder.Format(columnstore.OrderBy),
        };

    private static AddHypertablePolicyOperation AddPolicy(HypertablePolicyKind kind, ResolvedContinuousAggregate view, PolicySettings policy)
    {
        var add = kind.NewAdd();
        add.Schema = view.Schema;
        add.Table = view.View;
        add.Apply(policy);
        return add;
    }

    private static AddContinuousAggregatePolicyOperation Policy(ResolvedContinuousAggregate view, ContinuousAggregatePolicy policy)
        => new()
        {
            Options = view.Definition.RefreshOptions,
            Schema = view.Schema,
            Table = view.View,
            StartOffset = policy.StartOffset?.ToString(),
            EndOffset = policy.EndOffset?.ToString(),
            ScheduleInterval = policy.ScheduleInterval.ToString(),
            Schedule = policy.Schedule,
        };
}
