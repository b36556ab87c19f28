using Xunit;

namespace Hourglass.Testing;

/// <summary>TEMPORARY until the harness's native marker lands: a fact that only runs against HOURGLASS_TEST_CONNECTION.</summary>
public sealed class NeedsNativeTimescaleFactAttribute : FactAttribute
{
    /// <summary>Skips unless a native TimescaleDB is configured.</summary>
    public NeedsNativeTimescaleFactAttribute()
    {
        if (!TestServers.UsingExternalTimescale)
        {
            Skip = "Not applicable: needs a native TimescaleDB server.";
        }
    }
}
