using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Wraps the SQL generator registered before it (Npgsql's, or an application's subclass of it). The operation list is
/// cut into runs: runs of other operations go to the wrapped generator unchanged and in order; TimescaleDB operations
/// become SQL through each feature's <see cref="ITimescaleOperationSqlGenerator"/>. Without TimescaleDB they are
/// skipped with a <see cref="TimescaleEventId.FeatureSkipped"/> warning (Degrade) or refused before any SQL (Strict).
/// </summary>
internal sealed class TimescaleMigrationsSqlGenerator(
    IServiceProvider services,
    MigrationsSqlGeneratorDependencies dependencies,
    TimescaleServerDetector detector,
    TimescaleDiagnostics diagnostics,
    TimescaleMigrationRun migrationRun,
    IEnumerable<ITimescaleOperationSqlGenerator> featureGenerators)
    : IMigrationsSqlGenerator
{
    private readonly ITimescaleOperationSqlGenerator[] _featureGenerators = featureGenerators.ToArray();
    private IMigrationsSqlGenerator? _inner;

    private IMigrationsSqlGenerator Inner => _inner ??= ServiceDecoration.Inner<IMigrationsSqlGenerator, TimescaleMigrationsSqlGenerator>(services);

    public IReadOnlyList<MigrationCommand> Generate(
        IReadOnlyList<MigrationOperation> operations,
        IModel? model = null,
        MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var timescaleOperations = operations.OfType<TimescaleMigrationOperation>().ToList();
        if (timescaleOperations.Count == 0)
        {
            RequireTimescaleDiffer(operations, model);
            return Inner.Generate(operations, model, options);
        }

        var target = detector.Resolve(operations, options);
        if (!target.IsAvailable)
        {
            return Inner.Generate(WithoutTimescale(operations, timescaleOperations), model, options);
        }

        if (!target.HasCommunityFeatures && timescaleOperations.Any(o => o.RequiresCommunityFeatures))
        {
            operations = WithoutCommunityFeatures(operations, timescaleOperations, target);
        }

        var context = new TimescaleSqlContext(
            target,
            dependencies.SqlGenerationHelper,
            options.HasFlag(MigrationsSqlGenerationOptions.Idempotent),
            CompletedByMigrator: migrationRun.IsApplying && !options.HasFlag(MigrationsSqlGenerationOptions.Script));
        var commands = new List<MigrationCommand>();
        var run = new List<MigrationOperation>();
        foreach (var operation in operations)
        {
            if (operation is not TimescaleMigrationOperation timescale)
            {
                run.Add(operation);
                continue;
            }

            if (timescale.SkippedOn(target.Version))
            {
                continue;   // the server does in place what this operation does on older versions
            }

            if (context.TablesLeftPlain.TryGetValue((timescale.Schema, timescale.Table), out var needed))
            {
                diagnostics.FeatureSkippedForVersion(timescale.Describe(), needed.ToString(2));
                continue;
            }

            if (run.Count > 0)
            {
                commands.AddRange(Inner.Generate(run, model, options));
                run.Clear();
            }

            commands.AddRange(Generate(timescale, model, context));
        }

        if (run.Count > 0)
        {
            commands.AddRange(Inner.Generate(run, model, options));
        }

        return commands;
    }

    /// <summary>
    /// Refuses tables of TimescaleDB entities created without their TimescaleDB operations because the model differ in use is
    /// not Hourglass's: an extension registered after <c>UseTimescale</c> replaced it (EF applies extensions in the order
    /// they were configured), and <c>EnsureCreated</c> would otherwise make plain tables silently.
    /// </summary>
    private void RequireTimescaleDiffer(IReadOnlyList<MigrationOperation> operations, IModel? model)
    {
        if (model is null
            || !operations.Any(o => o is CreateTableOperation)
            || services.GetService<IMigrationsModelDiffer>() is not { } differ
            || differ is TimescaleMigrationsModelDiffer)
        {
            return;
        }

        var relational = model.GetRelationalModel();
        var tables = operations.OfType<CreateTableOperation>()
            .Where(o => relational.FindTable(o.Name, o.Schema)?.EntityTypeMappings
                .Any(m => m.TypeBase.GetAnnotations().Any(a => a.Name.StartsWith(TimescaleAnnotationPrefix, StringComparison.Ordinal))) == true)
            .Select(o => o.Name)
            .ToList();
        if (tables.Count > 0)
        {
            throw new InvalidOperationException(
                $"The model differ in use is {differ.GetType().FullName}, not the one UseTimescale() wraps around the provider's: an extension configured "
                + $"after UseTimescale() replaced IMigrationsModelDiffer, so the TimescaleDB features of {string.Join(", ", tables.Select(t => $"\"{t}\""))} "
                + "were not computed and the tables would be created without them. Nothing was changed. Fix: configure that extension before "
                + "UseNpgsql(..., o => o.UseTimescale()) so Hourglass wraps its differ, or make it wrap the registered IMigrationsModelDiffer instead of replacing it.");
        }
    }

    /// <summary>The prefix of every annotation Hourglass's features put on the model.</summary>
    internal const string TimescaleAnnotationPrefix = "Hourglass:";

    private IReadOnlyList<MigrationCommand> Generate(TimescaleMigrationOperation operation, IModel? model, TimescaleSqlContext context)
    {
        var builder = new MigrationCommandListBuilder(dependencies);
        foreach (var feature in _featureGenerators)
        {
            if (feature.TryGenerate(operation, model, context, builder))
            {
                return builder.GetCommandList();
            }
        }

        throw new InvalidOperationException(
            $"No Hourglass feature generates SQL for {operation.GetType().Name} ({operation.Describe()}). "
            + "Fix: make sure UseTimescale() (or AddEntityFrameworkTimescale()) configures the context that runs this migration.");
    }

    private List<MigrationOperation> WithoutTimescale(IReadOnlyList<MigrationOperation> operations, List<TimescaleMigrationOperation> timescaleOperations)
    {
        if (detector.MissingBehavior == TimescaleMissingBehavior.Strict)
        {
            throw new InvalidOperationException(
                "TimescaleDB is not installed in this database, and UseTimescale(t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict)) "
                + $"forbids running without it. Nothing was changed. Needed for: {string.Join(", ", timescaleOperations.Select(o => o.Describe()))}. "
                + "Fix: run CREATE EXTENSION timescaledb (or add modelBuilder.HasPostgresExtension(\"timescaledb\")), "
                + "or use TimescaleMissingBehavior.Degrade to create plain tables.");
        }

        var plain = new List<MigrationOperation>();
        foreach (var operation in operations)
        {
            if (operation is not TimescaleMigrationOperation timescale)
            {
                plain.Add(operation);
            }
            else if (timescale.WithoutTimescale() is { } degraded)
            {
                diagnostics.FeatureDegraded(degraded.Warning);
                if (degraded.Operation is not null)
                {
                    plain.Add(degraded.Operation);
                }
            }
            else
            {
                diagnostics.FeatureSkipped(timescale.Describe());
            }
        }

        return plain;
    }

    private List<MigrationOperation> WithoutCommunityFeatures(
        IReadOnlyList<MigrationOperation> operations,
        List<TimescaleMigrationOperation> timescaleOperations,
        TimescaleServerTarget target)
    {
        var community = timescaleOperations.Where(o => o.RequiresCommunityFeatures).ToList();
        if (detector.MissingBehavior == TimescaleMissingBehavior.Strict)
        {
            throw new InvalidOperationException(
                $"This TimescaleDB is the Apache edition (timescaledb.license = '{target.License}'), which lacks the community features needed for: "
                + $"{string.Join(", ", community.Select(o => o.Describe()))}. Nothing was changed. Fix: set timescaledb.license = 'timescale' on the server, "
                + "or use TimescaleMissingBehavior.Degrade to skip these features.");
        }

        foreach (var skipped in community)
        {
            diagnostics.CommunityFeatureSkipped(target.License ?? "apache", skipped.Describe());
        }

        return operations.Where(o => o is not TimescaleMigrationOperation { RequiresCommunityFeatures: true }).ToList();
    }
}
