// TEMPORARY stub until the ONNX backend lands; removed on merge.
using Usher.Core.Backends;

namespace Usher.Backends.Onnx;

public sealed class OnnxBackend : IModelBackend
{
    public string Platform => "onnxruntime_onnx";

    public string ModelFileName => "model.onnx";

    public Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken) => throw new NotImplementedException();
}
