using Microsoft.Extensions.Time.Testing;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// The executors' wake-up: a signal read before a look at the queue wakes its waiter whether it fires
/// before the wait or while the waiter is blocked, a stop ends a wait, and a deadline ends a timed
/// one wherever the clock passes it: before the wait, between the waiter's look at the clock and the
/// arming of its timer (the clock a test advances, or a busy machine's), or once the timer is armed.
/// Each interleaving is forced, not left to chance. The waits run on their own threads; the guard
/// only turns a wait that never ends into a failure.
/// </summary>
public sealed class ExecutorWakeupTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    public enum ClockJump
    {
        BeforeTheWait,
        BetweenTheClockReadAndTheTimer,
        AfterTheTimerIsArmed,
    }

    [Fact]
    public async Task Wait_OnASignalThatFiredBeforeTheWait_ReturnsAtOnce()
    {
        var wakeup = new ExecutorWakeup(new FakeTimeProvider(), CancellationToken.None);
        var read = wakeup.Current;

        // A request queued between the executor's look at the queue and its wait.
        wakeup.Signal();

        await Waiting(() => wakeup.Wait(read, until: null)).Done.WaitAsync(HangGuard);
        Assert.NotSame(read, wakeup.Current);
        Assert.False(wakeup.Current.Task.IsCompleted); // the next wait waits for the next signal
    }

    [Fact]
    public async Task Signal_WakesAnExecutorBlockedOnTheSignalItRead()
    {
        var wakeup = new ExecutorWakeup(new FakeTimeProvider(), CancellationToken.None);
        var read = wakeup.Current;
        var waiter = Waiting(() => wakeup.Wait(read, until: null));
        UntilBlocked(waiter.Thread);

        wakeup.Signal();

        await waiter.Done.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Wait_WhenTheBatcherStops_Returns_WithoutASignal()
    {
        using var stopping = new CancellationTokenSource();
        var wakeup = new ExecutorWakeup(new FakeTimeProvider(), stopping.Token);
        var read = wakeup.Current;
        var waiter = Waiting(() => wakeup.Wait(read, until: null));
        UntilBlocked(waiter.Thread);

        await stopping.CancelAsync();

        await waiter.Done.WaitAsync(HangGuard);
        Assert.False(read.Task.IsCompleted);
    }

    [Theory]
    [InlineData(ClockJump.BeforeTheWait)]
    [InlineData(ClockJump.BetweenTheClockReadAndTheTimer)]
    [InlineData(ClockJump.AfterTheTimerIsArmed)]
    public async Task Wait_WithADeadline_ReturnsOnceTheClockPassesIt_WithoutASignal(ClockJump jump)
    {
        var time = new RecordingTimeProvider();
        var wakeup = new ExecutorWakeup(time, CancellationToken.None);
        var read = wakeup.Current;
        var deadline = time.GetTimestamp() + (long)(0.010 * time.TimestampFrequency);
        var past = TimeSpan.FromMilliseconds(20);
        using var armed = new ManualResetEventSlim();
        time.BeforeArming = jump == ClockJump.BetweenTheClockReadAndTheTimer ? () => time.Advance(past) : null;
        time.AfterArming = armed.Set;
        if (jump == ClockJump.BeforeTheWait)
        {
            time.Advance(past);
        }

        var waiter = Waiting(() => wakeup.Wait(read, deadline));
        if (jump == ClockJump.AfterTheTimerIsArmed)
        {
            Assert.True(armed.Wait(HangGuard), "the waiter never armed its timer");
            time.Advance(past);
        }

        // Between the clock read and the timer, the timer counts its 10 ms from 20 ms: only a look at
        // the clock once it is armed ends the wait, on a clock that does not move again.
        await waiter.Done.WaitAsync(HangGuard);
        Assert.False(read.Task.IsCompleted);
        TimeSpan[] timers = jump == ClockJump.BeforeTheWait ? [] : [TimeSpan.FromMilliseconds(10)];
        Assert.Equal(timers, time.Asked);
    }

    private static (Thread Thread, Task Done) Waiting(Action wait)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            wait();
            done.TrySetResult();
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return (thread, done.Task);
    }

    // Until the waiter's thread is in a wait (spinning first is not blocked yet): a signal or stop
    // after this point reaches a blocked executor, not one about to block.
    private static void UntilBlocked(Thread thread)
    {
        var guard = DateTime.UtcNow + HangGuard;
        while ((thread.ThreadState & ThreadState.WaitSleepJoin) == 0)
        {
            Assert.True(DateTime.UtcNow < guard, "the waiter never blocked");
            Thread.Yield();
        }
    }
}
