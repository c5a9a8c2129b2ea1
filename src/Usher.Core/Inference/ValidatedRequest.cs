using Usher.Core.Tensors;

namespace Usher.Core.Inference;

/// <summary>A request checked against a version's signature, with names mapped to the model file's.</summary>
/// <param name="Request">The original request.</param>
/// <param name="Inputs">The inputs named as in the model file, in the model's input order.</param>
/// <param name="OutputFileNames">The outputs to compute, named as in the model file.</param>
/// <param name="OutputClientNames">The same outputs as the client names them.</param>
/// <param name="BatchSize">The request's batch size; 0 when the model is not batched.</param>
internal sealed record ValidatedRequest(
    InferenceRequest Request,
    IReadOnlyList<Tensor> Inputs,
    IReadOnlyList<string> OutputFileNames,
    IReadOnlyList<string> OutputClientNames,
    int BatchSize);
