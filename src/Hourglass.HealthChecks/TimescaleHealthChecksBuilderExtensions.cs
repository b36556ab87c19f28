using Hourglass.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

// ReSharper disable once CheckNamespace
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TimescaleDB health check.</summary>
public static class TimescaleHealthChecksBuilderExtensions
{
    /// <summary>Checks the TimescaleDB at <paramref name="connectionString"/>.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="configure">Adjusts what counts as a problem.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status when the server cannot be reached or lacks TimescaleDB; unhealthy by default.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="timeout">How long the check may take.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddTimescaleDb(
        this IHealthChecksBuilder builder,
        string connectionString,
        Action<TimescaleHealthCheckOptions>? configure = null,
        string name = "timescaledb",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.AddTimescaleDb(_ => connectionString, configure, name, failureStatus, tags, timeout);
    }

    /// <summary>Checks the TimescaleDB whose connection string the service provider gives, e.g. from configuration or a DbContext.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="connectionString">Reads the connection string from the application's services.</param>
    /// <param name="configure">Adjusts what counts as a problem.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status when the server cannot be reached or lacks TimescaleDB; unhealthy by default.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="timeout">How long the check may take.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddTimescaleDb(
        this IHealthChecksBuilder builder,
        Func<IServiceProvider, string> connectionString,
        Action<TimescaleHealthCheckOptions>? configure = null,
        string name = "timescaledb",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connectionString);
        var options = Options(configure);
        return builder.Add(new HealthCheckRegistration(
            name,
            services =>
            {
                var text = connectionString(services);
                return new TimescaleHealthCheck(async cancellationToken =>
                {
                    var connection = new NpgsqlConnection(text);
                    try
                    {
                        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                        return connection;
                    }
                    catch
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }
                }, options);
            },
            failureStatus,
            tags,
            timeout));
    }

    /// <summary>
    /// Checks the TimescaleDB behind the application's <see cref="NpgsqlDataSource"/> (registered with
    /// <c>AddNpgsqlDataSource</c> or by hand).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Adjusts what counts as a problem.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status when the server cannot be reached or lacks TimescaleDB; unhealthy by default.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="timeout">How long the check may take.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddTimescaleDb(
        this IHealthChecksBuilder builder,
        Action<TimescaleHealthCheckOptions>? configure = null,
        string name = "timescaledb",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = Options(configure);
        return builder.Add(new HealthCheckRegistration(
            name,
            services =>
            {
                var dataSource = services.GetService<NpgsqlDataSource>();
                return dataSource is null
                    ? new MisconfiguredHealthCheck($"The TimescaleDB health check '{name}' needs an NpgsqlDataSource service. Register one (services.AddNpgsqlDataSource(connectionString)) or pass the connection string to AddTimescaleDb.")
                    : new TimescaleHealthCheck(cancellationToken => dataSource.OpenConnectionAsync(cancellationToken), options);
            },
            failureStatus,
            tags,
            timeout));
    }

    /// <summary>Reports a registration mistake on the health endpoint rather than failing the whole report.</summary>
    private sealed class MisconfiguredHealthCheck(string message) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, message));
    }

    private static TimescaleHealthCheckOptions Options(Action<TimescaleHealthCheckOptions>? configure)
    {
        var options = new TimescaleHealthCheckOptions();
        configure?.Invoke(options);
        return options;
    }
}
