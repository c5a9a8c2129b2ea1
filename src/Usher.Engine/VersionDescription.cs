using Usher.Core.Models;

namespace Usher.Engine;

/// <summary>What a caller that packs its own batches needs to know of a loaded version.</summary>
/// <param name="Version">The version.</param>
/// <param name="Signature">Its inputs, outputs and <c>max_batch_size</c>.</param>
/// <param name="Config">Its configuration (instances, batching).</param>
internal sealed record VersionDescription(long Version, ModelSignature Signature, ModelConfig Config);
