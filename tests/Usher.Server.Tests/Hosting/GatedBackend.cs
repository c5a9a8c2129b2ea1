using Usher.Backends.Onnx;
using Usher.Core.Backends;

namespace Usher.Server.Tests.Hosting;

/// <summary>ONNX Runtime, with every model load held until the test opens the gate: the server's start-up, frozen.</summary>
internal sealed class GatedBackend : IModelBackend
{
    private readonly OnnxBackend _inner = new();
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Platform => _inner.Platform;

    public string ModelFileName => _inner.ModelFileName;

    public void Open() => _gate.TrySetResult();

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
    {
        await _gate.Task.WaitAsync(cancellationToken);
        return await _inner.LoadAsync(context, cancellationToken);
    }
}
