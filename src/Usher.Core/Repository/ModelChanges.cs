using Usher.Core.Inference;

namespace Usher.Core.Repository;

/// <summary>
/// The loads and unloads in progress of <see cref="ModelManager"/>, so that its disposal can cancel them
/// and wait for their end (a backend's native load cannot be stopped halfway, and a process that exits
/// while one runs can crash); refuses new ones once closing began.
/// </summary>
internal sealed class ModelChanges : IDisposable
{
    private readonly CancellationTokenSource _closing = new();
    private readonly HashSet<Task> _running = [];
    private bool _closed;

    /// <summary>Runs <paramref name="change"/> with a token that <see cref="CloseAsync"/> cancels; refused once closing began.</summary>
    public async Task<InferenceResult<T>> RunAsync<T>(Func<CancellationToken, Task<InferenceResult<T>>> change, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationTokenSource linked;
        lock (_running)
        {
            if (_closed)
            {
                return InferenceError.Unavailable("the server is stopping: models are no longer loaded or unloaded");
            }

            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            _running.Add(done.Task);
        }

        try
        {
            return await change(linked.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_running)
            {
                _running.Remove(done.Task);
            }

            linked.Dispose();
            done.SetResult();
        }
    }

    /// <summary>Refuses new changes, cancels those in progress and waits for them to end.</summary>
    public async Task CloseAsync()
    {
        Task[] running;
        lock (_running)
        {
            _closed = true;
            running = [.. _running];
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _closing.Dispose();
}
