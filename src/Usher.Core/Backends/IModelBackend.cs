namespace Usher.Core.Backends;

/// <summary>Loads model files of one format into runnable sessions (ONNX Runtime is the first).</summary>
internal interface IModelBackend
{
    /// <summary>The platform name reported in model metadata, e.g. <c>onnxruntime_onnx</c>.</summary>
    string Platform { get; }

    /// <summary>The model file name inside a version directory, e.g. <c>model.onnx</c>.</summary>
    string ModelFileName { get; }

    /// <summary>
    /// Loads one version. Throws <see cref="ModelLoadException"/> with a message for the user when
    /// the file or its settings are unusable.
    /// </summary>
    Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken);
}
