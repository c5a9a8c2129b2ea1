using Usher.Core.Backends;

namespace Usher.ControlPlane.Tests.Rollouts;

/// <summary>A backend that holds the load of one model version until the test lets it go.</summary>
internal sealed class BlockingBackend(IModelBackend inner, string model, long version, Task release) : IModelBackend
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the held load has started.</summary>
    public Task Started => _started.Task;

    public string Platform => inner.Platform;

    public string ModelFileName => inner.ModelFileName;

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
    {
        if (context.ModelName == model && context.Version == version)
        {
            _started.TrySetResult();
            await release.WaitAsync(cancellationToken);
        }

        return await inner.LoadAsync(context, cancellationToken);
    }
}
