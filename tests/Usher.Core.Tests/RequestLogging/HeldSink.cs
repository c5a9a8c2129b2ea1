using Usher.Core.RequestLogging;

namespace Usher.Core.Tests.RequestLogging;

/// <summary>A sink that records what it is given and can be held: a write waits until <see cref="Release"/>.</summary>
internal sealed class HeldSink : IRequestLogSink
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldSink(bool held) => Held = held;

    public bool Held { get; }

    public List<RequestLogRecord> Written { get; } = [];

    public bool Disposed { get; private set; }

    /// <summary>Completes when the first write has begun (and is held, if held).</summary>
    public Task Entered => _entered.Task;

    public void Release() => _released.TrySetResult();

    public async ValueTask WriteAsync(RequestLogRecord record, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        if (Held)
        {
            await _released.Task.ConfigureAwait(false);
        }

        lock (Written)
        {
            Written.Add(record);
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public long Stored => Written.Count;

    public ValueTask<int> AbandonAsync() => ValueTask.FromResult(0);

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
