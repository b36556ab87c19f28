using Hourglass.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;

namespace Hourglass.EntityFrameworkCore.Tests;

public class Reading<T>
{
    public T Time { get; set; } = default!;

    public int DeviceId { get; set; }

    public int? Other { get; set; }

    public DateTime Recorded { get; set; }

    public double Value { get; set; }
}

/// <summary>A context whose model is given per instance; each distinct key gets its own cached model.</summary>
public sealed class ModelContext(DbContextOptions options, string key, Action<ModelBuilder> build, ModelContext.FailedCommandRecorder failures) : DbContext(options)
{
    public string Key { get; } = key;

    protected override void OnModelCreating(ModelBuilder modelBuilder) => build(modelBuilder);

    public IModel DesignModel => this.GetService<IDesignTimeModel>().Model;

    public static ModelContext Create(
        string connectionString,
        Action<ModelBuilder> build,
        Action<TimescaleDbContextOptionsBuilder>? timescale = null,
        bool snakeCase = false,
        ILoggerFactory? loggerFactory = null)
    {
        var failures = new FailedCommandRecorder();
        var builder = new DbContextOptionsBuilder<ModelContext>()
            .UseNpgsql(connectionString, o => o.UseNodaTime().UseTimescale(timescale))
            .ReplaceService<IModelCacheKeyFactory, KeyFactory>()
            .AddInterceptors(failures);
        if (snakeCase)
        {
            builder.UseSnakeCaseNamingConvention();
        }

        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        return new ModelContext(builder.Options, Guid.NewGuid().ToString("N"), build, failures);
    }

    /// <summary>What a migration from <paramref name="from"/> (null: empty database) to this model does.</summary>
    public IReadOnlyList<MigrationOperation> DiffFrom(ModelContext? from)
        => this.GetService<IMigrationsModelDiffer>().GetDifferences(from?.DesignModel.GetRelationalModel(), DesignModel.GetRelationalModel());

    public async Task ApplyAsync(IReadOnlyList<MigrationOperation> operations)
    {
        var commands = this.GetService<IMigrationsSqlGenerator>().Generate(operations, DesignModel);
        try
        {
            await this.GetService<IMigrationCommandExecutor>().ExecuteNonQueryAsync(commands, this.GetService<IRelationalConnection>());
        }
        catch (Npgsql.PostgresException failure) when (failure.SqlState == "XX000")
        {
            // An internal error (e.g. a catalog row a background job updated at the same moment) says nothing of where it
            // happened: name the statement, and the server's routine and context.
            throw new InvalidOperationException(
                $"{failure.SqlState}: {failure.MessageText} (server routine {failure.Routine} in {failure.File}:{failure.Line}; context: {failure.Where}) running: {failures.LastFailed}",
                failure);
        }
    }

    public string Sql(IReadOnlyList<MigrationOperation> operations, MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default)
        => string.Join("\n", this.GetService<IMigrationsSqlGenerator>().Generate(operations, DesignModel, options).Select(c => c.CommandText));

    /// <summary>The text of the last command that failed: a migration runs many, and the server's error names none.</summary>
    public sealed class FailedCommandRecorder : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public string? LastFailed { get; private set; }

        public override void CommandFailed(System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandErrorEventData eventData)
            => LastFailed = command.CommandText;

        public override Task CommandFailedAsync(System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            LastFailed = command.CommandText;
            return Task.CompletedTask;
        }
    }

    private sealed class KeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (((ModelContext)context).Key, designTime);
    }
}

/// <summary>Collects log messages.</summary>
public sealed class CollectingLoggerProvider : ILoggerProvider
{
    public List<(LogLevel Level, string Category, string Message)> Messages { get; } = [];

    public List<(EventId Id, string Message)> Events { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CollectingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Messages)
            {
                owner.Messages.Add((logLevel, category, formatter(state, exception)));
                owner.Events.Add((eventId, formatter(state, exception)));
            }
        }
    }
}
