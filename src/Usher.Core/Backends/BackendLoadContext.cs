using Usher.Core.Models;

namespace Usher.Core.Backends;

/// <summary>What a backend needs to load one model version.</summary>
/// <param name="ModelName">The model's name (for messages).</param>
/// <param name="Version">The version number.</param>
/// <param name="ModelPath">The model file.</param>
/// <param name="Settings">The backend session settings from the model's config.</param>
/// <param name="IntraOpThreads">The intra-op thread count chosen by the server for this version.</param>
internal sealed record BackendLoadContext(string ModelName, long Version, string ModelPath, OnnxRuntimeSettings Settings, int IntraOpThreads)
{
    /// <summary>
    /// True under a memory budget (docs/density.md): the session should give its memory back to the
    /// process when released, and take no more than it needs (ONNX Runtime: no CPU memory arena).
    /// </summary>
    public bool ReturnsMemory { get; init; }
}
