namespace Usher.Core.Repository;

/// <summary>
/// Model density (<c>server.memory_budget</c>): with a budget, versions are registered at load and
/// loaded on their first request, and the least recently used idle versions are unloaded when a load
/// would exceed the budget. docs/density.md.
/// </summary>
/// <param name="BudgetBytes">The bytes the loaded versions may take together, by their estimates.</param>
/// <param name="LoadTimeout">How long a request waits for its version's load on demand before it is answered 503.</param>
/// <param name="SizeFactor">A version's estimated memory: its model file's size times this factor.</param>
internal sealed record DensitySettings(long BudgetBytes, TimeSpan LoadTimeout, double SizeFactor = DensitySettings.DefaultSizeFactor)
{
    /// <summary>
    /// The default factor: ONNX Runtime holds the initializers (most of the file) plus its arena and the
    /// optimized graph. A starting estimate, not a measured one: benchmarks/density/run.sh measured a
    /// loaded mlp-large well above twice its file (docs/density.md).
    /// </summary>
    public const double DefaultSizeFactor = 2.0;

    /// <summary>The estimated memory of a version whose model file has <paramref name="fileBytes"/> bytes.</summary>
    public long Estimate(long fileBytes) => (long)Math.Ceiling(Math.Max(0, fileBytes) * SizeFactor);
}
