namespace Usher.Core.Backends;

/// <summary>
/// A backend session that can bind one input and one output to memory of its own, once, and then
/// run over it without allocating: the in-process engine's fast path. Optional: a backend session
/// that does not implement it serves the queued path only.
/// </summary>
internal interface IDirectRunSource
{
    /// <summary>
    /// Binds an input and an output of concrete shapes (names as in the model file) to fixed buffers.
    /// The runner serves one thread at a time and must be disposed before the session.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the backend cannot bind these tensors.</exception>
    IDirectRunner CreateDirectRunner(TensorBinding input, TensorBinding output);
}
