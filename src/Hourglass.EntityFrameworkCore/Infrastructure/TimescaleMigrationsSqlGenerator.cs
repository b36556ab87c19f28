using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.Logging;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.Internal;
using Npgsql.EntityFrameworkCore.PostgreSQL.Migrations;

namespace Hourglass.EntityFrameworkCore.Infrastructure;

/// <summary>
/// Npgsql's SQL generator plus TimescaleDB operations, which each feature renders through its
/// <see cref="ITimescaleOperationSqlGenerator"/>. Without TimescaleDB the operations are skipped with a warning
/// (Degrade) or refused before any SQL is produced (Strict).
/// </summary>
internal sealed class TimescaleMigrationsSqlGenerator(
    MigrationsSqlGeneratorDependencies dependencies,
    INpgsqlSingletonOptions npgsqlSingletonOptions,
    TimescaleServerDetector detector,
    IEnumerable<ITimescaleOperationSqlGenerator> featureGenerators)
    : NpgsqlMigrationsSqlGenerator(dependencies, npgsqlSingletonOptions)
{
    private readonly ITimescaleOperationSqlGenerator[] _featureGenerators = featureGenerators.ToArray();
    private TimescaleSqlContext? _context;

    public override IReadOnlyList<MigrationCommand> Generate(
        IReadOnlyList<MigrationOperation> operations,
        IModel? model = null,
        MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var timescaleOperations = operations.OfType<TimescaleMigrationOperation>().ToList();
        if (timescaleOperations.Count == 0)
        {
            return base.Generate(operations, model, options);
        }

        var target = detector.Resolve(operations);
        if (!target.IsAvailable)
        {
            if (detector.MissingBehavior == TimescaleMissingBehavior.Strict)
            {
                throw new InvalidOperationException(
                    "TimescaleDB is not installed in this database, and UseTimescale(t => t.WhenTimescaleMissing(TimescaleMissingBehavior.Strict)) "
                    + $"forbids running without it. Nothing was changed. Needed for: {string.Join(", ", timescaleOperations.Select(o => o.Describe()))}. "
                    + "Fix: run CREATE EXTENSION timescaledb (or add modelBuilder.HasPostgresExtension(\"timescaledb\")), "
                    + "or use TimescaleMissingBehavior.Degrade to create plain tables.");
            }

            foreach (var skipped in timescaleOperations)
            {
                detector.Logger.LogWarning(
                    "TimescaleDB is not installed in this database: skipped {Feature}; the table stays a plain PostgreSQL table.",
                    skipped.Describe());
            }

            return base.Generate(operations.Where(o => o is not TimescaleMigrationOperation).ToList(), model, options);
        }

        if (!target.HasCommunityFeatures && timescaleOperations.Any(o => o.RequiresCommunityFeatures))
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
                detector.Logger.LogWarning(
                    "This TimescaleDB is the Apache edition (timescaledb.license = '{License}'): skipped {Feature}, a community-licensed feature.",
                    target.License,
                    skipped.Describe());
            }

            operations = operations.Where(o => o is not TimescaleMigrationOperation { RequiresCommunityFeatures: true }).ToList();
        }

        _context = new TimescaleSqlContext(target, Dependencies.SqlGenerationHelper, options.HasFlag(MigrationsSqlGenerationOptions.Idempotent));
        try
        {
            return base.Generate(operations, model, options);
        }
        finally
        {
            _context = null;
        }
    }

    protected override void Generate(MigrationOperation operation, IModel? model, MigrationCommandListBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation is TimescaleMigrationOperation && _context is not null)
        {
            foreach (var feature in _featureGenerators)
            {
                if (feature.TryGenerate(operation, model, _context, builder))
                {
                    return;
                }
            }
        }

        base.Generate(operation, model, builder);
    }
}
