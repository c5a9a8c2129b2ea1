namespace Usher.Server.Frontends;

/// <summary>
/// Whether the server's warm-up through its own frontends (<c>Hosting.FrontendWarmupService</c>) has
/// finished: readiness waits for it, liveness does not.
/// </summary>
internal sealed class FrontendWarmup
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the warm-up has finished, was skipped, or failed (a failure is logged, not fatal).</summary>
    public Task Finished => _finished.Task;

    /// <summary>Whether <see cref="Finished"/> has completed.</summary>
    public bool IsFinished => _finished.Task.IsCompleted;

    /// <summary>How many requests the warm-up sent and had answered (0 until it finishes, and when it was skipped).</summary>
    public int Requests { get; private set; }

    /// <summary>Marks the warm-up finished after <paramref name="requests"/> answered requests; later calls do nothing.</summary>
    public void Finish(int requests = 0)
    {
        if (!_finished.Task.IsCompleted)
        {
            Requests = requests;
            _finished.TrySetResult();
        }
    }
}
