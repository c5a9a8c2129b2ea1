using Microsoft.Extensions.Time.Testing;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// A fake clock that records the due time of every timer it is asked for (Task.Delay asks for none
/// under 1 ms: it truncates to whole milliseconds and completes at once). A test may run code on the
/// arming thread just before a timer is created and just after.
/// </summary>
internal sealed class RecordingTimeProvider() : FakeTimeProvider(DateTimeOffset.UnixEpoch)
{
    private readonly List<TimeSpan> _asked = [];

    /// <summary>The due times timers were created with, in order.</summary>
    public IReadOnlyList<TimeSpan> Asked
    {
        get
        {
            lock (_asked)
            {
                return [.. _asked];
            }
        }
    }

    /// <summary>Runs on the arming thread before each timer is created.</summary>
    public Action? BeforeArming { get; set; }

    /// <summary>Runs on the arming thread once each timer is created.</summary>
    public Action? AfterArming { get; set; }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_asked)
        {
            _asked.Add(dueTime);
        }

        BeforeArming?.Invoke();
        var timer = base.CreateTimer(callback, state, dueTime, period);
        AfterArming?.Invoke();
        return timer;
    }
}
