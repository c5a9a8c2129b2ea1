using System.Collections.Concurrent;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Tests.Shadow;

/// <summary>An observer of shadow pairs that keeps them and says when the first and the expected number arrived.</summary>
internal sealed class PairSink(int expected = 1) : IShadowObserver
{
    private int _seen;

    public TaskCompletionSource<ShadowPair> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<ShadowPair> Pairs { get; } = new();

    public string? ObservedOn { get; private set; }

    public bool ObservedOnPool { get; private set; }

    public void Observe(ShadowPair pair)
    {
        ObservedOn = Thread.CurrentThread.Name;
        ObservedOnPool = Thread.CurrentThread.IsThreadPoolThread;
        Pairs.Enqueue(pair);
        First.TrySetResult(pair);
        if (Interlocked.Increment(ref _seen) == expected)
        {
            All.TrySetResult();
        }
    }
}
