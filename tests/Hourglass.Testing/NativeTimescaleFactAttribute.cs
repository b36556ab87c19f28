using Xunit;

namespace Hourglass.Testing;

/// <summary>
/// A fact only a native TimescaleDB can run (background workers, many sessions, many databases, pg_dump).
/// On the embedded engine it is reported as skipped with <see cref="NativeOnly.SkipReason"/>; with
/// HOURGLASS_TIMESCALEDB_HOME or HOURGLASS_TEST_CONNECTION set it runs, and should start with
/// <see cref="TestServers.RequireNativeTimescaleAsync"/> so that a server lacking something fails the test.
/// </summary>
public sealed class NativeTimescaleFactAttribute : FactAttribute
{
    /// <summary>Marks the test; <paramref name="why"/> says what of a native server it needs.</summary>
    public NativeTimescaleFactAttribute(string why) => Skip = NativeOnly.SkipReason(why);
}

/// <summary>A theory only a native TimescaleDB can run; see <see cref="NativeTimescaleFactAttribute"/>.</summary>
public sealed class NativeTimescaleTheoryAttribute : TheoryAttribute
{
    /// <summary>Marks the test; <paramref name="why"/> says what of a native server it needs.</summary>
    public NativeTimescaleTheoryAttribute(string why) => Skip = NativeOnly.SkipReason(why);
}

/// <summary>
/// A fact that needs TimescaleDB's Apache-licensed edition, a second server the harness starts from
/// HOURGLASS_TIMESCALEDB_HOME (<see cref="TestServers.RequireNativeApacheAsync"/>). Skipped with the reason on the embedded
/// engine (as <see cref="NativeTimescaleFactAttribute"/>) and when only HOURGLASS_TEST_CONNECTION names a server, which
/// cannot be restarted with another license; with HOURGLASS_REQUIRE_ALL_TESTS=1 (CI) that skip is a failure instead.
/// </summary>
public sealed class ApacheEditionFactAttribute : FactAttribute
{
    /// <summary>Marks the test; <paramref name="why"/> says what of the Apache edition it needs.</summary>
    public ApacheEditionFactAttribute(string why) => Skip = NativeOnly.ApacheSkipReason(why);
}

/// <summary>The rule behind the native-only attributes.</summary>
public static class NativeOnly
{
    /// <summary>
    /// Set to 1 (CI does), every test that would be skipped for want of a second server runs instead, and fails saying
    /// what it needs: CI runs every test.
    /// </summary>
    public const string RequireAllTestsVariable = "HOURGLASS_REQUIRE_ALL_TESTS";

    /// <summary>Whether <see cref="RequireAllTestsVariable"/> is set to 1.</summary>
    public static bool RequireAllTests => Environment.GetEnvironmentVariable(RequireAllTestsVariable) is "1" or "true";

    /// <summary>
    /// Null (run) when the harness can start the Apache edition (HOURGLASS_TIMESCALEDB_HOME) or every test must run, else
    /// why the test does not apply.
    /// </summary>
    public static string? ApacheSkipReason(string why)
    {
        if (SkipReason(why) is { } embedded)
        {
            return embedded;
        }

        return TestServers.CanStartApacheEdition || RequireAllTests
            ? null
            : $"Needs {why}: a second server, which the harness starts from {NativeTimescaleServer.HomeVariable}; {TestServers.ConnectionVariable} alone names one server of one license. " +
              $"Set {NativeTimescaleServer.HomeVariable} too to run it ({RequireAllTestsVariable}=1 makes this skip a failure).";
    }

    /// <summary>Null (run) when the TimescaleDB tests use a native server, else why the test does not apply.</summary>
    public static string? SkipReason(string why) => TestServers.UsingExternalTimescale
        ? null
        : $"Not applicable on the embedded TimescaleDB (one session, no background workers, one database): needs {why}. " +
          $"Runs when {NativeTimescaleServer.HomeVariable} or {TestServers.ConnectionVariable} is set.";
}
