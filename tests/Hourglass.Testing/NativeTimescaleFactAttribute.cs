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

/// <summary>The rule behind the native-only attributes.</summary>
public static class NativeOnly
{
    /// <summary>Null (run) when the TimescaleDB tests use a native server, else why the test does not apply.</summary>
    public static string? SkipReason(string why) => TestServers.UsingExternalTimescale
        ? null
        : $"Not applicable on the embedded TimescaleDB (one session, no background workers, one database): needs {why}. " +
          $"Runs when {NativeTimescaleServer.HomeVariable} or {TestServers.ConnectionVariable} is set.";
}
