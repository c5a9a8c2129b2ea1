using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Backends;

/// <summary>
/// One loaded model version in a backend. <see cref="Run"/> is thread-safe: concurrent callers
/// share the session.
/// </summary>
internal interface IBackendSession : IDisposable
{
    /// <summary>The model's inputs as its file declares them (names as in the file, -1 for dynamic dims).</summary>
    IReadOnlyList<TensorSpec> Inputs { get; }

    /// <summary>The model's outputs as its file declares them.</summary>
    IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (named as in the file) and returns the outputs
    /// named in <paramref name="outputNames"/>, in that order. Throws on a backend failure.
    /// </summary>
    IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames);
}
