using Usher.Backends.Onnx.Sessions;
using Usher.Core.Backends;

namespace Usher.Backends.Onnx;

/// <summary>
/// The ONNX Runtime backend: loads <c>model.onnx</c> files into sessions that concurrent callers
/// share. Every Open Inference Protocol datatype is served, BYTES as ONNX string tensors.
/// </summary>
internal sealed class OnnxBackend : IModelBackend
{
    /// <summary>The platform name reported in model metadata.</summary>
    public const string PlatformName = "onnxruntime_onnx";

    /// <summary>The model file name inside a version directory.</summary>
    public const string DefaultModelFileName = "model.onnx";

    /// <inheritdoc />
    public string Platform => PlatformName;

    /// <inheritdoc />
    public string ModelFileName => DefaultModelFileName;

    /// <inheritdoc />
    public Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Building a session parses and optimizes the graph: CPU work that must not block the caller.
        return Task.Run<IBackendSession>(() => OnnxSession.Load(context), cancellationToken);
    }
}
