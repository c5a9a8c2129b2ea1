using Usher.Core.Backends;
using Usher.Core.Models;

namespace Usher.Backends.Onnx.Tests;

/// <summary>Loads model files through the public backend, as the server does.</summary>
internal static class TestSessions
{
    public static Task<IBackendSession> LoadAsync(string modelPath, OnnxRuntimeSettings? settings = null, string modelName = "m", long version = 1)
        => new OnnxBackend().LoadAsync(Context(modelPath, settings, modelName, version), CancellationToken.None);

    public static BackendLoadContext Context(string modelPath, OnnxRuntimeSettings? settings = null, string modelName = "m", long version = 1)
        => new(modelName, version, modelPath, settings ?? new OnnxRuntimeSettings(), IntraOpThreads: 1);
}
