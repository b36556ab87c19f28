namespace Hourglass.Embedded;

/// <summary>Which TimescaleDB <see cref="EmbeddedTimescale"/> runs.</summary>
public enum EmbeddedEngine
{
    /// <summary>
    /// The default: PostgreSQL 17 with TimescaleDB compiled to WebAssembly, run by Node.js. Nothing to install
    /// beyond Node.js; one session (connections take turns per transaction), no background workers, one database.
    /// </summary>
    Wasm,

    /// <summary>
    /// A native PostgreSQL with TimescaleDB already installed on this machine (a package, Homebrew, or a
    /// relocatable tree), started as a throwaway or persistent local server: many sessions, background workers
    /// that run policies by themselves, any number of databases, <c>pg_dump</c>. See
    /// <see cref="EmbeddedTimescaleOptions.NativeHome"/> for how its binaries are found.
    /// </summary>
    Native,
}
