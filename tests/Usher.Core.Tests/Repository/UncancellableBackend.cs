using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// A backend whose loads ignore cancellation and wait for the test, as a native load does (ONNX
/// Runtime's session creation cannot be stopped halfway); it counts the sessions it made and disposed.
/// </summary>
internal sealed class UncancellableBackend(IModelBackend inner) : IModelBackend
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _created;
    private int _disposed;

    public string Platform => inner.Platform;

    public string ModelFileName => inner.ModelFileName;

    /// <summary>Completes when a load has begun.</summary>
    public Task Started => _started.Task;

    public int Created => Volatile.Read(ref _created);

    public int Disposed => Volatile.Read(ref _disposed);

    public void Release() => _release.TrySetResult();

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
    {
        _started.TrySetResult();
        await _release.Task;
        var session = await inner.LoadAsync(context, CancellationToken.None);
        Interlocked.Increment(ref _created);
        return new Counted(session, this);
    }

    private sealed class Counted(IBackendSession session, UncancellableBackend owner) : IBackendSession
    {
        public IReadOnlyList<TensorSpec> Inputs => session.Inputs;

        public IReadOnlyList<TensorSpec> Outputs => session.Outputs;

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
            => session.Run(inputs, outputNames);

        public void Dispose()
        {
            Interlocked.Increment(ref owner._disposed);
            session.Dispose();
        }
    }
}
