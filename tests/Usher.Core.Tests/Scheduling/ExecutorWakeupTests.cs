using Microsoft.Extensions.Time.Testing;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// The executors' wake-up: a signal read before a look at the queue wakes its waiter however the
/// signal and the wait interleave, a stop ends a wait, and a deadline ends a timed one. The waits
/// run on their own threads; the timeouts below only guard against a hang.
/// </summary>
public sealed class ExecutorWakeupTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public void Wait_OnASignalThatFiredBeforeTheWait_ReturnsAtOnce()
    {
        var wakeup = new ExecutorWakeup(TimeProvider.System, CancellationToken.None);
        var read = wakeup.Current;

        // A request queued between the executor's look at the queue and its wait.
        wakeup.Signal();

        wakeup.Wait(read, until: null);
        Assert.NotSame(read, wakeup.Current);
        Assert.True(read.Task.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Signal_WakesAnExecutorBlockedOnTheSignalItRead()
    {
        var wakeup = new ExecutorWakeup(TimeProvider.System, CancellationToken.None);
        var read = wakeup.Current;
        using var blocked = new ManualResetEventSlim();
        var waiter = Task.Factory.StartNew(
            () =>
            {
                blocked.Set();
                wakeup.Wait(read, until: null);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.True(blocked.Wait(HangGuard), "the waiter's thread never started");

        wakeup.Signal();

        await waiter.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Wait_WhenTheBatcherStops_Returns_WithoutASignal()
    {
        using var stopping = new CancellationTokenSource();
        var wakeup = new ExecutorWakeup(TimeProvider.System, stopping.Token);
        var read = wakeup.Current;
        var waiter = Task.Factory.StartNew(() => wakeup.Wait(read, until: null), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await stopping.CancelAsync();

        await waiter.WaitAsync(HangGuard);
        Assert.False(read.Task.IsCompleted);
    }

    [Fact]
    public async Task Wait_WithADeadline_ReturnsWhenTheClockReachesIt_WithoutASignal()
    {
        var time = new FakeTimeProvider();
        var wakeup = new ExecutorWakeup(time, CancellationToken.None);
        var read = wakeup.Current;
        var deadline = time.GetTimestamp() + (long)(0.010 * time.TimestampFrequency);
        var waiter = Task.Factory.StartNew(() => wakeup.Wait(read, deadline), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // One step past the deadline ends the wait whenever it lands: before the waiter reads the clock
        // (nothing to wait for), after it armed its timer (the step fires it), or in between (the
        // waiter checks the clock once the timer is armed).
        time.Advance(TimeSpan.FromMilliseconds(20));

        await waiter.WaitAsync(HangGuard);
        Assert.False(read.Task.IsCompleted);
    }
}
