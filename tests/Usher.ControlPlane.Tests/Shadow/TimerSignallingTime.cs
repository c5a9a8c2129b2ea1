using Microsoft.Extensions.Time.Testing;

namespace Usher.ControlPlane.Tests.Shadow;

/// <summary>
/// Fake time that says when a timer was made, so that a test advances the clock only once the
/// shadow's worker waits on it.
/// </summary>
internal sealed class TimerSignallingTime : FakeTimeProvider
{
    public SemaphoreSlim TimerCreated { get; } = new(0);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        TimerCreated.Release();
        return timer;
    }
}
